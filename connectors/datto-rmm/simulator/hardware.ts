/**
 * Hardware as the Datto agent audits it from WMI/SMBIOS: manufacturer and model strings as the firmware spells them,
 * serial numbers and BIOS versions in each vendor's format, MACs as colon-separated upper-case pairs. Matching a
 * machine across Intune, Datto and WSUS depends on these, so the simulator keeps them real.
 */
import type { SeededRandom } from '../../sdk/testkit/seeded-random';

export type Form = 'Laptop' | 'Desktop' | 'Server' | 'VM';

export interface Adapter {
  instance: string;
  /** First three octets, "B0:4F:13". */
  oui: string;
}

export interface Hardware {
  manufacturer: string;
  model: string;
  form: Form;
  serial(r: SeededRandom): string;
  /** Win32_BIOS Name and SMBIOSBIOSVersion, which most vendors fill alike. */
  bios(r: SeededRandom): string;
  baseBoard: { manufacturer: string; product(r: SeededRandom): string };
  ethernet: Adapter | null;
  wifi: Adapter | null;
  cpus: readonly string[];
  cores: readonly number[];
  memoryGiB: readonly number[];
  diskGB: readonly number[];
  video: string;
  /** Whether Datto can look the warranty up (it can for the big vendors' serials). */
  warranty: boolean;
}

const DIGITS = '0123456789';
const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
// Dell service tags leave out vowels so they never spell words.
const DELL_TAG = '0123456789BCDFGHJKLMNPQRSTVWXYZ';

const INTEL_WIFI: Adapter = { instance: 'Intel(R) Wi-Fi 6E AX211 160MHz', oui: '3C:6A:A7' };
const INTEL_I219: Adapter = { instance: 'Intel(R) Ethernet Connection (16) I219-LM', oui: 'B0:4F:13' };
const REALTEK_PCIE: Adapter = { instance: 'Realtek PCIe GbE Family Controller', oui: '00:E0:4C' };
const BROADCOM: Adapter = { instance: 'Broadcom NetXtreme Gigabit Ethernet', oui: 'B0:7B:25' };

/** Hyper-V's virtual NICs, on a VM and on the host's virtual switch alike (and on WSL's vEthernet). */
export const HYPER_V_OUI = '00:15:5D';
/** The USB-C dock a laptop is plugged into. */
export const USB_DOCK: Adapter = { instance: 'Realtek USB GbE Family Controller', oui: '00:E0:4C' };

const I5 = ['13th Gen Intel(R) Core(TM) i5-1345U', '12th Gen Intel(R) Core(TM) i5-1245U'];
const I7 = ['13th Gen Intel(R) Core(TM) i7-1365U', '13th Gen Intel(R) Core(TM) i7-13700'];
const XEON = ['Intel(R) Xeon(R) Silver 4310 CPU @ 2.10GHz', 'Intel(R) Xeon(R) E-2336 CPU @ 2.90GHz'];

const dellTag = (r: SeededRandom) => r.chars(DELL_TAG, 7);
const dellBoard = (r: SeededRandom) => `0${r.chars(ALNUM, 5)}`;
const hpSerial = (r: SeededRandom) => `5CD${r.chars(DIGITS, 4)}${r.chars(ALNUM, 3)}`;
const lenovoSerial = (r: SeededRandom) => `PF${r.chars(ALNUM, 6)}`;

/** Windows workstations; repeated entries are the common ones. */
export const WORKSTATIONS: readonly Hardware[] = [
  {
    manufacturer: 'Dell Inc.', model: 'Latitude 5440', form: 'Laptop', serial: dellTag, bios: (r) => `1.${r.between(9, 19)}.0`,
    baseBoard: { manufacturer: 'Dell Inc.', product: dellBoard }, ethernet: INTEL_I219, wifi: INTEL_WIFI,
    cpus: I5, cores: [10, 12], memoryGiB: [16, 32], diskGB: [256, 512], video: 'Intel(R) Iris(R) Xe Graphics', warranty: true,
  },
  {
    manufacturer: 'Dell Inc.', model: 'Latitude 5440', form: 'Laptop', serial: dellTag, bios: (r) => `1.${r.between(9, 19)}.0`,
    baseBoard: { manufacturer: 'Dell Inc.', product: dellBoard }, ethernet: INTEL_I219, wifi: INTEL_WIFI,
    cpus: I7, cores: [10, 12], memoryGiB: [16, 32], diskGB: [512], video: 'Intel(R) Iris(R) Xe Graphics', warranty: true,
  },
  {
    manufacturer: 'Dell Inc.', model: 'OptiPlex 7010', form: 'Desktop', serial: dellTag, bios: (r) => `1.${r.between(4, 14)}.1`,
    baseBoard: { manufacturer: 'Dell Inc.', product: dellBoard }, ethernet: { instance: 'Intel(R) Ethernet Connection (17) I219-LM', oui: 'E4:54:E8' }, wifi: null,
    cpus: ['13th Gen Intel(R) Core(TM) i5-13500'], cores: [14], memoryGiB: [8, 16], diskGB: [256, 512], video: 'Intel(R) UHD Graphics 770', warranty: true,
  },
  {
    manufacturer: 'HP', model: 'HP EliteBook 840 G10 Notebook PC', form: 'Laptop', serial: hpSerial, bios: (r) => `V70 Ver. 01.0${r.between(3, 9)}.00`,
    baseBoard: { manufacturer: 'HP', product: () => '8B41' }, ethernet: { instance: 'Intel(R) Ethernet Connection (16) I219-V', oui: '6C:02:E0' }, wifi: INTEL_WIFI,
    cpus: I5, cores: [10], memoryGiB: [16, 32], diskGB: [512], video: 'Intel(R) Iris(R) Xe Graphics', warranty: true,
  },
  {
    manufacturer: 'HP', model: 'HP ProDesk 400 G9 Small Form Factor PC', form: 'Desktop', serial: (r) => `CZC${r.chars(DIGITS, 4)}${r.chars(ALNUM, 3)}`,
    bios: (r) => `U09 Ver. 02.0${r.between(3, 9)}.00`, baseBoard: { manufacturer: 'HP', product: () => '895E' }, ethernet: REALTEK_PCIE, wifi: null,
    cpus: ['12th Gen Intel(R) Core(TM) i5-12500'], cores: [6], memoryGiB: [8, 16], diskGB: [256], video: 'Intel(R) UHD Graphics 770', warranty: true,
  },
  // Lenovo reports the machine type model, not the marketing name: 21HD is a ThinkPad T14 Gen 4, 11T3 a ThinkCentre M70q Gen 3.
  {
    manufacturer: 'LENOVO', model: '21HD0042UK', form: 'Laptop', serial: lenovoSerial, bios: (r) => `R2FET${r.between(40, 69)}W (1.${r.between(20, 49)} )`,
    baseBoard: { manufacturer: 'LENOVO', product: () => '21HD0042UK' }, ethernet: { instance: 'Intel(R) Ethernet Connection (16) I219-V', oui: '8C:16:45' }, wifi: INTEL_WIFI,
    cpus: I5, cores: [10], memoryGiB: [16, 32], diskGB: [512], video: 'Intel(R) Iris(R) Xe Graphics', warranty: true,
  },
  {
    manufacturer: 'LENOVO', model: '11T3002XUK', form: 'Desktop', serial: lenovoSerial, bios: (r) => `M4ZKT${r.between(30, 49)}A`,
    baseBoard: { manufacturer: 'LENOVO', product: () => '3730' }, ethernet: { instance: 'Intel(R) Ethernet Connection (14) I219-LM', oui: '8C:16:45' }, wifi: INTEL_WIFI,
    cpus: ['12th Gen Intel(R) Core(TM) i5-12500T'], cores: [6], memoryGiB: [8, 16], diskGB: [256], video: 'Intel(R) UHD Graphics 770', warranty: true,
  },
  {
    manufacturer: 'Microsoft Corporation', model: 'Surface Laptop 5', form: 'Laptop', serial: (r) => r.chars(DIGITS, 12), bios: (r) => `${r.between(20, 24)}.${r.between(100, 109)}.143`,
    baseBoard: { manufacturer: 'Microsoft Corporation', product: () => 'Surface Laptop 5' }, ethernet: null, wifi: { instance: 'Intel(R) Wi-Fi 6 AX201 160MHz', oui: '5C:BA:37' },
    cpus: I5, cores: [10], memoryGiB: [8, 16], diskGB: [256, 512], video: 'Intel(R) Iris(R) Xe Graphics', warranty: false,
  },
];

/** A self-built PC: the board vendor never filled its SMBIOS strings, so serial matching must skip it. */
export const WHITE_BOX: Hardware = {
  manufacturer: 'To Be Filled By O.E.M.', model: 'To Be Filled By O.E.M.', form: 'Desktop', serial: () => 'To Be Filled By O.E.M.', bios: (r) => `P${r.between(1, 3)}.${r.between(10, 40)}`,
  baseBoard: { manufacturer: 'ASRock', product: () => 'B660M Pro RS' }, ethernet: { instance: 'Intel(R) Ethernet Controller I225-V', oui: 'BC:5F:F4' }, wifi: null,
  cpus: ['12th Gen Intel(R) Core(TM) i7-12700'], cores: [12], memoryGiB: [32], diskGB: [1000], video: 'NVIDIA GeForce RTX 3060', warranty: false,
};

/** Physical servers, and Hyper-V guests (BIOS serial in digit groups 4-4-4-4-4-4-2). */
export const PHYSICAL_SERVERS: readonly Hardware[] = [
  {
    manufacturer: 'Dell Inc.', model: 'PowerEdge R650xs', form: 'Server', serial: dellTag, bios: (r) => `1.${r.between(8, 12)}.${r.between(0, 3)}`,
    baseBoard: { manufacturer: 'Dell Inc.', product: dellBoard }, ethernet: BROADCOM, wifi: null,
    cpus: XEON.slice(0, 1), cores: [24], memoryGiB: [64, 128], diskGB: [960, 1920], video: 'Matrox G200eW3 (Nuvoton) WDDM 2.0', warranty: true,
  },
  {
    manufacturer: 'HPE', model: 'ProLiant DL360 Gen10 Plus', form: 'Server', serial: (r) => `CZJ${r.chars(DIGITS, 4)}${r.chars(ALNUM, 3)}`, bios: (r) => `U46 v1.${r.between(50, 90)}`,
    baseBoard: { manufacturer: 'HPE', product: () => 'ProLiant DL360 Gen10 Plus' }, ethernet: { instance: 'HPE Ethernet 1Gb 4-port 331i Adapter', oui: '94:40:C9' }, wifi: null,
    cpus: XEON.slice(0, 1), cores: [16, 24], memoryGiB: [64, 128], diskGB: [960], video: 'Matrox G200eH3', warranty: true,
  },
];

export const HYPER_V_VM: Hardware = {
  manufacturer: 'Microsoft Corporation', model: 'Virtual Machine', form: 'VM',
  serial: (r) => `${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 2)}`,
  bios: () => 'Hyper-V UEFI Release v4.1', baseBoard: { manufacturer: 'Microsoft Corporation', product: () => 'Virtual Machine' },
  ethernet: { instance: 'Microsoft Hyper-V Network Adapter', oui: HYPER_V_OUI }, wifi: null,
  cpus: XEON.slice(1), cores: [4, 8], memoryGiB: [8, 16, 32], diskGB: [127, 250], video: 'Microsoft Hyper-V Video', warranty: false,
};

export const MACBOOK: Hardware = {
  manufacturer: 'Apple Inc.', model: 'Mac14,2', form: 'Laptop', serial: (r) => r.chars(ALNUM, 10), bios: () => '10151.121.1',
  baseBoard: { manufacturer: 'Apple Inc.', product: () => 'Mac14,2' }, ethernet: null, wifi: { instance: 'Wi-Fi (en0)', oui: '3C:06:30' },
  cpus: ['Apple M2'], cores: [8], memoryGiB: [8, 16], diskGB: [256, 512], video: 'Apple M2', warranty: false,
};

export const mac = (r: SeededRandom, oui: string): string => `${oui}:${[0, 1, 2].map(() => r.chars('0123456789ABCDEF', 2)).join(':')}`;

/** A link-local IPv6 address, as an adapter with no global address reports it. */
export const linkLocal = (r: SeededRandom): string => `fe80::${[0, 1, 2, 3].map(() => r.int(0x10000).toString(16)).join(':')}`;

export const GIB = 1_073_741_824;

/** The usable size Windows reports for a disk sold as `gb` decimal gigabytes. */
export const diskBytes = (r: SeededRandom, gb: number): number => gb * 1_000_000_000 - r.between(500, 3_000) * 1_048_576;
