/**
 * The Windows releases a WSUS server sees, with the names each part of WSUS gives them: the bundled catalog's product
 * name (to find a release's cumulative updates and fixed builds), the WSUS product category an update is filed under,
 * and the words Microsoft puts into update titles. They differ on purpose: that is how the real data looks.
 */
export type Role = 'server' | 'workstation';

export interface WindowsRelease {
  /** The release's build number, 22631: vComputerTarget's OSBuildNumber. */
  build: number;
  /**
   * The build the Windows Update agent's version carries (vComputerTarget's ClientVersion, 10.0.<agentBuild>.<UBR>).
   * Releases delivered as an enablement package run their base release's binaries, agent included: 22H2 (19045)
   * runs 2004's (19041), Windows 11 23H2 (22631) 22H2's (22621), 25H2 (26200) 24H2's (26100).
   */
  agentBuild: number;
  /** "Windows 11 Version 23H2", for people. */
  name: string;
  role: Role;
  /** The bundled catalog's product name, or null when the catalog has none of its updates. */
  catalogProduct: string | null;
  /** The WSUS product category (vCategory, CategoryType "Product") its updates are filed under. */
  wsusProduct: string;
  /** Its driver category, null for servers (WSUS serves them no drivers here). */
  driverProduct: string | null;
  /** As cumulative update titles name it: "Windows 11 Version 23H2", "Microsoft server operating system version 21H2". */
  inTitle: string;
  /** As .NET Framework update titles name it, with the .NET versions it carries. */
  dotNetTitle: string;
  /** A plausible revision for a machine when the catalog has no cumulative update of the release. */
  typicalRevision: number;
}

const WIN10 = 'Windows 10, version 1903 and later';
const WIN11 = 'Windows 11';
const WIN10_DRIVERS = 'Windows 10, version 1903 and later, Servicing Drivers';
const WIN11_DRIVERS = 'Windows 11 Client, version 22H2 and later, Servicing Drivers';

export const RELEASES: readonly WindowsRelease[] = [
  {
    build: 20348, agentBuild: 20348, name: 'Windows Server 2022', role: 'server', catalogProduct: 'Windows Server 2022', wsusProduct: 'Microsoft Server operating system-21H2',
    driverProduct: null, inTitle: 'Microsoft server operating system version 21H2', dotNetTitle: '.NET Framework 3.5, 4.8 and 4.8.1 for Microsoft server operating system version 21H2', typicalRevision: 2849,
  },
  {
    build: 19045, agentBuild: 19041, name: 'Windows 10 Version 22H2', role: 'workstation', catalogProduct: 'Windows 10 Version 22H2 for x64-based Systems', wsusProduct: WIN10,
    driverProduct: WIN10_DRIVERS, inTitle: 'Windows 10 Version 22H2', dotNetTitle: '.NET Framework 3.5, 4.8 and 4.8.1 for Windows 10 Version 22H2', typicalRevision: 5011,
  },
  {
    build: 22621, agentBuild: 22621, name: 'Windows 11 Version 22H2', role: 'workstation', catalogProduct: 'Windows 11 Version 22H2 for x64-based Systems', wsusProduct: WIN11,
    driverProduct: WIN11_DRIVERS, inTitle: 'Windows 11 Version 22H2', dotNetTitle: '.NET Framework 3.5 and 4.8.1 for Windows 11, version 22H2', typicalRevision: 4317,
  },
  {
    build: 22631, agentBuild: 22621, name: 'Windows 11 Version 23H2', role: 'workstation', catalogProduct: 'Windows 11 Version 23H2 for x64-based Systems', wsusProduct: WIN11,
    driverProduct: WIN11_DRIVERS, inTitle: 'Windows 11 Version 23H2', dotNetTitle: '.NET Framework 3.5 and 4.8.1 for Windows 11, version 23H2', typicalRevision: 4317,
  },
  {
    // From 24H2 on, Microsoft writes "Windows 11, version 24H2" in titles.
    build: 26100, agentBuild: 26100, name: 'Windows 11 Version 24H2', role: 'workstation', catalogProduct: 'Windows 11 Version 24H2 for x64-based Systems', wsusProduct: WIN11,
    driverProduct: WIN11_DRIVERS, inTitle: 'Windows 11, version 24H2', dotNetTitle: '.NET Framework 3.5 and 4.8.1 for Windows 11, version 24H2', typicalRevision: 2314,
  },
  {
    build: 26200, agentBuild: 26100, name: 'Windows 11 Version 25H2', role: 'workstation', catalogProduct: 'Windows 11 Version 25H2 for x64-based Systems', wsusProduct: WIN11,
    driverProduct: WIN11_DRIVERS, inTitle: 'Windows 11, version 25H2', dotNetTitle: '.NET Framework 3.5 and 4.8.1 for Windows 11, version 25H2', typicalRevision: 6899,
  },
];

const BY_BUILD = new Map(RELEASES.map((r) => [r.build, r]));

/** The release of build `build`; a build the simulator does not model gets a bare one with no updates of its own. */
export function releaseOf(build: number): WindowsRelease {
  const known = BY_BUILD.get(build);
  if (known) return known;
  const name = build >= 22000 ? 'Windows 11' : 'Windows 10';
  return {
    build, agentBuild: build, name: `${name} (build ${build})`, role: 'workstation', catalogProduct: null, wsusProduct: build >= 22000 ? WIN11 : WIN10,
    driverProduct: null, inTitle: name, dotNetTitle: `.NET Framework 4.8 for ${name}`, typicalRevision: 1000,
  };
}

/** The releases seeded workstations run, and how common each is in a 2026 fleet. */
export const WORKSTATION_MIX: ReadonlyArray<readonly [number, number]> = [
  [22631, 30],
  [26100, 35],
  [19045, 20],
  [26200, 10],
  [22621, 5],
];

/** "22631.4169" or "10.0.22631.4169" → build and revision. */
export function parseOsBuild(text: string): { build: number; revision: number } | null {
  const m = /^\s*(?:10\.0\.)?(\d{4,5})\.(\d{1,5})\s*$/.exec(text);
  return m ? { build: Number(m[1]), revision: Number(m[2]) } : null;
}
