import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { inTransaction, isUniqueViolation } from '../db/transaction';
import { Site, Tenant } from '../entities';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { cleanName, nameKey } from '../util/names';
import { TenantScope } from './tenant-scope';
import { insertRows } from '../db/insert-rows';

export interface Actor {
  /** How the actor appears in audit events. */
  label: string;
}

/**
 * Creating and renaming tenants and sites. Every write checks the tenant scope, writes its audit event in the
 * same transaction, and reports duplicate names as a conflict naming the field.
 *
 * Names are cleaned (NFC, trimmed, hostile characters refused: util/names.ts) and their uniqueness is decided here,
 * by nameKey, rather than by the unique indexes: SQLite compares bytes and MariaDB's utf8mb4_unicode_ci ignores
 * case and accents, so the indexes alone let "Contoso" and "contoso" both exist on one engine only. The indexes
 * stay as the last guard.
 */
export class TenantAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
    private readonly actor: Actor,
  ) {}

  async createTenant(rawName: string): Promise<Tenant> {
    // A new tenant is outside every restricted scope; only a principal that sees all tenants may add one.
    if (!this.scope.all) throw new ForbiddenError('Only a principal with access to all tenants can create tenants');
    const name = cleanName('input.name', rawName);
    const now = this.clock.now();
    const tenant = Object.assign(new Tenant(), { id: newId(), name, createdAt: now, updatedAt: now });
    return this.write('input.name', 'uq_tenant_name', `A tenant named "${name}" already exists`, async (m) => {
      await this.refuseTakenTenantName(m, name, null);
      await insertRows(m, Tenant, [tenant]);
      await appendAudit(m, this.entry(tenant.id, 'tenant.create', 'Tenant', tenant.id, { name }, now));
      return tenant;
    });
  }

  async renameTenant(id: string, rawName: string): Promise<Tenant> {
    const name = cleanName('input.name', rawName);
    const now = this.clock.now();
    return this.write('input.name', 'uq_tenant_name', `A tenant named "${name}" already exists`, async (m) => {
      const tenant = await m.findOneBy(Tenant, { id });
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', id);
      // Tenant names are unique across the installation, so any answer to a taken name (CONFLICT or otherwise) would
      // tell a tenant-limited principal that a client it cannot see exists under that name. Only a principal that
      // sees every tenant renames tenants, as only it creates them.
      if (!this.scope.all) throw new ForbiddenError('Only a principal with access to all tenants can rename tenants, since tenant names are unique across all of them');
      if (tenant.name === name) return tenant;
      await this.refuseTakenTenantName(m, name, tenant.id);
      const from = tenant.name;
      await m.update(Tenant, { id }, { name, updatedAt: now });
      await appendAudit(m, this.entry(id, 'tenant.rename', 'Tenant', id, { from, to: name }, now));
      return Object.assign(tenant, { name, updatedAt: now });
    });
  }

  async createSite(tenantId: string, rawName: string): Promise<Site> {
    const name = cleanName('input.name', rawName);
    const now = this.clock.now();
    return this.write('input.name', 'uq_site_tenant_name', `The tenant already has a site named "${name}"`, async (m) => {
      const tenant = await lockedRows(m.createQueryBuilder(Tenant, 't').where('t.id = :tenantId', { tenantId }));
      if (!tenant[0] || !this.scope.allows(tenant[0].id)) throw new NotFoundError('Tenant', tenantId);
      await this.refuseTakenSiteName(m, tenantId, name, null);
      const site = Object.assign(new Site(), { id: newId(), tenantId, name, createdAt: now, updatedAt: now });
      await insertRows(m, Site, [site]);
      await appendAudit(m, this.entry(tenantId, 'site.create', 'Site', site.id, { name }, now));
      return site;
    });
  }

  async renameSite(id: string, rawName: string): Promise<Site> {
    const name = cleanName('input.name', rawName);
    const now = this.clock.now();
    return this.write('input.name', 'uq_site_tenant_name', `The tenant already has a site named "${name}"`, async (m) => {
      const site = await m.findOneBy(Site, { id });
      if (!site || !this.scope.allows(site.tenantId)) throw new NotFoundError('Site', id);
      if (site.name === name) return site;
      await lockedRows(m.createQueryBuilder(Tenant, 't').where('t.id = :tenantId', { tenantId: site.tenantId }));
      await this.refuseTakenSiteName(m, site.tenantId, name, site.id);
      const from = site.name;
      await m.update(Site, { id }, { name, updatedAt: now });
      await appendAudit(m, this.entry(site.tenantId, 'site.rename', 'Site', id, { from, to: name }, now));
      return Object.assign(site, { name, updatedAt: now });
    });
  }

  /**
   * CONFLICT when another tenant's name has the same key. Only all-tenants principals get here (create and rename
   * both require it), so naming the existing tenant tells them nothing they cannot list.
   */
  private async refuseTakenTenantName(m: EntityManager, name: string, self: string | null): Promise<void> {
    // Locking every tenant row (and the gap after them) on MariaDB makes a concurrent create or rename wait for this
    // transaction and then see its name; SQLite has one writer at a time.
    const tenants = await lockedRows(m.createQueryBuilder(Tenant, 't').select(['t.id', 't.name']));
    const key = nameKey(name);
    const taken = tenants.find((t) => t.id !== self && nameKey(t.name) === key);
    if (taken) throw new ConflictError('input.name', `A tenant named "${taken.name}" already exists`);
  }

  /** CONFLICT when another site of the tenant has the same key; the caller has locked the tenant's row. */
  private async refuseTakenSiteName(m: EntityManager, tenantId: string, name: string, self: string | null): Promise<void> {
    const sites = await lockedRows(m.createQueryBuilder(Site, 's').select(['s.id', 's.name']).where('s.tenantId = :tenantId', { tenantId }));
    const key = nameKey(name);
    const taken = sites.find((s) => s.id !== self && nameKey(s.name) === key);
    if (taken) throw new ConflictError('input.name', `The tenant already has a site named "${taken.name}"`);
  }

  private entry(tenantId: string, action: string, targetType: string, targetId: string, data: Record<string, unknown>, at: Date) {
    return { tenantId, actor: this.actor.label, action, targetType, targetId, data, occurredAt: at };
  }

  private async write<T>(field: string, uniqueIndex: string, conflict: string, work: Parameters<typeof inTransaction<T>>[1]): Promise<T> {
    try {
      return await inTransaction(this.dataSource, work);
    } catch (err) {
      if (isUniqueViolation(err, uniqueIndex)) throw new ConflictError(field, conflict);
      throw err;
    }
  }
}

/**
 * Reads rows with FOR UPDATE on MariaDB/MySQL, so they are the latest committed ones and stay so until commit.
 * SQLite (which has no row locks) already serialises writers, and a transaction whose read went stale cannot write.
 */
function lockedRows<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T[]> {
  return (qb.connection.options.type === 'better-sqlite3' ? qb : qb.setLock('pessimistic_write')).getMany();
}
