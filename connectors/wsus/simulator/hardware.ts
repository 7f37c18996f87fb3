/**
 * Make, model and BIOS as the WSUS client reports them from SMBIOS, spelled as each vendor's firmware spells them
 * ("Dell Inc.", "HPE", "LENOVO" with a machine-type model). Matching a computer across WSUS, Intune and Datto leans on
 * these, so they stay real.
 */
import type { SeededRandom } from '../../sdk/testkit/seeded-random';

export interface Hardware {
  make: string;
  model: string;
  /** Win32_BIOS Name and SMBIOSBIOSVersion, which most vendors fill alike. */
  bios(r: SeededRandom): string;
  virtual: boolean;
  laptop: boolean;
}

const HYPER_V: Hardware = { make: 'Microsoft Corporation', model: 'Virtual Machine', bios: () => 'Hyper-V UEFI Release v4.1', virtual: true, laptop: false };
const VMWARE: Hardware = {
  make: 'VMware, Inc.', model: 'VMware7,1', bios: (r) => `VMW71.00V.${r.between(16_000_000, 24_000_000)}.B64.${r.between(2205, 2412)}${r.between(10, 28)}1${r.between(100, 959)}`,
  virtual: true, laptop: false,
};

const dell = (model: string, laptop: boolean): Hardware => ({ make: 'Dell Inc.', model, bios: (r) => `1.${r.between(8, 24)}.${r.between(0, 3)}`, virtual: false, laptop });

/** Servers; repeated entries are the common ones. Most servers are guests on a Hyper-V or VMware host. */
export const SERVERS: ReadonlyArray<readonly [Hardware, number]> = [
  [HYPER_V, 45],
  [VMWARE, 10],
  [dell('PowerEdge R650', false), 10],
  [dell('PowerEdge R750', false), 6],
  [dell('PowerEdge R740', false), 4],
  [{ make: 'HPE', model: 'ProLiant DL360 Gen10', bios: () => 'U32', virtual: false, laptop: false }, 9],
  [{ make: 'HPE', model: 'ProLiant DL380 Gen10 Plus', bios: () => 'U46', virtual: false, laptop: false }, 6],
];

const hp = (model: string, family: string, laptop: boolean): Hardware => ({
  make: 'HP', model, bios: (r) => `${family} Ver. 01.${String(r.between(10, 19)).padStart(2, '0')}.${String(r.between(0, 10)).padStart(2, '0')}`, virtual: false, laptop,
});
const lenovo = (model: string, family: string, laptop: boolean): Hardware => ({
  make: 'LENOVO', model, bios: (r) => { const minor = r.between(20, 45); return `${family}${minor}W (1.${minor} )`; }, virtual: false, laptop,
});

export const WORKSTATIONS: ReadonlyArray<readonly [Hardware, number]> = [
  [dell('Latitude 5440', true), 18],
  [dell('Latitude 7440', true), 8],
  [dell('OptiPlex 7010', false), 12],
  [hp('HP EliteBook 840 G10 Notebook PC', 'V70', true), 14],
  [hp('HP ProBook 450 G9 Notebook PC', 'U89', true), 6],
  [hp('HP EliteDesk 800 G6 Desktop Mini PC', 'S21', false), 6],
  [lenovo('21HD003XUS', 'R2FET', true), 10],
  [lenovo('21DDS0JD00', 'N3MET', true), 5],
  [{ make: 'Microsoft Corporation', model: 'Surface Laptop 5', bios: (r) => `${r.between(10, 15)}.${r.between(100, 900)}.${r.between(100, 999)}`, virtual: false, laptop: true }, 4],
  // Virtual desktops (VDI) and a developer's VM.
  [HYPER_V, 5],
];
