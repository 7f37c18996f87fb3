import { AssetFilter } from '../../access/asset.finder';
import { PatchStateFilter } from '../../access/patch-state.finder';
import { SiteFilter } from '../../access/site.finder';
import { TenantScope } from '../../access/tenant-scope';
import { ConnectorInstanceFilter } from '../../access/connector-instance.finder';
import { SyncRunFilter } from '../../access/sync-run.finder';
import { ConnectorInstanceFilterInput, SyncRunFilterInput } from '../inputs/connector.input';
import { AssetFilterInput, PatchStateFilterInput, SiteFilterInput } from '../inputs/filters.input';
import { keysOf } from '../types/global-id';
import { PatchStateView } from '../types/enums';

/**
 * Turns filter inputs (global ids) into finder filters (keys). An explicit tenant filter naming a tenant outside
 * the caller's scope is NOT_FOUND, exactly as for a tenant that does not exist.
 */
function tenantKeys(ids: string[] | null | undefined, field: string, scope: TenantScope): string[] | null {
  const keys = keysOf('Tenant', ids, field);
  if (keys) scope.requireVisible(keys, (k) => ids![keys.indexOf(k)]);
  return keys;
}

export function siteFilter(input: SiteFilterInput | null | undefined, scope: TenantScope): SiteFilter {
  if (!input) return {};
  return { tenantIds: tenantKeys(input.tenantIds, 'filter.tenantIds', scope), nameContains: input.nameContains };
}

/** `field` names the input in errors: `filter` for the assets query, `input.targets.filter` for a change's saved filter. */
export function assetFilter(input: AssetFilterInput | null | undefined, scope: TenantScope, field = 'filter'): AssetFilter {
  if (!input) return {};
  return {
    ...input,
    tenantIds: tenantKeys(input.tenantIds, `${field}.tenantIds`, scope),
    siteIds: keysOf('Site', input.siteIds, `${field}.siteIds`),
  };
}

export function patchStateFilter(input: PatchStateFilterInput | null | undefined, scope: TenantScope): PatchStateFilter {
  if (!input) return { effectiveOnly: true };
  const { view, ...rest } = input;
  return {
    ...rest,
    effectiveOnly: view !== PatchStateView.ALL_SOURCES,
    tenantIds: tenantKeys(input.tenantIds, 'filter.tenantIds', scope),
    assetIds: keysOf('Asset', input.assetIds, 'filter.assetIds'),
    updateIds: keysOf('Update', input.updateIds, 'filter.updateIds'),
  };
}

export function connectorInstanceFilter(input: ConnectorInstanceFilterInput | null | undefined, scope: TenantScope): ConnectorInstanceFilter {
  if (!input) return {};
  return { tenantIds: tenantKeys(input.tenantIds, 'filter.tenantIds', scope), kinds: input.kinds };
}

export function syncRunFilter(input: SyncRunFilterInput | null | undefined, scope: TenantScope): SyncRunFilter {
  if (!input) return {};
  return {
    tenantIds: tenantKeys(input.tenantIds, 'filter.tenantIds', scope),
    connectorInstanceIds: keysOf('ConnectorInstance', input.connectorInstanceIds, 'filter.connectorInstanceIds'),
    statuses: input.statuses,
  };
}
