/**
 * Windows versions as Intune reports them: `osVersion` is "10.0.<build>.<revision>", where the build names the
 * release (22631 is Windows 11 23H2) and the revision (UBR) rises with every cumulative update.
 */

export interface WindowsBuild {
  major: number;
  minor: number;
  /** The release's build number, e.g. 22631. */
  build: number;
  /** The update build revision (UBR), e.g. 4169. */
  revision: number;
}

/** "10.0.22631.4169" → its parts; anything else (iOS "17.5.1", a bare "10.0.22631") → null. */
export function parseWindowsVersion(osVersion: string | null | undefined): WindowsBuild | null {
  const m = /^\s*(\d+)\.(\d+)\.(\d+)\.(\d+)\s*$/.exec(osVersion ?? '');
  if (!m) return null;
  const [major, minor, build, revision] = m.slice(1).map(Number);
  return { major, minor, build, revision };
}

/** "22631.4169", the form the asset's osBuild takes across every source. */
export const buildText = (b: WindowsBuild): string => `${b.build}.${b.revision}`;

// Releases Intune commonly manages. Only names for people: derivation goes by build number, never by these.
const RELEASES: Record<number, string> = {
  17763: 'Windows 10 1809',
  19044: 'Windows 10 21H2',
  19045: 'Windows 10 22H2',
  20348: 'Windows Server 2022',
  22000: 'Windows 11 21H2',
  22621: 'Windows 11 22H2',
  22631: 'Windows 11 23H2',
  26100: 'Windows 11 24H2',
  26200: 'Windows 11 25H2',
};

/** "Windows 11 23H2" for a known build, else "Windows 10"/"Windows 11" by Microsoft's 22000 boundary. */
export function releaseName(b: WindowsBuild): string {
  return RELEASES[b.build] ?? (b.major === 10 && b.build >= 22000 ? 'Windows 11' : 'Windows 10');
}

/** The OS name without the release: Windows 11 starts at build 22000 although its version still says 10.0. */
export function windowsName(b: WindowsBuild): string {
  if (b.build === 20348) return 'Windows Server 2022';
  return b.major === 10 && b.build >= 22000 ? 'Windows 11' : 'Windows 10';
}
