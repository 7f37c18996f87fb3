/**
 * What kind of machine an asset is, as frameworks distinguish them (Essential Eight gives internet-facing servers 48
 * hours where workstations get a month). The rule decides from the operating system; an operator sets what no
 * source can know (that a server faces the internet) by hand, on the asset.
 */
export const ASSET_CLASSES = ['WORKSTATION', 'SERVER', 'INTERNET_FACING_SERVER', 'NETWORK_DEVICE', 'OTHER'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

/** The class the rule gives an OS name: a Windows Server release is a server, anything else a workstation. */
export function assetClassByRule(osName: string | null): AssetClass {
  return osName && /server/i.test(osName) ? 'SERVER' : 'WORKSTATION';
}

/** The same rule as a SQL expression over an asset row aliased `alias`, so aggregates never load assets. */
export function assetClassSql(alias: string): string {
  return `COALESCE(${alias}.assetClassOverride, CASE WHEN LOWER(${alias}.osName) LIKE '%server%' THEN 'SERVER' ELSE 'WORKSTATION' END)`;
}
