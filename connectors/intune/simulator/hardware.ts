/**
 * Hardware as Intune reports it from the device's own firmware: manufacturer and model strings exactly as WMI/SMBIOS
 * spell them, serial numbers in each vendor's format, MACs as 12 upper-case hex digits without separators.
 * Identity matching across sources depends on these formats, so the simulator keeps them real.
 */
import type { SeededRandom } from '../../sdk/testkit/seeded-random';

export type FormFactor = 'LT' | 'DT' | 'VM';

export interface WindowsHardware {
  manufacturer: string;
  model: string;
  form: FormFactor;
  serial(r: SeededRandom): string;
  /** OUI of the wired NIC. */
  ethernetOui: string;
  /** OUI of the Wi-Fi adapter; null when the machine has none (most desktops, every VM). */
  wifiOui: string | null;
  memoryGiB: readonly number[];
  storageGB: readonly number[];
}

const DIGITS = '0123456789';
// Dell service tags leave out vowels so they never spell words.
const DELL_TAG = '0123456789BCDFGHJKLMNPQRSTVWXYZ';
const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

const INTEL_WIFI = '3C6AA7';
const HYPER_V = '00155D';

/** A plain white-box PC: the board vendor never filled in its SMBIOS strings, so serial matching must skip it. */
export const WHITE_BOX: WindowsHardware = {
  manufacturer: 'To be filled by O.E.M.',
  model: 'To be filled by O.E.M.',
  form: 'DT',
  serial: () => 'To be filled by O.E.M.',
  ethernetOui: 'BC5FF4',
  wifiOui: null,
  memoryGiB: [16],
  storageGB: [512],
};

/** Hyper-V's BIOS serial: digit groups 4-4-4-4-4-4-2. */
export const HYPER_V_VM: WindowsHardware = {
  manufacturer: 'Microsoft Corporation',
  model: 'Virtual Machine',
  form: 'VM',
  serial: (r) => `0000-00${r.chars(DIGITS, 2)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 4)}-${r.chars(DIGITS, 2)}`,
  ethernetOui: HYPER_V,
  wifiOui: null,
  memoryGiB: [8, 16],
  storageGB: [128, 256],
};

const dell = (r: SeededRandom) => r.chars(DELL_TAG, 7);
const hp = (r: SeededRandom) => `5CD${r.chars(DIGITS, 4)}${r.chars(ALNUM, 3)}`;
const lenovo = (r: SeededRandom) => `PF${r.chars(ALNUM, 6)}`;
const surface = (r: SeededRandom) => r.chars(DIGITS, 12);

/** Physical Windows machines; repeated entries are the common ones. */
export const WINDOWS_HARDWARE: readonly WindowsHardware[] = [
  { manufacturer: 'Dell Inc.', model: 'Latitude 5440', form: 'LT', serial: dell, ethernetOui: 'B04F13', wifiOui: INTEL_WIFI, memoryGiB: [16, 32], storageGB: [256, 512] },
  { manufacturer: 'Dell Inc.', model: 'Latitude 5440', form: 'LT', serial: dell, ethernetOui: 'B04F13', wifiOui: INTEL_WIFI, memoryGiB: [16, 32], storageGB: [256, 512] },
  { manufacturer: 'Dell Inc.', model: 'Latitude 7440', form: 'LT', serial: dell, ethernetOui: 'B04F13', wifiOui: INTEL_WIFI, memoryGiB: [16, 32], storageGB: [512] },
  { manufacturer: 'Dell Inc.', model: 'OptiPlex 7010', form: 'DT', serial: dell, ethernetOui: 'E454E8', wifiOui: null, memoryGiB: [8, 16], storageGB: [256, 512] },
  { manufacturer: 'HP', model: 'HP EliteBook 840 G10', form: 'LT', serial: hp, ethernetOui: '6C02E0', wifiOui: INTEL_WIFI, memoryGiB: [16, 32], storageGB: [512] },
  { manufacturer: 'HP', model: 'HP ProBook 450 G9', form: 'LT', serial: hp, ethernetOui: '6C02E0', wifiOui: 'A0B339', memoryGiB: [8, 16], storageGB: [256] },
  // Lenovo reports the machine type model, not the marketing name: 21HD is a ThinkPad T14 Gen 4, 21CB an X1 Carbon
  // Gen 10, 11T3 a ThinkCentre M70q Gen 3.
  { manufacturer: 'LENOVO', model: '21HD0042UK', form: 'LT', serial: lenovo, ethernetOui: '8C1645', wifiOui: INTEL_WIFI, memoryGiB: [16, 32], storageGB: [512] },
  { manufacturer: 'LENOVO', model: '21CB007AUK', form: 'LT', serial: lenovo, ethernetOui: '8C1645', wifiOui: INTEL_WIFI, memoryGiB: [16], storageGB: [512] },
  { manufacturer: 'LENOVO', model: '11T3002XUK', form: 'DT', serial: lenovo, ethernetOui: '8C1645', wifiOui: INTEL_WIFI, memoryGiB: [8, 16], storageGB: [256] },
  { manufacturer: 'Microsoft Corporation', model: 'Surface Laptop 5', form: 'LT', serial: surface, ethernetOui: 'C49DED', wifiOui: '5CBA37', memoryGiB: [8, 16], storageGB: [256, 512] },
];

export const mac = (r: SeededRandom, oui: string): string => `${oui}${r.chars('0123456789ABCDEF', 6)}`;

/** The usable size Windows reports for a disk sold as `gb` decimal gigabytes (a little under, after the recovery partition). */
export const diskBytes = (r: SeededRandom, gb: number): number => gb * 1_000_000_000 - r.between(1_000, 3_000) * 1_048_576;

export const GIB = 1_073_741_824;
