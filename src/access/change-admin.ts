/**
 * Writing change records: raising a change, editing it while it is a draft, moving it through its life cycle
 * (src/change/state-machine.ts decides; this file gathers the facts, writes the outcome and audits it), and the
 * maintenance windows and deployment rings changes are planned against. Every write checks the tenant scope and
 * appends its audit event (who, when, from → to, comment) in the same transaction.
 */
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { ChangeRisk, ChangeState, ChangeType, ClosureCode } from '../change/change-kinds';
import { validateWindowRule, WindowRule } from '../change/maintenance-windows';
import { changeReference } from '../change/reference';
import { planTransition, Transition } from '../change/state-machine';
import { inTransaction, isUniqueViolation } from '../db/transaction';
import { insertRows } from '../db/insert-rows';
import { Asset, ChangeApproval, ChangeRequest, ChangeSequence, DeploymentRing, MaintenanceWindow, Site, Tenant, Update } from '../entities';
import { ChangeTargets, ExternalTicket } from '../entities/change-request.entity';
import { SHARED_OWNER } from '../entities/update.entity';
import { ChangeTransitionRefused, ConflictError, NotFoundError, UserInputError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { AssetFilter } from './asset.finder';
import { filterMatches, verifyChange, windowFit } from './change-evidence';
import { checkTargetFilter } from './change-target-filter';
import { queueWebhookDeliveries } from './change-webhooks';
import * as check from './compliance-input';
import { inList } from './sql-lists';
import { TenantScope } from './tenant-scope';

/** Who acts: `id` identifies the principal across requests (the self-approval guard compares it), `label` is audited. */
export interface ChangeActor {
  id: string;
  label: string;
}

export interface ChangeRequestInput {
  tenantId: string;
  type: ChangeType;
  title: string;
  description: string;
  updateIds: string[];
  kbs: string[];
  targets: ChangeTargetsGiven;
  risk: ChangeRisk;
  impact: string;
  testPlan?: string | null;
  rollbackPlan?: string | null;
  plannedStart: Date;
  plannedEnd: Date;
  externalTickets: ExternalTicket[];
}

/** Targets as given: the filter in the finder's form, kept in key form once checked. */
export type ChangeTargetsGiven = Omit<ChangeTargets, 'filter'> & { filter?: AssetFilter | null };

export interface TransitionInput {
  comment?: string | null;
  /** schedule: a new planned window; the change's own when absent. */
  plannedStart?: Date | null;
  plannedEnd?: Date | null;
  /** close */
  closureCode?: ClosureCode | null;
  review?: string | null;
}

export interface MaintenanceWindowInput extends WindowRule {
  tenantId: string;
  siteId?: string | null;
  ringId?: string | null;
  name: string;
}

export interface DeploymentRingInput {
  tenantId: string;
  name: string;
  position: number;
  assetIds: string[];
  minSuccessRate: number;
  minDevices: number;
  soakHours: number;
}

const MAX_LIST = 1000;
const MAX_PLANNED_DAYS = 31;

/** What a close records when the caller names no closure code: the outcome the state already says. */
const DEFAULT_CLOSURE: Partial<Record<ChangeState, ClosureCode>> = {
  [ChangeState.COMPLETED]: ClosureCode.SUCCESSFUL,
  [ChangeState.FAILED]: ClosureCode.UNSUCCESSFUL,
  [ChangeState.ROLLED_BACK]: ClosureCode.ROLLED_BACK,
  [ChangeState.REJECTED]: ClosureCode.REJECTED,
};

export class ChangeAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
  ) {}

  async create(input: ChangeRequestInput, actor: ChangeActor): Promise<ChangeRequest> {
    const now = this.clock.now();
    const fields = checkFields(input);
    return inTransaction(this.dataSource, async (m) => {
      const tenant = await m.findOneBy(Tenant, { id: input.tenantId });
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', input.tenantId);
      const updateIds = await this.resolveUpdates(m, tenant.id, input.updateIds, input.kbs);
      const targets = await this.checkTargets(m, tenant.id, input.targets);
      const year = now.getUTCFullYear();
      const row = Object.assign(new ChangeRequest(), {
        id: newId(), tenantId: tenant.id, reference: changeReference(year, await this.nextNumber(m, year)), state: ChangeState.DRAFT,
        ...fields, updateIds, targets, requestedBy: actor.label, requesterId: actor.id,
        startedAt: null, finishedAt: null, closureCode: null, review: null, evidence: null, createdAt: now, updatedAt: now,
      });
      await insertRows(m, ChangeRequest, [row]);
      const audited = await appendAudit(m, {
        tenantId: tenant.id, actor: actor.label, action: 'change.create', targetType: 'ChangeRequest', targetId: row.id, occurredAt: now,
        data: { reference: row.reference, type: row.type, title: row.title, from: null, to: ChangeState.DRAFT, updateIds, targets: row.targets, externalTickets: row.externalTickets },
      });
      await queueWebhookDeliveries(m, row, audited, { from: null, to: ChangeState.DRAFT, actor: actor.label, comment: null }, now);
      return row;
    });
  }

  /** A draft may be edited; once submitted, what was approved stays what is shown. */
  async update(id: string, input: ChangeRequestInput, actor: ChangeActor): Promise<ChangeRequest> {
    const now = this.clock.now();
    const fields = checkFields(input);
    return inTransaction(this.dataSource, async (m) => {
      const row = await this.lockChange(m, id);
      if (row.state !== ChangeState.DRAFT) {
        throw new ChangeTransitionRefused('update', row.state, 'STATE', 'only a DRAFT change can be edited; what was submitted is what gets approved');
      }
      if (input.tenantId !== row.tenantId) throw new UserInputError('input.tenantId', 'a change stays with the tenant it was raised for');
      const updateIds = await this.resolveUpdates(m, row.tenantId, input.updateIds, input.kbs);
      const targets = await this.checkTargets(m, row.tenantId, input.targets);
      const changes = { ...fields, updateIds, targets, updatedAt: now };
      await m.update(ChangeRequest, { id }, changes);
      await appendAudit(m, {
        tenantId: row.tenantId, actor: actor.label, action: 'change.update', targetType: 'ChangeRequest', targetId: id, occurredAt: now,
        data: { reference: row.reference, from: row.state, to: row.state, type: fields.type, title: fields.title, updateIds, targets },
      });
      return Object.assign(row, changes);
    });
  }

  async transition(id: string, transition: Transition, input: TransitionInput, actor: ChangeActor, requiredApprovals: number): Promise<ChangeRequest> {
    const now = this.clock.now();
    const comment = check.optionalText('comment', input.comment);
    const review = check.optionalText('review', input.review);
    return inTransaction(this.dataSource, async (m) => {
      const row = await this.lockChange(m, id);
      const approvals = await m.findBy(ChangeApproval, { changeId: id });
      const from = row.state as ChangeState;
      const changes: Partial<ChangeRequest> = { updatedAt: now };
      const data: Record<string, unknown> = {};
      let fit: { fits: boolean; reason: string } | undefined;
      if (transition === 'schedule') {
        const start = input.plannedStart ?? row.plannedStart;
        const end = input.plannedEnd ?? row.plannedEnd;
        checkPlanned(start, end, 'plannedEnd');
        fit = await windowFit(m, row, start, end);
        Object.assign(changes, { plannedStart: start, plannedEnd: end });
        Object.assign(data, { plannedStart: start.toISOString(), plannedEnd: end.toISOString(), window: fit.reason });
      }
      const closureCode = transition === 'close' ? (input.closureCode ?? DEFAULT_CLOSURE[from] ?? null) : null;
      const to = planTransition(transition, {
        type: row.type as ChangeType, state: from, requesterId: row.requesterId, actorId: actor.id, rollbackPlan: row.rollbackPlan,
        approverIds: approvals.map((a) => a.approverId), requiredApprovals, windowFit: fit, review, closureCode,
      });
      if (transition === 'approve') {
        await insertRows(m, ChangeApproval, [Object.assign(new ChangeApproval(), {
          id: newId(), changeId: id, approverId: actor.id, approvedBy: actor.label, comment, approvedAt: now,
        })]);
        Object.assign(data, { approvals: approvals.length + 1, approvalsRequired: requiredApprovals });
      }
      if (transition === 'start') {
        changes.startedAt = now;
        if (row.targets.filter) {
          const assetIds = (await filterMatches(m, row, 'asset.id')).sort();
          changes.targets = { ...row.targets, filterMatch: { at: now.toISOString(), assetIds } };
          data.filterMatchedAssets = assetIds.length;
        }
      }
      if (transition === 'complete' || transition === 'fail' || transition === 'rollBack') {
        changes.finishedAt = now;
        // What the targets reported at this moment, kept: a later sync must not rewrite why the change was closed.
        const evidence = await verifyChange(m, row);
        changes.evidence = JSON.stringify({ at: now.toISOString(), ...evidence });
        Object.assign(data, { percentInstalled: evidence.percentInstalled, suggestedOutcome: evidence.suggestedOutcome });
      }
      if (transition === 'close') Object.assign(changes, { closureCode, review });
      if (transition === 'close') Object.assign(data, { closureCode, review });
      changes.state = to;
      await m.update(ChangeRequest, { id }, changes);
      const audited = await appendAudit(m, {
        tenantId: row.tenantId, actor: actor.label, action: `change.${transition}`, targetType: 'ChangeRequest', targetId: id, occurredAt: now,
        data: { reference: row.reference, from, to, comment, ...data },
      });
      Object.assign(row, changes);
      await queueWebhookDeliveries(m, row, audited, { from, to, actor: actor.label, comment }, now);
      return row;
    });
  }

  async createWindow(input: MaintenanceWindowInput, actor: ChangeActor): Promise<MaintenanceWindow> {
    const now = this.clock.now();
    const name = check.label('input.name', input.name, 200);
    const rule = validateWindowRule('input', input);
    if (input.siteId && input.ringId) throw new UserInputError('input.ringId', 'attach a window to a site or to a ring, not both (or to neither: the whole tenant)');
    return inTransaction(this.dataSource, async (m) => {
      const tenant = await m.findOneBy(Tenant, { id: input.tenantId });
      if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', input.tenantId);
      if (input.siteId) await this.ofTenant(m, Site, input.siteId, tenant.id, 'input.siteId');
      if (input.ringId) await this.ofTenant(m, DeploymentRing, input.ringId, tenant.id, 'input.ringId');
      const row = Object.assign(new MaintenanceWindow(), {
        id: newId(), tenantId: tenant.id, siteId: input.siteId ?? null, ringId: input.ringId ?? null, name, ...pickRule(rule), createdAt: now, createdBy: actor.label,
      });
      await insertRows(m, MaintenanceWindow, [row]);
      await appendAudit(m, {
        tenantId: tenant.id, actor: actor.label, action: 'maintenance_window.create', targetType: 'MaintenanceWindow', targetId: row.id, occurredAt: now,
        data: { name, siteId: row.siteId, ringId: row.ringId, ...pickRule(rule) },
      });
      return row;
    });
  }

  async createRing(input: DeploymentRingInput, actor: ChangeActor): Promise<DeploymentRing> {
    const now = this.clock.now();
    const name = check.label('input.name', input.name, 200);
    if (!Number.isInteger(input.position) || input.position < 1 || input.position > 100) throw new UserInputError('input.position', 'must be a whole number from 1 (pilot) to 100');
    if (!(input.minSuccessRate >= 0 && input.minSuccessRate <= 1)) throw new UserInputError('input.minSuccessRate', 'must be between 0 and 1 (0.95 is 95%)');
    if (!Number.isInteger(input.minDevices) || input.minDevices < 0) throw new UserInputError('input.minDevices', 'must be a whole number, 0 or more');
    if (!Number.isInteger(input.soakHours) || input.soakHours < 0 || input.soakHours > 24 * 90) throw new UserInputError('input.soakHours', 'must be a whole number of hours from 0 to 2160');
    if (input.assetIds.length > MAX_LIST) throw new UserInputError('input.assetIds', `must hold at most ${MAX_LIST} assets`);
    const assetIds = [...new Set(input.assetIds)];
    const taken = new ConflictError('input.position', `the tenant already has a ring at position ${input.position}`);
    try {
      return await inTransaction(this.dataSource, async (m) => {
        const tenant = await m.findOneBy(Tenant, { id: input.tenantId });
        if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', input.tenantId);
        await this.assetsOfTenant(m, assetIds, tenant.id, 'input.assetIds');
        if (await m.countBy(DeploymentRing, { tenantId: tenant.id, position: input.position })) throw taken;
        const row = Object.assign(new DeploymentRing(), {
          id: newId(), tenantId: tenant.id, name, position: input.position, assetIds, minSuccessRate: input.minSuccessRate, minDevices: input.minDevices,
          soakHours: input.soakHours, createdAt: now, createdBy: actor.label,
        });
        await insertRows(m, DeploymentRing, [row]);
        await appendAudit(m, {
          tenantId: tenant.id, actor: actor.label, action: 'deployment_ring.create', targetType: 'DeploymentRing', targetId: row.id, occurredAt: now,
          data: { name, position: row.position, assetIds, minSuccessRate: row.minSuccessRate, minDevices: row.minDevices, soakHours: row.soakHours },
        });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err) && /deployment_ring/i.test(String((err as Error).message))) throw taken;
      throw err;
    }
  }

  /**
   * The next number of the year. The year's row is locked (created first if missing, as the audit chain head is),
   * so concurrent creations are numbered one after another on both engines: SQLite has a single writer, and on
   * MariaDB the second waits for the first to commit.
   */
  private async nextNumber(m: EntityManager, year: number): Promise<number> {
    const lock = () => lockedRows(m.createQueryBuilder(ChangeSequence, 's').where('s.year = :year', { year })).then((r) => r[0]);
    let seq = await lock();
    if (!seq) {
      await m.createQueryBuilder().insert().into(ChangeSequence).values({ year, lastNumber: 0 }).orIgnore().execute();
      seq = await lock();
    }
    const next = seq.lastNumber + 1;
    await m.update(ChangeSequence, { year }, { lastNumber: next });
    return next;
  }

  private async lockChange(m: EntityManager, id: string): Promise<ChangeRequest> {
    const [row] = await lockedRows(m.createQueryBuilder(ChangeRequest, 'c').where('c.id = :id', { id }));
    if (!row || !this.scope.allows(row.tenantId)) throw new NotFoundError('ChangeRequest', id);
    return row;
  }

  /** Update ids and KB numbers, as catalog entries the tenant may name (shared ones and its own); sorted, unique. */
  private async resolveUpdates(m: EntityManager, tenantId: string, updateIds: string[], rawKbs: string[]): Promise<string[]> {
    const kbs = check.idList('input.kbs', rawKbs, check.kbNumber);
    if (updateIds.length > MAX_LIST) throw new UserInputError('input.updateIds', `must hold at most ${MAX_LIST} updates`);
    if (updateIds.length + kbs.length === 0) throw new UserInputError('input.updateIds', 'name at least one update, by id or by KB number');
    const owners = [SHARED_OWNER, tenantId];
    const ids = new Set<string>();
    if (updateIds.length) {
      const found = await m.createQueryBuilder(Update, 'u').where('u.id IN (:...ids) AND u.owner IN (:...owners)', { ids: inList(updateIds), owners }).getMany();
      const missing = updateIds.find((id) => !found.some((u) => u.id === id));
      if (missing) throw new NotFoundError('Update', missing);
      for (const u of found) ids.add(u.id);
    }
    for (const [i, kb] of kbs.entries()) {
      const found = await m.createQueryBuilder(Update, 'u').where('u.kb = :kb AND u.owner IN (:...owners)', { kb, owners }).getMany();
      if (found.length === 0) throw new UserInputError(`input.kbs[${i}]`, `no update of the catalog has ${kb}`);
      for (const u of found) ids.add(u.id);
    }
    return [...ids].sort();
  }

  /** The targets as kept: the filter (a target too) checked and in key form, its sites the tenant's like named ones. */
  private async checkTargets(m: EntityManager, tenantId: string, t: ChangeTargetsGiven): Promise<ChangeTargets> {
    const filter = t.filter ? checkTargetFilter(t.filter, tenantId) : null;
    const total = t.assetIds.length + t.siteIds.length + t.ringIds.length + (filter ? 1 : 0);
    if (total === 0) throw new UserInputError('input.targets', 'name at least one asset, site, ring or filter the change is for');
    if (total > MAX_LIST) throw new UserInputError('input.targets', `must name at most ${MAX_LIST} assets, sites and rings together`);
    await this.assetsOfTenant(m, t.assetIds, tenantId, 'input.targets.assetIds');
    for (const [i, id] of t.siteIds.entries()) await this.ofTenant(m, Site, id, tenantId, `input.targets.siteIds[${i}]`);
    for (const [i, id] of t.ringIds.entries()) await this.ofTenant(m, DeploymentRing, id, tenantId, `input.targets.ringIds[${i}]`);
    for (const [i, id] of (filter?.siteIds ?? []).entries()) await this.ofTenant(m, Site, id, tenantId, `input.targets.filter.siteIds[${i}]`);
    return { assetIds: t.assetIds, siteIds: t.siteIds, ringIds: t.ringIds, ...(filter ? { filter } : {}) };
  }

  private async assetsOfTenant(m: EntityManager, ids: string[], tenantId: string, field: string): Promise<void> {
    if (ids.length === 0) return;
    const found = await m.createQueryBuilder(Asset, 'a').where('a.id IN (:...ids)', { ids: inList(ids) }).getMany();
    for (const [i, id] of ids.entries()) {
      const asset = found.find((a) => a.id === id);
      if (!asset || !this.scope.allows(asset.tenantId)) throw new NotFoundError('Asset', id);
      if (asset.tenantId !== tenantId) throw new UserInputError(`${field}[${i}]`, 'the asset belongs to another tenant');
    }
  }

  /** A row the caller sees that belongs to the tenant; one it cannot see is not found, like one that does not exist. */
  private async ofTenant(m: EntityManager, entity: typeof Site | typeof DeploymentRing, id: string, tenantId: string, field: string): Promise<void> {
    const row = await m.findOneBy(entity, { id });
    if (!row || !this.scope.allows(row.tenantId)) throw new NotFoundError(entity === Site ? 'Site' : 'DeploymentRing', id);
    if (row.tenantId !== tenantId) throw new UserInputError(field, `the ${entity === Site ? 'site' : 'ring'} belongs to another tenant`);
  }
}

function checkFields(input: ChangeRequestInput) {
  if (!Object.values(ChangeType).includes(input.type)) throw new UserInputError('input.type', `must be one of ${Object.values(ChangeType).join(', ')}`);
  checkPlanned(input.plannedStart, input.plannedEnd, 'input.plannedEnd');
  if (input.externalTickets.length > 20) throw new UserInputError('input.externalTickets', 'must hold at most 20 tickets');
  return {
    type: input.type,
    title: check.label('input.title', input.title, 500),
    description: check.text('input.description', input.description),
    risk: input.risk,
    impact: check.text('input.impact', input.impact),
    testPlan: check.optionalText('input.testPlan', input.testPlan),
    rollbackPlan: check.optionalText('input.rollbackPlan', input.rollbackPlan),
    plannedStart: input.plannedStart,
    plannedEnd: input.plannedEnd,
    externalTickets: input.externalTickets.map((t, i) => ({
      system: check.label(`input.externalTickets[${i}].system`, t.system, 64),
      id: check.label(`input.externalTickets[${i}].id`, t.id, 128),
    })),
  };
}

function checkPlanned(start: Date, end: Date, field: string): void {
  if (end.getTime() <= start.getTime()) throw new UserInputError(field, 'the planned end must be after the planned start');
  if (end.getTime() - start.getTime() > MAX_PLANNED_DAYS * 86400_000) throw new UserInputError(field, `a change is planned for at most ${MAX_PLANNED_DAYS} days`);
}

const pickRule = (r: WindowRule): WindowRule => ({ rrule: r.rrule, firstStart: r.firstStart, timeZone: r.timeZone, durationMinutes: r.durationMinutes });

/**
 * Reads rows with FOR UPDATE on MariaDB/MySQL, so they are the latest committed ones and stay so until commit;
 * SQLite already serialises writers.
 */
function lockedRows<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T[]> {
  return (qb.connection.options.type === 'better-sqlite3' ? qb : qb.setLock('pessimistic_write')).getMany();
}
