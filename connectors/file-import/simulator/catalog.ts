/**
 * The Windows releases and Microsoft updates of the simulated fleet. KB numbers, builds, supersedence and
 * release dates are Microsoft's (Security Update Guide, Aug and Sep 2024, Feb 2026), the same months as the
 * core's demo catalog, so a demo fleet loaded through this connector links to real vulnerabilities.
 */
import type { ClassificationValue, SeverityValue } from '../../sdk/contract';

export interface WindowsRelease {
  /** The product name updates name, e.g. "Windows 11 Version 23H2 for x64-based Systems". */
  product: string;
  osName: string;
  osVersion: string;
  /** Build revisions, oldest first: the level before the first update, then the level each update brings. */
  builds: string[];
  /** The cumulative updates that bring builds[1..], in order. */
  updates: string[];
  server: boolean;
}

export const RELEASES: readonly WindowsRelease[] = [
  {
    product: 'Windows 11 Version 23H2 for x64-based Systems', osName: 'Windows 11 Pro', osVersion: '23H2', server: false,
    builds: ['22631.3880', '22631.4037', '22631.4169', '22631.6649'], updates: ['KB5041585', 'KB5043076', 'KB5075941'],
  },
  {
    product: 'Windows 11 Version 24H2 for x64-based Systems', osName: 'Windows 11 Enterprise', osVersion: '24H2', server: false,
    builds: ['26100.1150', '26100.1457', '26100.1742', '26100.7840'], updates: ['KB5041571', 'KB5043080', 'KB5077181'],
  },
  {
    product: 'Windows 10 Version 22H2 for x64-based Systems', osName: 'Windows 10 Pro', osVersion: '22H2', server: false,
    builds: ['19045.4651', '19045.4780', '19045.4894', '19045.6937'], updates: ['KB5041580', 'KB5043064', 'KB5075912'],
  },
  {
    product: 'Windows Server 2022', osName: 'Windows Server 2022 Standard', osVersion: '21H2', server: true,
    builds: ['20348.2582', '20348.2655', '20348.2700', '20348.4773'], updates: ['KB5041160', 'KB5042881', 'KB5075906'],
  },
];

export interface CatalogEntry {
  kb: string;
  title: string;
  products: string[];
  classification: ClassificationValue;
  severity: SeverityValue;
  releasedAt: string;
  supersedes: string[];
}

const AUG_2024 = '2024-08-13T17:00:00.000Z';
const SEP_2024 = '2024-09-10T17:00:00.000Z';
const FEB_2026 = '2026-02-10T18:00:00.000Z';

function cumulative(kb: string, month: string, releasedAt: string, product: string, supersedes: string, severity: SeverityValue): CatalogEntry {
  return {
    kb, title: `${month} Cumulative Update for ${product} (${kb})`, products: [product], classification: 'SECURITY', severity, releasedAt,
    supersedes: supersedes ? [supersedes] : [],
  };
}

const W11_23H2 = RELEASES[0].product;
const W11_24H2 = RELEASES[1].product;
const W10_22H2 = RELEASES[2].product;
const WS2022 = RELEASES[3].product;

export const CATALOG: readonly CatalogEntry[] = [
  cumulative('KB5041585', '2024-08', AUG_2024, W11_23H2, 'KB5040442', 'CRITICAL'),
  cumulative('KB5041571', '2024-08', AUG_2024, W11_24H2, 'KB5040435', 'CRITICAL'),
  cumulative('KB5041580', '2024-08', AUG_2024, W10_22H2, 'KB5040427', 'CRITICAL'),
  cumulative('KB5041160', '2024-08', AUG_2024, WS2022, 'KB5040437', 'CRITICAL'),
  cumulative('KB5043076', '2024-09', SEP_2024, W11_23H2, 'KB5041585', 'CRITICAL'),
  cumulative('KB5043080', '2024-09', SEP_2024, W11_24H2, '', 'CRITICAL'),
  cumulative('KB5043064', '2024-09', SEP_2024, W10_22H2, 'KB5041580', 'CRITICAL'),
  cumulative('KB5042881', '2024-09', SEP_2024, WS2022, 'KB5041160', 'CRITICAL'),
  cumulative('KB5075941', '2026-02', FEB_2026, W11_23H2, 'KB5073455', 'IMPORTANT'),
  cumulative('KB5077181', '2026-02', FEB_2026, W11_24H2, 'KB5074109', 'IMPORTANT'),
  cumulative('KB5075912', '2026-02', FEB_2026, W10_22H2, 'KB5073724', 'IMPORTANT'),
  cumulative('KB5075906', '2026-02', FEB_2026, WS2022, 'KB5073457', 'IMPORTANT'),
  {
    kb: 'KB890830',
    title: 'Windows Malicious Software Removal Tool x64 - v5.145 (KB890830)',
    products: [W11_23H2, W11_24H2, W10_22H2, WS2022],
    classification: 'UPDATE_ROLLUP',
    severity: 'UNSPECIFIED',
    releasedAt: FEB_2026,
    supersedes: [],
  },
];
