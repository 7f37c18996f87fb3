/**
 * End of servicing of Windows releases, from Microsoft's lifecycle pages (learn.microsoft.com/lifecycle/products:
 * "Windows 10 Home and Pro", "Windows 11 Home and Pro", "Windows 11 Enterprise and Education", "Windows Server
 * 2012 R2", "Windows Server 2016/2019/2022/2025"; dates as published, checked 2026-12). A release is found by its
 * build number; Enterprise and Education editions of Windows 11 get a year longer, so the edition in the OS name
 * decides. When the OS name does not say (Intune's v1.0 API reports "Windows" and a build, not the edition), a
 * machine between the two dates cannot be judged either way: it is reported as such, never as supported.
 */
export interface WindowsRelease {
  name: string;
  build: number;
  server: boolean;
  /** Last day of servicing for Home/Pro (clients) or the release (servers), YYYY-MM-DD. */
  endOfServicing: string;
  /** Enterprise and Education, when it differs. */
  endOfServicingEnterprise?: string;
}

export const WINDOWS_RELEASES: readonly WindowsRelease[] = [
  { name: 'Windows 10 22H2', build: 19045, server: false, endOfServicing: '2025-10-14' },
  { name: 'Windows 10 21H2', build: 19044, server: false, endOfServicing: '2023-06-13', endOfServicingEnterprise: '2024-06-11' },
  { name: 'Windows 11 21H2', build: 22000, server: false, endOfServicing: '2023-10-10', endOfServicingEnterprise: '2024-10-08' },
  { name: 'Windows 11 22H2', build: 22621, server: false, endOfServicing: '2024-10-08', endOfServicingEnterprise: '2025-10-14' },
  { name: 'Windows 11 23H2', build: 22631, server: false, endOfServicing: '2025-11-11', endOfServicingEnterprise: '2026-11-10' },
  { name: 'Windows 11 24H2', build: 26100, server: false, endOfServicing: '2026-10-13', endOfServicingEnterprise: '2027-10-12' },
  { name: 'Windows 11 25H2', build: 26200, server: false, endOfServicing: '2027-10-12', endOfServicingEnterprise: '2028-10-10' },
  { name: 'Windows Server 2012 R2', build: 9600, server: true, endOfServicing: '2023-10-10' },
  { name: 'Windows Server 2016', build: 14393, server: true, endOfServicing: '2027-01-12' },
  { name: 'Windows Server 2019', build: 17763, server: true, endOfServicing: '2029-01-09' },
  { name: 'Windows Server 2022', build: 20348, server: true, endOfServicing: '2031-10-14' },
  { name: 'Windows Server 2025', build: 26100, server: true, endOfServicing: '2034-10-10' },
];

/** The build number in an OS build or version string: "22631.4037", "10.0.22631.4037", "6.3.9600". */
export function buildNumberOf(osBuild: string | null, osVersion: string | null): number | null {
  for (const text of [osBuild, osVersion]) {
    if (!text) continue;
    const parts = text.split('.').map((p) => Number.parseInt(p, 10));
    const candidate = parts.length >= 3 ? parts[2] : parts[0];
    if (Number.isInteger(candidate) && candidate > 1000) return candidate;
  }
  return null;
}

export interface Servicing {
  release: WindowsRelease;
  /** The last day of security updates for the machine's edition (the end of that day, UTC). */
  endOfServicing: string;
  /** When the edition is not known and editions differ: the latest it could be (Enterprise/Education). */
  endOfServicingIfEnterprise: string | null;
}

/** The release of a machine and when its servicing ends for its edition, or null when the OS is not one we know. */
export function servicingOf(osName: string | null, osBuild: string | null, osVersion: string | null): Servicing | null {
  const build = buildNumberOf(osBuild, osVersion);
  if (build === null) return null;
  const name = osName ?? '';
  const server = /server/i.test(name);
  const release = WINDOWS_RELEASES.find((r) => r.build === build && r.server === server);
  if (!release) return null;
  if (!release.endOfServicingEnterprise || /\b(home|pro)\b/i.test(name)) return { release, endOfServicing: release.endOfServicing, endOfServicingIfEnterprise: null };
  if (/enterprise|education/i.test(name)) return { release, endOfServicing: release.endOfServicingEnterprise, endOfServicingIfEnterprise: null };
  return { release, endOfServicing: release.endOfServicing, endOfServicingIfEnterprise: release.endOfServicingEnterprise };
}

export type SupportAt = 'SUPPORTED' | 'UNSUPPORTED' | 'EDITION_UNKNOWN';

/**
 * Whether the OS was serviced at `asOf`, ESU (the date an asset is covered until) included. EDITION_UNKNOWN: past the
 * Home/Pro date but within the Enterprise/Education one, with no edition to tell which applies.
 */
export function supportAt(servicing: Servicing | null, esuUntil: string | null, asOf: Date): SupportAt {
  if (!servicing) return 'SUPPORTED';
  const endOf = (day: string) => new Date(`${day}T23:59:59.999Z`).getTime();
  const esu = esuUntil ? endOf(esuUntil) : 0;
  if (asOf.getTime() <= Math.max(endOf(servicing.endOfServicing), esu)) return 'SUPPORTED';
  if (servicing.endOfServicingIfEnterprise && asOf.getTime() <= endOf(servicing.endOfServicingIfEnterprise)) return 'EDITION_UNKNOWN';
  return 'UNSUPPORTED';
}

/** Whether the OS was surely out of servicing at `asOf`. */
export function unsupportedAt(servicing: Servicing | null, esuUntil: string | null, asOf: Date): boolean {
  return supportAt(servicing, esuUntil, asOf) === 'UNSUPPORTED';
}
