import { DataSource } from 'typeorm';
import { loadBundledCatalog, BundledCatalog } from '../../src/catalog/bundled-catalog';
import { Asset, ConnectorInstance, PatchState, Site, SourceDevice, Tenant } from '../../src/entities';
import { AssetStatus, EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { insertRows } from '../../src/db/insert-rows';

export const T0 = new Date('2026-11-01T09:30:00.123Z');

/** Small builders that insert rows directly, for tests that need data without running a sync. */
export class Factory {
  private n = 0;
  constructor(private readonly ds: DataSource) {}

  async tenant(name = `Tenant ${++this.n}`): Promise<Tenant> {
    const t = Object.assign(new Tenant(), { id: newId(), name, createdAt: T0, updatedAt: T0 });
    await insertRows(this.ds.manager, Tenant, [t]);
    return t;
  }

  async site(tenant: Tenant, name = `Site ${++this.n}`): Promise<Site> {
    const s = Object.assign(new Site(), { id: newId(), tenantId: tenant.id, name, createdAt: T0, updatedAt: T0 });
    await insertRows(this.ds.manager, Site, [s]);
    return s;
  }

  async connector(tenant: Tenant, kind = 'intune'): Promise<ConnectorInstance> {
    const c = Object.assign(new ConnectorInstance(), {
      id: newId(), tenantId: tenant.id, kind, name: `${kind} ${++this.n}`, settingsJson: '{}', secretsCiphertext: null,
      syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: T0, updatedAt: T0,
    });
    await insertRows(this.ds.manager, ConnectorInstance, [c]);
    return c;
  }

  /** Builds assets without inserting them; insert many at once with `insertAssets`. */
  asset(tenant: Tenant, fields: Partial<Asset> = {}): Asset {
    const i = ++this.n;
    return Object.assign(new Asset(), {
      id: newId(), tenantId: tenant.id, siteId: null, hostname: `HOST-${String(i).padStart(5, '0')}`, fqdn: null,
      serialNumber: null, manufacturer: null, model: null, osName: 'Windows 11 Pro', osVersion: '23H2', osBuild: '22631.4037', status: AssetStatus.ACTIVE,
      lastSeenAt: new Date(T0.getTime() - i * 60_000), createdAt: T0, updatedAt: T0, ...fields,
    });
  }

  async insertAssets(assets: Asset[]): Promise<Asset[]> {
    await insertRows(this.ds.manager, Asset, assets);
    return assets;
  }

  source(asset: Asset, connector: ConnectorInstance, fields: Partial<SourceDevice> = {}): SourceDevice {
    return Object.assign(new SourceDevice(), {
      id: newId(), tenantId: asset.tenantId, connectorInstanceId: connector.id, assetId: asset.id, externalId: newId(),
      hostname: asset.hostname, fqdn: null, serialNumber: null, azureAdDeviceId: null, smbiosUuid: null, macAddresses: [],
      osName: asset.osName, osVersion: asset.osVersion, osBuild: asset.osBuild, lastCheckInAt: asset.lastSeenAt, enrolledAt: null, vendorSite: null,
      manufacturer: asset.manufacturer, model: asset.model, ownership: null, inactive: false, attributes: null,
      postureStatus: null, postureApprovedPending: null, postureNotApproved: null, postureInstalled: null, vendorSiteId: null, revision: null,
      payloadDigest: null, matchedBy: null, pinnedAssetId: null, forbiddenAssetIds: null, stale: false, firstSeenAt: T0, lastSeenAt: T0,
      ...fields,
    });
  }

  patchState(source: SourceDevice, updateId: string, state: PatchStateValue): PatchState {
    return Object.assign(new PatchState(), {
      id: newId(), tenantId: source.tenantId, assetId: source.assetId!, sourceDeviceId: source.id, updateId, state,
      evidence: EvidenceKind.DERIVED, firstSeenMissingAt: state === PatchStateValue.INSTALLED ? null : T0,
      installedAt: state === PatchStateValue.INSTALLED ? T0 : null, changedAt: T0, observedAt: T0, effective: true,
    });
  }

  async insert<T extends object>(entity: new () => T, rows: T[]): Promise<void> {
    await insertRows(this.ds.manager, entity, rows);
  }

  /** The real Microsoft catalog subset shipped with the demo (connectors/shared/microsoft/data), as patchgraph learnt it at `at`. */
  catalog(at = T0): Promise<BundledCatalog> {
    return this.ds.transaction((m) => loadBundledCatalog(m, at));
  }
}
