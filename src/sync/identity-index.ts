/**
 * The candidates identity resolution needs, indexed by every normalised identifier, so a device is compared only
 * with the assets that share something with it (not with every asset of the tenant).
 */
import { AssetIdentity, DeviceIdentity } from '../identity/match';
import { normaliseAzureAdId, normaliseHostname, normaliseMac, normaliseSerial, normaliseSmbiosUuid } from '../identity/normalise';
import { SourceDevice } from '../entities';
import type { IDENTITY_COLUMNS } from './apply/device-columns';

export function identityOf(d: Pick<SourceDevice, 'tenantId' | 'externalId' | 'connectorInstanceId' | (typeof IDENTITY_COLUMNS)[number]>): DeviceIdentity {
  return {
    tenantId: d.tenantId,
    sourceId: d.externalId,
    connectorInstanceId: d.connectorInstanceId,
    azureAdDeviceId: d.azureAdDeviceId,
    serialNumber: d.serialNumber,
    smbiosUuid: d.smbiosUuid,
    macAddresses: d.macAddresses,
    hostname: d.hostname,
    fqdn: d.fqdn,
  };
}

/** Every normalised identifier of a device, prefixed by kind so values of different kinds never collide. */
export function identityKeys(d: DeviceIdentity): string[] {
  const keys: string[] = [];
  const aad = normaliseAzureAdId(d.azureAdDeviceId);
  if (aad) keys.push(`aad:${aad}`);
  const serial = normaliseSerial(d.serialNumber);
  if (serial) keys.push(`serial:${serial}`);
  const uuid = normaliseSmbiosUuid(d.smbiosUuid);
  if (uuid) keys.push(`uuid:${uuid}`);
  for (const m of d.macAddresses ?? []) {
    const mac = normaliseMac(m);
    if (mac) keys.push(`mac:${mac}`);
  }
  const host = normaliseHostname(d.hostname) ?? normaliseHostname(d.fqdn);
  if (host) keys.push(`host:${host}`);
  return keys;
}

export class IdentityIndex {
  private readonly sourcesByAsset = new Map<string, Map<string, DeviceIdentity>>();
  private readonly assetsByKey = new Map<string, Set<string>>();

  constructor(private readonly tenantId: string) {}

  private static sourceKey(d: DeviceIdentity): string {
    return `${d.connectorInstanceId}\u0000${d.sourceId}`;
  }

  add(assetId: string, device: DeviceIdentity): void {
    const sources = this.sourcesByAsset.get(assetId) ?? new Map<string, DeviceIdentity>();
    sources.set(IdentityIndex.sourceKey(device), device);
    this.sourcesByAsset.set(assetId, sources);
    for (const key of identityKeys(device)) {
      const set = this.assetsByKey.get(key) ?? new Set<string>();
      set.add(assetId);
      this.assetsByKey.set(key, set);
    }
  }

  /** Forgets one source of an asset (before it is re-resolved or moved). Stale keys are harmless: candidates are re-checked. */
  remove(assetId: string, device: DeviceIdentity): void {
    this.sourcesByAsset.get(assetId)?.delete(IdentityIndex.sourceKey(device));
  }

  /** Same-tenant assets sharing at least one identifier with the device. */
  candidatesFor(device: DeviceIdentity): AssetIdentity[] {
    const ids = new Set<string>();
    for (const key of identityKeys(device)) for (const id of this.assetsByKey.get(key) ?? []) ids.add(id);
    return [...ids]
      .map((assetId) => ({ assetId, tenantId: this.tenantId, sources: [...(this.sourcesByAsset.get(assetId)?.values() ?? [])] }))
      .filter((a) => a.sources.length > 0);
  }

  sourceCount(assetId: string): number {
    return this.sourcesByAsset.get(assetId)?.size ?? 0;
  }
}
