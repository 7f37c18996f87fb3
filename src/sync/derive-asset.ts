/**
 * An asset's own fields are derived from its source devices, so they stay consistent however devices merge, split
 * or go stale. Each field comes from the freshest live source that has it (names and OS fields alike, field by
 * field); a usable serial wins over a placeholder.
 */
import { Asset, Site, SourceDevice } from '../entities';
import { AssetStatus } from '../entities/enums';
import { normaliseSerial } from '../identity/normalise';

const firstLabel = (name: string | null): string | null => {
  const label = name?.trim().split('.')[0]?.trim();
  return label ? label : null;
};

/** Dropped by its source (stale) or not heard from for too long (inactive): either way not a current report. */
export const outOfDate = (s: Pick<SourceDevice, 'stale' | 'inactive'>): boolean => s.stale || s.inactive;

function freshestFirst(a: SourceDevice, b: SourceDevice): number {
  if (outOfDate(a) !== outOfDate(b)) return outOfDate(a) ? 1 : -1;
  const ta = a.lastCheckInAt?.getTime() ?? -Infinity;
  const tb = b.lastCheckInAt?.getTime() ?? -Infinity;
  if (ta !== tb) return tb - ta;
  // Then the source known longest: adding a tool must not rename an asset unless the new tool is fresher.
  if (a.firstSeenAt.getTime() !== b.firstSeenAt.getTime()) return a.firstSeenAt.getTime() - b.firstSeenAt.getTime();
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export type DerivedAssetFields = Pick<Asset, 'hostname' | 'fqdn' | 'serialNumber' | 'manufacturer' | 'model' | 'osName' | 'osVersion' | 'osBuild' | 'status' | 'lastSeenAt' | 'siteId'>;

export const DERIVED_FIELDS: ReadonlyArray<keyof DerivedAssetFields> = [
  'hostname', 'fqdn', 'serialNumber', 'manufacturer', 'model', 'osName', 'osVersion', 'osBuild', 'status', 'lastSeenAt', 'siteId',
];

/**
 * `sites` are the tenant's sites. When the asset has no site yet, a source's mapped site (an operator's choice for
 * its vendor site) picks it, else the source's vendor site name matched to a site name.
 */
export function deriveAsset(sources: SourceDevice[], currentSiteId: string | null, sites: Site[], mappedSite: (s: SourceDevice) => string | undefined = () => undefined): DerivedAssetFields {
  const ordered = [...sources].sort(freshestFirst);
  const pick = <T>(f: (s: SourceDevice) => T | null | undefined): T | null => {
    for (const s of ordered) {
      const v = f(s);
      if (v !== null && v !== undefined && v !== '') return v;
    }
    return null;
  };
  const checkIns = ordered.map((s) => s.lastCheckInAt?.getTime() ?? s.firstSeenAt.getTime());
  const siteByName = new Map(sites.map((s) => [s.name.toLowerCase(), s.id]));
  return {
    // A host name a tool reports as such beats one cut from another tool's FQDN (WSUS knows only lower-case FQDNs).
    hostname: pick((s) => firstLabel(s.hostname)) ?? pick((s) => firstLabel(s.fqdn)) ?? ordered[0].externalId,
    fqdn: pick((s) => s.fqdn ?? (s.hostname?.includes('.') ? s.hostname : null)),
    serialNumber: pick((s) => (normaliseSerial(s.serialNumber) ? s.serialNumber!.trim() : null)),
    manufacturer: pick((s) => s.manufacturer),
    model: pick((s) => s.model),
    // Field by field: the freshest source often reports an OS name but no build (Datto), and must not blank it.
    osName: pick((s) => s.osName),
    osVersion: pick((s) => s.osVersion),
    osBuild: pick((s) => s.osBuild),
    status: ordered.every(outOfDate) ? AssetStatus.STALE : AssetStatus.ACTIVE,
    lastSeenAt: new Date(Math.max(...checkIns)),
    siteId: currentSiteId ?? pick((s) => mappedSite(s) ?? (s.vendorSite ? siteByName.get(s.vendorSite.trim().toLowerCase()) : null)),
  };
}

export function sameDerived(asset: Asset, derived: DerivedAssetFields): boolean {
  return DERIVED_FIELDS.every((f) => {
    const a = asset[f];
    const b = derived[f];
    if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
    return (a ?? null) === (b ?? null);
  });
}
