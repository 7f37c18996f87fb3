/**
 * A change's saved asset filter: checking one given for a change of a tenant, and converting between the finder's
 * form (keys, Dates) and the form kept in the change's targets JSON (keys, ISO strings, only the criteria given).
 * Whether its sites belong to the tenant needs the database; change-admin.ts checks that.
 */
import { ChangeTargetFilter } from '../entities/change-request.entity';
import { AssetStatus, Severity } from '../entities/enums';
import { UserInputError } from '../errors';
import { AssetFilter } from './asset.finder';

const FIELD = 'input.targets.filter';
const MAX_TEXT = { osNameContains: 128, hostnameContains: 255 } as const;
const MAX_SITES = 500;

/**
 * The filter as it is kept. Refused: tenants other than the change's own (a change's targets are in its tenant),
 * empty lists (they would match nothing), and a filter with no criterion at all: that would quietly mean every
 * asset of the tenant, so it must be said explicitly by giving the change's tenant in tenantIds.
 */
export function checkTargetFilter(f: AssetFilter, tenantId: string): ChangeTargetFilter {
  const kept: ChangeTargetFilter = {};
  if (f.tenantIds != null) {
    if (f.tenantIds.length === 0 || f.tenantIds.some((t) => t !== tenantId)) {
      throw new UserInputError(`${FIELD}.tenantIds`, "a change's targets are in its own tenant: give only the change's tenant (meaning every asset of it), or leave tenantIds out");
    }
    kept.tenantIds = [tenantId];
  }
  if (f.siteIds != null) {
    if (f.siteIds.length === 0) throw new UserInputError(`${FIELD}.siteIds`, 'name at least one site, or leave siteIds out');
    if (f.siteIds.length > MAX_SITES) throw new UserInputError(`${FIELD}.siteIds`, `must hold at most ${MAX_SITES} sites`);
    kept.siteIds = [...new Set(f.siteIds)];
  }
  for (const name of ['osNameContains', 'hostnameContains'] as const) {
    const text = f[name]?.trim();
    if (!text) continue;
    if ([...text].length > MAX_TEXT[name]) throw new UserInputError(`${FIELD}.${name}`, `must be at most ${MAX_TEXT[name]} characters`);
    kept[name] = text;
  }
  if (f.lastSeenBefore) kept.lastSeenBefore = f.lastSeenBefore.toISOString();
  if (f.lastSeenAfter) kept.lastSeenAfter = f.lastSeenAfter.toISOString();
  if (f.status) kept.status = f.status;
  if (f.hasMissingUpdates != null) kept.hasMissingUpdates = f.hasMissingUpdates;
  if (f.missingSeverities != null) {
    if (f.missingSeverities.length === 0) throw new UserInputError(`${FIELD}.missingSeverities`, 'name at least one severity, or leave missingSeverities out');
    kept.missingSeverities = [...new Set(f.missingSeverities)];
  }
  if (Object.keys(kept).length === 0) {
    throw new UserInputError(FIELD, "an empty filter would match every asset of the tenant; to mean that, give the change's tenant in tenantIds");
  }
  return kept;
}

/** The kept filter as the asset finder's conditions (applyAssetFilter). */
export function assetFilterOf(kept: ChangeTargetFilter): AssetFilter {
  return {
    tenantIds: kept.tenantIds ?? null,
    siteIds: kept.siteIds ?? null,
    osNameContains: kept.osNameContains ?? null,
    hostnameContains: kept.hostnameContains ?? null,
    lastSeenBefore: kept.lastSeenBefore ? new Date(kept.lastSeenBefore) : null,
    lastSeenAfter: kept.lastSeenAfter ? new Date(kept.lastSeenAfter) : null,
    status: (kept.status as AssetStatus | undefined) ?? null,
    hasMissingUpdates: kept.hasMissingUpdates ?? null,
    missingSeverities: (kept.missingSeverities as Severity[] | undefined) ?? null,
  };
}
