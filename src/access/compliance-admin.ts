/**
 * Managing compliance: custom policies, their assignment to tenants and sites, risk exceptions, advisories and the
 * per-asset settings the rules read (asset class, ESU). Each write checks the tenant scope, records who did it, and
 * appends its audit event in the same transaction: policies and advisories are the MSP's and go on the global chain,
 * the rest on the chain of the tenant they concern.
 *
 * Nothing here is edited in place where history matters: a policy change is a new version, an unassignment closes
 * the assignment, a revocation stamps the exception. So "what applied on 31 March" keeps its answer.
 */
import { createHash } from 'node:crypto';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { appendAudit, AuditEntry } from '../audit/audit-log';
import { ASSET_CLASSES, AssetClass } from '../compliance/asset-class';
import { validatePolicyDefinition } from '../compliance/policy-definition';
import { insertRows } from '../db/insert-rows';
import { inTransaction, isUniqueViolation } from '../db/transaction';
import { raiseAssetRevisions } from '../compliance/revisions';
import { Advisory, Asset, CompliancePolicy, PolicyAssignment, RiskException, Site, Tenant, Update } from '../entities';
import { SHARED_OWNER } from '../entities/update.entity';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import * as check from './compliance-input';
import { isPresetKey, policyExists } from './policy-versions';
import { Actor } from './tenant-admin';
import { TenantScope } from './tenant-scope';

export interface RiskExceptionInput {
  tenantId: string;
  siteId?: string | null;
  assetId?: string | null;
  updateId?: string | null;
  cveId?: string | null;
  policyKey?: string | null;
  owner: string;
  reason: string;
  compensatingControl?: string | null;
  validFrom?: Date | null;
  expiresAt: Date;
}

export interface AdvisoryInput {
  authority: string;
  reference: string;
  title: string;
  noticeAt: Date;
  cveIds: string[];
  kbs: string[];
  url?: string | null;
}

/** ESU runs to dates Microsoft announces years ahead; anything outside this range is a typing mistake. */
const ESU_RANGE = { min: '2000-01-01', max: '2099-12-31' };

export class ComplianceAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
    private readonly actor: Actor,
  ) {}

  async createPolicy(rawKey: string, definition: unknown): Promise<CompliancePolicy> {
    this.requireAllTenants('create policies');
    const key = check.policyKey('input.key', rawKey);
    if (isPresetKey(key)) throw new ConflictError('input.key', `"${key}" is a built-in preset's key; choose another`);
    const policy = validatePolicyDefinition('input.definition', definition);
    const now = this.clock.now();
    return this.writePolicy(key, async (m) => {
      if (await policyExists(m, key)) throw new ConflictError('input.key', `a policy "${key}" already exists; updatePolicy adds a version to it`);
      return this.insertVersion(m, key, 1, policy, now, 'policy.create');
    });
  }

  async updatePolicy(rawKey: string, definition: unknown): Promise<CompliancePolicy> {
    this.requireAllTenants('change policies');
    const key = check.policyKey('input.key', rawKey);
    if (isPresetKey(key)) throw new UserInputError('input.key', `"${key}" is a built-in preset, which changes only with patchgraph; create a custom policy with its own key instead`);
    const policy = validatePolicyDefinition('input.definition', definition);
    const now = this.clock.now();
    return this.writePolicy(key, async (m) => {
      // Locking the key's versions makes a concurrent update wait and then number its version after this one.
      const versions = await lockedRows(m.createQueryBuilder(CompliancePolicy, 'p').where('p.policyKey = :key', { key }));
      if (versions.length === 0) throw new NotFoundError('Policy', key);
      const latest = versions.reduce((a, b) => (b.version > a.version ? b : a));
      if (latest.definition === JSON.stringify(policy)) return latest;
      return this.insertVersion(m, key, latest.version + 1, policy, now, 'policy.update');
    });
  }

  async assignPolicy(rawKey: string, tenantId: string, siteId: string | null): Promise<PolicyAssignment> {
    const key = check.policyKey('input.policyKey', rawKey);
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      // The tenant's row is locked so two identical assignments made at once cannot both pass the duplicate check.
      const [tenant] = await lockedRows(m.createQueryBuilder(Tenant, 't').where('t.id = :tenantId', { tenantId }));
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', tenantId);
      if (siteId) await this.siteOfTenant(m, siteId, tenantId, 'input.siteId');
      if (!(await policyExists(m, key))) throw new UserInputError('input.policyKey', `there is no policy "${key}"; policies lists the presets and custom policies`);
      const open = m.createQueryBuilder(PolicyAssignment, 'pa')
        .where('pa.tenantId = :tenantId AND pa.policyKey = :key AND pa.removedAt IS NULL', { tenantId, key });
      open.andWhere(siteId ? 'pa.siteId = :siteId' : 'pa.siteId IS NULL', { siteId });
      if (await open.getCount()) {
        throw new ConflictError('input.policyKey', `"${key}" is already assigned to this ${siteId ? 'site' : 'tenant'}`);
      }
      const row = Object.assign(new PolicyAssignment(), {
        id: newId(), tenantId, siteId, policyKey: key, assignedAt: now, assignedBy: this.actor.label, removedAt: null, removedBy: null,
      });
      await insertRows(m, PolicyAssignment, [row]);
      await appendAudit(m, this.entry(tenantId, 'policy.assign', 'PolicyAssignment', row.id, { policyKey: key, siteId }, now));
      return row;
    });
  }

  /** Closes an assignment; closing a closed one changes nothing. */
  async unassignPolicy(id: string): Promise<PolicyAssignment> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const [row] = await lockedRows(m.createQueryBuilder(PolicyAssignment, 'pa').where('pa.id = :id', { id }));
      if (!row || !this.scope.allows(row.tenantId)) throw new NotFoundError('PolicyAssignment', id);
      if (row.removedAt) return row;
      await m.update(PolicyAssignment, { id }, { removedAt: now, removedBy: this.actor.label });
      await appendAudit(m, this.entry(row.tenantId, 'policy.unassign', 'PolicyAssignment', id, { policyKey: row.policyKey, siteId: row.siteId }, now));
      return Object.assign(row, { removedAt: now, removedBy: this.actor.label });
    });
  }

  async createRiskException(input: RiskExceptionInput): Promise<RiskException> {
    const now = this.clock.now();
    const owner = check.label('input.owner', input.owner, 200);
    const reason = check.text('input.reason', input.reason);
    const compensatingControl = check.optionalText('input.compensatingControl', input.compensatingControl);
    const cveId = input.cveId ? check.cveId('input.cveId', input.cveId) : null;
    const policyKey = input.policyKey ? check.policyKey('input.policyKey', input.policyKey) : null;
    const window = check.exceptionWindow(input.validFrom, input.expiresAt, now);
    if (input.siteId && input.assetId) throw new UserInputError('input.assetId', 'give siteId or assetId, not both: an asset exception already names its machine');
    if (!input.siteId && !input.assetId && !input.updateId && !cveId && !policyKey) {
      throw new UserInputError('input', 'narrow the exception by at least one of siteId, assetId, updateId, cveId and policyKey: an exception for everything in a tenant is not an accepted risk');
    }
    const { tenantId } = input;
    return inTransaction(this.dataSource, async (m) => {
      const tenant = await m.findOneBy(Tenant, { id: tenantId });
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', tenantId);
      if (input.siteId) await this.siteOfTenant(m, input.siteId, tenantId, 'input.siteId');
      if (input.assetId) {
        const asset = await m.findOneBy(Asset, { id: input.assetId });
        if (!asset || !this.scope.allows(asset.tenantId)) throw new NotFoundError('Asset', input.assetId);
        if (asset.tenantId !== tenantId) throw new UserInputError('input.assetId', 'the asset belongs to another tenant');
      }
      if (input.updateId) {
        // A catalog entry is the tenant's to name when it is shared or its own; another tenant's entry is not found.
        const update = await m.findOneBy(Update, { id: input.updateId });
        if (!update || (update.owner !== SHARED_OWNER && !this.scope.allows(update.owner))) throw new NotFoundError('Update', input.updateId);
        if (update.owner !== SHARED_OWNER && update.owner !== tenantId) throw new UserInputError('input.updateId', 'the update is another tenant\'s catalog entry');
      }
      if (policyKey && !(await policyExists(m, policyKey))) {
        throw new UserInputError('input.policyKey', `there is no policy "${policyKey}"; policies lists the presets and custom policies`);
      }
      const row = Object.assign(new RiskException(), {
        id: newId(), tenantId, siteId: input.siteId ?? null, assetId: input.assetId ?? null, updateId: input.updateId ?? null, cveId, policyKey,
        owner, reason, compensatingControl, validFrom: window.validFrom, expiresAt: window.expiresAt, createdAt: now, createdBy: this.actor.label,
        revokedAt: null, revokedBy: null,
      });
      await insertRows(m, RiskException, [row]);
      await appendAudit(m, this.entry(tenantId, 'risk_exception.create', 'RiskException', row.id, {
        siteId: row.siteId, assetId: row.assetId, updateId: row.updateId, cveId, policyKey, owner, reason, compensatingControl,
        validFrom: row.validFrom.toISOString(), expiresAt: row.expiresAt.toISOString(),
      }, now));
      return row;
    });
  }

  /** Ends an exception now; the reason is kept in the audit trail. Revoking a revoked exception changes nothing. */
  async revokeRiskException(id: string, rawReason: string): Promise<RiskException> {
    const reason = check.text('reason', rawReason);
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const [row] = await lockedRows(m.createQueryBuilder(RiskException, 're').where('re.id = :id', { id }));
      if (!row || !this.scope.allows(row.tenantId)) throw new NotFoundError('RiskException', id);
      if (row.revokedAt) return row;
      await m.update(RiskException, { id }, { revokedAt: now, revokedBy: this.actor.label });
      await appendAudit(m, this.entry(row.tenantId, 'risk_exception.revoke', 'RiskException', id, { reason }, now));
      return Object.assign(row, { revokedAt: now, revokedBy: this.actor.label });
    });
  }

  async createAdvisory(input: AdvisoryInput): Promise<Advisory> {
    this.requireAllTenants('record advisories');
    const now = this.clock.now();
    const authority = check.label('input.authority', input.authority, 64);
    const reference = check.label('input.reference', input.reference, 128);
    const title = check.label('input.title', input.title, 500);
    const noticeAt = check.noticeTime('input.noticeAt', input.noticeAt, now);
    const cveIds = check.idList('input.cveIds', input.cveIds, check.cveId);
    const kbs = check.idList('input.kbs', input.kbs, check.kbNumber);
    if (cveIds.length + kbs.length === 0) throw new UserInputError('input.cveIds', 'name at least one CVE id or KB number: an advisory that names nothing starts no clock');
    const url = check.advisoryUrl('input.url', input.url);
    const taken = new ConflictError('input.reference', `${authority} advisory "${reference}" is already recorded`);
    try {
      return await inTransaction(this.dataSource, async (m) => {
        // Compared ignoring case on both engines, as MariaDB's collation compares the unique index.
        const same = await m.createQueryBuilder(Advisory, 'a')
          .where('LOWER(a.authority) = :authority AND LOWER(a.reference) = :reference', { authority: authority.toLowerCase(), reference: reference.toLowerCase() })
          .getCount();
        if (same) throw taken;
        const row = Object.assign(new Advisory(), { id: newId(), authority, reference, title, noticeAt, cveIds, kbs, url, createdAt: now, createdBy: this.actor.label });
        await insertRows(m, Advisory, [row]);
        await appendAudit(m, this.entry(null, 'advisory.create', 'Advisory', row.id, {
          authority, reference, title, noticeAt: noticeAt.toISOString(), cveIds, kbs, url,
        }, now));
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err) && /advisory/i.test(String((err as Error).message))) throw taken;
      throw err;
    }
  }

  /** Sets the asset's class by hand, or with null returns it to the rule (by operating system). */
  async setAssetClass(assetId: string, assetClass: AssetClass | null): Promise<Asset> {
    if (assetClass !== null && !ASSET_CLASSES.includes(assetClass)) throw new UserInputError('assetClass', `must be one of ${ASSET_CLASSES.join(', ')}`);
    return this.changeAsset(assetId, 'asset.set_class', 'assetClassOverride', assetClass);
  }

  /** Records that Extended Security Updates cover the asset until a date, or with null that they do not. */
  async setAssetEsu(assetId: string, esuUntil: string | null): Promise<Asset> {
    if (esuUntil !== null && (esuUntil < ESU_RANGE.min || esuUntil > ESU_RANGE.max)) {
      throw new UserInputError('esuUntil', `must be between ${ESU_RANGE.min} and ${ESU_RANGE.max}`);
    }
    return this.changeAsset(assetId, 'asset.set_esu', 'esuUntil', esuUntil);
  }

  private async changeAsset(assetId: string, action: string, column: 'assetClassOverride' | 'esuUntil', value: string | null): Promise<Asset> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const [asset] = await lockedRows(m.createQueryBuilder(Asset, 'a').where('a.id = :assetId', { assetId }));
      if (!asset || !this.scope.allows(asset.tenantId)) throw new NotFoundError('Asset', assetId);
      const from = asset[column];
      if (from === value) return asset;
      await m.update(Asset, { id: assetId }, { [column]: value, updatedAt: now });
      // Kept compliance answers evaluate this asset again.
      await raiseAssetRevisions(m, asset.tenantId, [assetId]);
      await appendAudit(m, this.entry(asset.tenantId, action, 'Asset', assetId, { from, to: value }, now));
      return (await m.findOneBy(Asset, { id: assetId }))!;
    });
  }

  /** A site the caller sees that belongs to the tenant; one it cannot see is not found, like one that does not exist. */
  private async siteOfTenant(m: EntityManager, siteId: string, tenantId: string, field: string): Promise<Site> {
    const site = await m.findOneBy(Site, { id: siteId });
    if (!site || !this.scope.allows(site.tenantId)) throw new NotFoundError('Site', siteId);
    if (site.tenantId !== tenantId) throw new UserInputError(field, 'the site belongs to another tenant');
    return site;
  }

  private async insertVersion(m: EntityManager, key: string, version: number, policy: ReturnType<typeof validatePolicyDefinition>, now: Date, action: string) {
    const definition = JSON.stringify(policy);
    const row = Object.assign(new CompliancePolicy(), {
      id: newId(), policyKey: key, version, name: policy.name, definition, createdAt: now, createdBy: this.actor.label,
    });
    await insertRows(m, CompliancePolicy, [row]);
    // The hash puts the exact rules of the version into the chain, so a later edit of the stored row would show.
    const definitionSha256 = createHash('sha256').update(definition).digest('hex');
    await appendAudit(m, this.entry(null, action, 'CompliancePolicy', row.id, { key, version, name: policy.name, definitionSha256 }, now));
    return row;
  }

  private async writePolicy(key: string, work: (m: EntityManager) => Promise<CompliancePolicy>): Promise<CompliancePolicy> {
    try {
      return await inTransaction(this.dataSource, work);
    } catch (err) {
      // Two creates of one key at once: the unique (key, version) index lets one through.
      if (isUniqueViolation(err) && /compliance_policy/i.test(String((err as Error).message))) {
        throw new ConflictError('input.key', `policy "${key}" was changed at the same moment; read it again and retry`);
      }
      throw err;
    }
  }

  /** MSP-wide records apply to every client, so only a principal that sees every client writes them. */
  private requireAllTenants(what: string): void {
    if (!this.scope.all) throw new ForbiddenError(`Only a principal with access to all tenants can ${what}, since they apply to every tenant`);
  }

  private entry(tenantId: string | null, action: string, targetType: string, targetId: string, data: Record<string, unknown>, at: Date): AuditEntry {
    return { tenantId, actor: this.actor.label, action, targetType, targetId, data, occurredAt: at };
  }
}

/**
 * Reads rows with FOR UPDATE on MariaDB/MySQL, so they are the latest committed ones and stay so until commit;
 * SQLite already serialises writers.
 */
function lockedRows<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T[]> {
  return (qb.connection.options.type === 'better-sqlite3' ? qb : qb.setLock('pessimistic_write')).getMany();
}
