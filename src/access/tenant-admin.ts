import { DataSource } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { inTransaction, isUniqueViolation } from '../db/transaction';
import { Site, Tenant } from '../entities';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { TenantScope } from './tenant-scope';
import { insertRows } from '../db/insert-rows';

export interface Actor {
  /** How the actor appears in audit events. */
  label: string;
}

/**
 * Creating and renaming tenants and sites. Every write checks the tenant scope, writes its audit event in the
 * same transaction, and reports duplicate names as a conflict naming the field.
 */
export class TenantAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
    private readonly actor: Actor,
  ) {}

  async createTenant(name: string): Promise<Tenant> {
    // A new tenant is outside every restricted scope; only a principal that sees all tenants may add one.
    if (!this.scope.all) throw new ForbiddenError('Only a principal with access to all tenants can create tenants');
    const now = this.clock.now();
    const tenant = Object.assign(new Tenant(), { id: newId(), name, createdAt: now, updatedAt: now });
    return this.write('input.name', 'uq_tenant_name', `A tenant named "${name}" already exists`, async (m) => {
      await insertRows(m, Tenant, [tenant]);
      await appendAudit(m, this.entry(tenant.id, 'tenant.create', 'Tenant', tenant.id, { name }, now));
      return tenant;
    });
  }

  async renameTenant(id: string, name: string): Promise<Tenant> {
    const now = this.clock.now();
    return this.write('input.name', 'uq_tenant_name', `A tenant named "${name}" already exists`, async (m) => {
      const tenant = await m.findOneBy(Tenant, { id });
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', id);
      if (tenant.name === name) return tenant;
      const from = tenant.name;
      await m.update(Tenant, { id }, { name, updatedAt: now });
      await appendAudit(m, this.entry(id, 'tenant.rename', 'Tenant', id, { from, to: name }, now));
      return Object.assign(tenant, { name, updatedAt: now });
    });
  }

  async createSite(tenantId: string, name: string): Promise<Site> {
    const now = this.clock.now();
    return this.write('input.name', 'uq_site_tenant_name', `The tenant already has a site named "${name}"`, async (m) => {
      const tenant = await m.findOneBy(Tenant, { id: tenantId });
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', tenantId);
      const site = Object.assign(new Site(), { id: newId(), tenantId, name, createdAt: now, updatedAt: now });
      await insertRows(m, Site, [site]);
      await appendAudit(m, this.entry(tenantId, 'site.create', 'Site', site.id, { name }, now));
      return site;
    });
  }

  async renameSite(id: string, name: string): Promise<Site> {
    const now = this.clock.now();
    return this.write('input.name', 'uq_site_tenant_name', `The tenant already has a site named "${name}"`, async (m) => {
      const site = await m.findOneBy(Site, { id });
      if (!site || !this.scope.allows(site.tenantId)) throw new NotFoundError('Site', id);
      if (site.name === name) return site;
      const from = site.name;
      await m.update(Site, { id }, { name, updatedAt: now });
      await appendAudit(m, this.entry(site.tenantId, 'site.rename', 'Site', id, { from, to: name }, now));
      return Object.assign(site, { name, updatedAt: now });
    });
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
