/**
 * Where a device belongs, read from its record. A record says it with two fields, one job each: `tenantKey` (the
 * vendor's organisation or customer, which an account-wide instance's mapping sends to a tenant) and `site` (its
 * location, matched to a Site). The deprecated `vendorSiteId`/`vendorSite` did both jobs at once, and still mean
 * exactly what they meant: given alone, they are the mapping key and the site together.
 *
 * The engine stores a device in the columns it always had: `vendorSiteId` holds the key the instance's site mapping
 * is keyed by (the tenant key for an account-wide instance; the site's id for a tenant's own), `vendorSite` the
 * site's name, matched to a tenant's Site by name. So a connector still on the old fields writes what it wrote.
 */
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { SyncDataError } from './read-source';

export interface Placement {
  /** The account-wide mapping key, and the name operators see when they map it. */
  tenantKey: string | null;
  tenantName: string | null;
  siteId: string | null;
  siteName: string | null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

function checkText(d: DeviceRecord, field: string, value: unknown): void {
  if (value !== undefined && value !== null && typeof value !== 'string') throw new SyncDataError(`device ${d.externalId}: ${field} is not text`);
}

/** What the record says, new fields first; a deprecated field fills only the job no new field was given for. */
export function placementOf(d: DeviceRecord): Placement {
  checkText(d, 'tenantKey', d.tenantKey);
  checkText(d, 'tenantName', d.tenantName);
  checkText(d, 'vendorSiteId', d.vendorSiteId);
  checkText(d, 'vendorSite', d.vendorSite);
  if (d.site !== undefined && d.site !== null) {
    if (typeof d.site !== 'object' || Array.isArray(d.site)) throw new SyncDataError(`device ${d.externalId}: site is not an object with an id and a name`);
    checkText(d, 'site.id', d.site.id);
    checkText(d, 'site.name', d.site.name);
  }
  const legacyKey = text(d.vendorSiteId);
  const legacyName = text(d.vendorSite);
  const newKey = text(d.tenantKey);
  const tenantKey = newKey ?? legacyKey;
  const tenantName = newKey ? text(d.tenantName) : (text(d.tenantName) ?? legacyName);
  const site = d.site === undefined ? { id: legacyKey, name: legacyName } : { id: text(d.site?.id), name: text(d.site?.name) };
  return { tenantKey, tenantName, siteId: site.id, siteName: site.name };
}

/**
 * The record as the engine applies it: the mapping key and site name in the stored columns, the new fields folded
 * in, so applying it again (an account-wide run applies each tenant's part) places it the same way.
 */
export function placeDevice(d: DeviceRecord, accountWide: boolean): DeviceRecord {
  const p = placementOf(d);
  const { tenantKey: _key, site: _site, ...rest } = d;
  return { ...rest, vendorSiteId: accountWide ? p.tenantKey : p.siteId, vendorSite: p.siteName, tenantName: p.tenantName };
}
