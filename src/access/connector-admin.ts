/**
 * Creating and changing connector instances. Settings are validated by the connector's own config class; secrets
 * are encrypted (bound to the instance id) before they reach the database and appear in no audit event, log line
 * or API answer — only the names of the secrets that are set are ever shown.
 */
import { DataSource } from 'typeorm';
import { connectorDefinition } from '../../connectors/registry';
import { parseConfig, secretNames, splitSecrets } from '../../connectors/sdk/config';
import type { ConnectorDefinition } from '../../connectors/sdk/contract';
import { ConfigError } from '../../connectors/sdk/errors';
import { appendAudit } from '../audit/audit-log';
import { insertRows } from '../db/insert-rows';
import { inTransaction } from '../db/transaction';
import { ConnectorInstance, Site, Tenant, VendorSite } from '../entities';
import { ForbiddenError, NotFoundError, UserInputError } from '../errors';
import { SecretBox } from '../secrets/secret-box';
import { rawSettings } from '../sync/instance-config';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { cleanName } from '../util/names';
import { Actor } from './tenant-admin';
import { TenantScope } from './tenant-scope';

export interface NewConnectorInstance {
  tenantId: string | null;
  kind: string;
  name: string;
  /** Public settings and secrets together, as the connector's config class names them. */
  settings: Record<string, unknown>;
  syncIntervalSeconds?: number | null;
  enabled?: boolean;
}

export interface ConnectorInstanceChange {
  id: string;
  name?: string;
  /** Merged into the stored settings; a secret given here replaces the stored one, null removes a setting. */
  settings?: Record<string, unknown>;
  syncIntervalSeconds?: number | null;
  enabled?: boolean;
}

export class ConnectorAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
    private readonly actor: Actor,
    private readonly secrets: SecretBox,
  ) {}

  /** The names of the secrets an instance has set; their values never leave the server. */
  secretsSet(instance: ConnectorInstance): string[] {
    const definition = connectorDefinition(instance.kind);
    if (!definition || !instance.secretsCiphertext) return [];
    try {
      const stored = this.secrets.decrypt(instance.secretsCiphertext, instance.id);
      return secretNames(definition.configClass).filter((n) => stored[n] !== undefined && stored[n] !== null && stored[n] !== '');
    } catch {
      return [];
    }
  }

  async create(input: NewConnectorInstance): Promise<ConnectorInstance> {
    const definition = connectorDefinition(input.kind);
    if (!definition) throw new UserInputError('input.kind', `no connector of kind "${input.kind}" is installed`);
    if (input.tenantId === null && !this.scope.all) throw new ForbiddenError('Only a principal with access to all tenants can create an MSP-wide connector instance');
    const settings = this.validate(definition, input.settings);
    this.checkSchedule(definition, settings, input.syncIntervalSeconds ?? null);
    const now = this.clock.now();
    const id = newId();
    const instance = Object.assign(new ConnectorInstance(), {
      id, tenantId: input.tenantId, kind: definition.kind, name: cleanName('input.name', input.name), ...this.encode(id, definition.configClass, settings),
      syncIntervalSeconds: input.syncIntervalSeconds ?? null, enabled: input.enabled ?? true, cursors: null, createdAt: now, updatedAt: now,
    });
    return inTransaction(this.dataSource, async (m) => {
      if (input.tenantId !== null) {
        const tenant = await m.findOneBy(Tenant, { id: input.tenantId });
        if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', input.tenantId);
      }
      await insertRows(m, ConnectorInstance, [instance]);
      await appendAudit(m, {
        tenantId: input.tenantId, actor: this.actor.label, action: 'connector.create', targetType: 'ConnectorInstance', targetId: id,
        data: { kind: instance.kind, name: instance.name, settings: JSON.parse(instance.settingsJson), secretsSet: Object.keys(splitSecrets(definition.configClass, settings).secrets) },
        occurredAt: now,
      });
      return instance;
    });
  }

  async update(change: ConnectorInstanceChange): Promise<ConnectorInstance> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const instance = await m.findOneBy(ConnectorInstance, { id: change.id });
      if (!instance || !this.visible(instance)) throw new NotFoundError('ConnectorInstance', change.id);
      const definition = connectorDefinition(instance.kind);
      if (!definition) throw new UserInputError('input.id', `no connector of kind "${instance.kind}" is installed`);
      const audit: Record<string, unknown> = {};
      if (change.settings) {
        const merged: Record<string, unknown> = { ...rawSettings(instance, this.secrets) };
        for (const [k, v] of Object.entries(change.settings)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        const settings = this.validate(definition, merged);
        Object.assign(instance, this.encode(instance.id, definition.configClass, settings));
        // A new source or account makes the stored cursors meaningless; the next run reads everything.
        instance.cursors = null;
        const secret = new Set(secretNames(definition.configClass));
        audit.settingsChanged = Object.keys(change.settings).filter((k) => !secret.has(k));
        audit.secretsChanged = Object.keys(change.settings).filter((k) => secret.has(k));
      }
      if (change.name !== undefined) instance.name = audit.name = cleanName('input.name', change.name);
      if (change.syncIntervalSeconds !== undefined) instance.syncIntervalSeconds = audit.syncIntervalSeconds = change.syncIntervalSeconds;
      this.checkSchedule(definition, rawSettings(instance, this.secrets), instance.syncIntervalSeconds);
      if (change.enabled !== undefined) instance.enabled = audit.enabled = change.enabled;
      instance.updatedAt = now;
      await m.getRepository(ConnectorInstance).update(
        { id: instance.id },
        {
          name: instance.name, settingsJson: instance.settingsJson, secretsCiphertext: instance.secretsCiphertext, cursors: instance.cursors,
          syncIntervalSeconds: instance.syncIntervalSeconds, enabled: instance.enabled, updatedAt: now,
        },
      );
      await appendAudit(m, {
        tenantId: instance.tenantId, actor: this.actor.label, action: 'connector.update', targetType: 'ConnectorInstance', targetId: instance.id,
        data: audit, occurredAt: now,
      });
      return instance;
    });
  }

  /**
   * Forgets the time of the last snapshot a WSUS instance applied, so the next upload is accepted whatever its
   * date: the way out when a snapshot dated in the future (a collector with a wrong clock) made every real one
   * look stale. The graph itself is untouched; the next snapshot is applied in full, as always.
   */
  async resetIngestWatermark(id: string): Promise<ConnectorInstance> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const instance = await m.findOneBy(ConnectorInstance, { id });
      if (!instance || !this.visible(instance)) throw new NotFoundError('ConnectorInstance', id);
      if (instance.kind !== 'wsus') throw new UserInputError('connectorInstanceId', `only WSUS instances take uploaded snapshots; this one is ${instance.kind}`);
      let watermark: string | null = null;
      try {
        watermark = (JSON.parse(instance.cursors ?? '{}') as { devices?: string }).devices ?? null;
      } catch {
        // An unreadable cursor is reset all the same.
      }
      instance.cursors = null;
      instance.updatedAt = now;
      await m.getRepository(ConnectorInstance).update({ id: instance.id }, { cursors: null, updatedAt: now });
      await appendAudit(m, {
        tenantId: instance.tenantId, actor: this.actor.label, action: 'connector.reset_ingest_watermark', targetType: 'ConnectorInstance', targetId: instance.id,
        data: { watermarkBefore: watermark }, occurredAt: now,
      });
      return instance;
    });
  }

  /** The vendor sites of an instance the caller may see, unmapped ones first, then by name. */
  async vendorSites(instance: ConnectorInstance, unmappedOnly: boolean): Promise<VendorSite[]> {
    if (!this.visible(instance)) return [];
    const sites = await this.dataSource.getRepository(VendorSite).find({ where: { connectorInstanceId: instance.id }, order: { name: 'ASC', id: 'ASC' } });
    const waiting = (s: VendorSite) => !s.tenantId && !s.ignored && !s.deletedDevicesSite;
    return sites.filter((s) => !unmappedOnly || waiting(s)).sort((a, b) => Number(waiting(b)) - Number(waiting(a)));
  }

  /**
   * Says where the devices of one vendor site of an MSP-wide instance belong: a tenant (and optionally one of its
   * sites), nowhere yet (tenantId null), or nowhere ever (ignored). Takes effect at the next sync.
   */
  async mapVendorSite(change: { id: string; tenantId: string | null; siteId: string | null; ignored: boolean }): Promise<VendorSite> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const site = await m.findOneBy(VendorSite, { id: change.id });
      const instance = site ? await m.findOneBy(ConnectorInstance, { id: site.connectorInstanceId }) : null;
      if (!site || !instance || !this.visible(instance)) throw new NotFoundError('VendorSite', change.id);
      // Its devices are deleted at the source: mapping or ignoring it could only import machines that are gone.
      if (site.deletedDevicesSite) throw new UserInputError('input.vendorSiteId', `"${site.name}" is the vendor's site for deleted devices; it is never mapped to a tenant or ignored`);
      if (change.tenantId && !(await m.findOneBy(Tenant, { id: change.tenantId }))) throw new NotFoundError('Tenant', change.tenantId);
      if (change.siteId) {
        const target = await m.findOneBy(Site, { id: change.siteId });
        if (!target) throw new NotFoundError('Site', change.siteId);
        if (target.tenantId !== change.tenantId) throw new UserInputError('input.siteId', 'must be a site of the tenant given in tenantId');
      }
      if (change.ignored && change.tenantId) throw new UserInputError('input.ignored', 'an ignored site cannot be mapped to a tenant; give one or the other');
      const before = { tenantId: site.tenantId, siteId: site.siteId, ignored: site.ignored };
      Object.assign(site, { tenantId: change.tenantId, siteId: change.siteId, ignored: change.ignored });
      await m.getRepository(VendorSite).update({ id: site.id }, { tenantId: site.tenantId, siteId: site.siteId, ignored: site.ignored });
      const after = { tenantId: site.tenantId, siteId: site.siteId, ignored: site.ignored };
      const entry = { actor: this.actor.label, action: 'connector.map_vendor_site', targetType: 'VendorSite', occurredAt: now };
      // The whole change is the MSP's account configuration: its chain (the instance's) records it in full. Each
      // client the site moves to or away from records only its own side, since the account and the other client are
      // not its to see.
      await appendAudit(m, { ...entry, tenantId: instance.tenantId, targetId: site.id, data: { connectorInstanceId: instance.id, vendorSite: site.name, before, after } });
      if (instance.tenantId === null) {
        if (after.tenantId) {
          await appendAudit(m, { ...entry, tenantId: after.tenantId, targetId: site.id, data: { vendorSite: site.name, mapped: true, siteId: after.siteId } });
        }
        if (before.tenantId && before.tenantId !== after.tenantId) {
          await appendAudit(m, { ...entry, tenantId: before.tenantId, targetId: null, data: { vendorSite: site.name, mapped: false, siteId: before.siteId } });
        }
      }
      return site;
    });
  }

  /** A push-only instance (WSUS fed by its collector) has nothing to pull: a schedule would only fail every time. */
  private checkSchedule(definition: ConnectorDefinition<object>, settings: Record<string, unknown>, syncIntervalSeconds: number | null): void {
    if (syncIntervalSeconds === null || !definition.pushOnly) return;
    if (definition.pushOnly(parseConfig(definition, settings))) {
      throw new UserInputError('input.syncIntervalSeconds', `must be null: a ${definition.displayName} instance fed by its source syncs when the source uploads`);
    }
  }

  private visible(instance: ConnectorInstance): boolean {
    return instance.tenantId === null ? this.scope.all : this.scope.allows(instance.tenantId);
  }

  /** Validates with the connector's rules; a bad field is reported under input.settings.<field>. */
  private validate(definition: ConnectorDefinition<object>, settings: Record<string, unknown>): Record<string, unknown> {
    try {
      parseConfig(definition, settings);
    } catch (err) {
      if (err instanceof ConfigError) throw new UserInputError(`input.settings.${err.field}`, err.message.slice(err.field.length + 2));
      throw err;
    }
    return settings;
  }

  private encode(id: string, configClass: new () => object, settings: Record<string, unknown>): Pick<ConnectorInstance, 'settingsJson' | 'secretsCiphertext'> {
    const { public: pub, secrets } = splitSecrets(configClass, settings);
    return { settingsJson: JSON.stringify(pub), secretsCiphertext: Object.keys(secrets).length ? this.secrets.encrypt(secrets, id) : null };
  }
}
