/**
 * Change proposals: what change records a tenant needs now, as drafts to review, never written. A STANDARD
 * rollout for the updates its machines miss that a policy counts (findings NON_COMPLIANT or DUE_SOON, not
 * excepted), pilot ring first, in the next maintenance window; and an EMERGENCY change for each CVE added to
 * CISA's KEV catalog since a date whose fixes its machines miss. createChangeRequest turns one into a record.
 */
import { DataSource } from 'typeorm';
import { ChangeType } from '../change/change-kinds';
import { occurrences, WindowRule } from '../change/maintenance-windows';
import { DeploymentRing, MaintenanceWindow, PatchState, Tenant, UpdateVulnerability, Vulnerability } from '../entities';
import { NOT_REMEDIATED_STATES } from '../entities/enums';
import { NotFoundError } from '../errors';
import { ComplianceAccess } from './compliance';
import { inList } from './sql-lists';
import { TenantScope } from './tenant-scope';

export interface ChangeProposal {
  type: ChangeType;
  title: string;
  description: string;
  updateIds: string[];
  assetIds: string[];
  ringIds: string[];
  plannedStart: Date;
  plannedEnd: Date;
  reasons: string[];
}

const WINDOW_SEARCH_DAYS = 45;
const EMERGENCY_HOURS = 4;

export class ChangeProposals {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly compliance: ComplianceAccess,
  ) {}

  async propose(tenantId: string, policyKey: string, kevSince: Date, now: Date): Promise<ChangeProposal[]> {
    const tenant = await this.dataSource.getRepository(Tenant).findOneBy({ id: tenantId });
    if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', tenantId);
    const rings = await this.dataSource.getRepository(DeploymentRing).find({ where: { tenantId }, order: { position: 'ASC' } });
    const standard = await this.rollout(tenant, policyKey, rings, now);
    return [...(standard ? [standard] : []), ...(await this.kevEmergencies(tenant, kevSince, now))];
  }

  private async rollout(tenant: Tenant, policyKey: string, rings: DeploymentRing[], now: Date): Promise<ChangeProposal | null> {
    const { policy, report } = await this.compliance.report({ policyKey, asOf: now, knownAt: now, tenantId: tenant.id, siteId: null, assignedOnly: false });
    const assets = await report.assets(10_000, null, ['NON_COMPLIANT', 'DUE_SOON']);
    if (assets.length === 0) return null;
    const findings = (await report.findings(assets.map((a) => a.assetId)))
      .filter((f) => (f.status === 'NON_COMPLIANT' || f.status === 'DUE_SOON') && !f.exceptionId);
    if (findings.length === 0) return null;
    const updateIds = [...new Set(findings.map((f) => f.updateId))].sort();
    const assetIds = [...new Set(findings.map((f) => f.assetId))].sort();
    const overdue = findings.filter((f) => f.status === 'NON_COMPLIANT').length;
    const due = findings.map((f) => f.dueAt?.getTime()).filter((t): t is number => t !== undefined);
    const slot = await this.nextWindow(tenant.id, rings[0] ?? null, now);
    const reasons = [
      `${findings.length} findings under ${policy.key}: ${overdue} overdue, ${findings.length - overdue} due soon, on ${assetIds.length} assets`,
      due.length ? `the earliest is due ${new Date(Math.min(...due)).toISOString()}` : 'no due date is set',
      rings.length ? `rings in order: ${rings.map((r) => r.name).join(' → ')}` : 'the tenant has no deployment rings: the affected assets are targeted directly',
      slot.reason,
    ];
    return {
      type: ChangeType.STANDARD, title: `${tenant.name}: updates missing under ${policy.key}`,
      description: `Deploys the ${updateIds.length} updates that ${policy.key} counts as missing on ${tenant.name}'s machines${rings.length ? `, ring by ring from ${rings[0].name}` : ''}.`,
      updateIds, assetIds: rings.length ? [] : assetIds, ringIds: rings.map((r) => r.id), plannedStart: slot.start, plannedEnd: slot.end, reasons,
    };
  }

  /** One EMERGENCY proposal per set of missing fixes: the KEV CVEs one update closes are one change, not several. */
  private async kevEmergencies(tenant: Tenant, since: Date, now: Date): Promise<ChangeProposal[]> {
    const sinceDay = since.toISOString().slice(0, 10);
    const kev = await this.dataSource.createQueryBuilder(Vulnerability, 'v').where('v.kevDateAdded >= :sinceDay', { sinceDay }).orderBy('v.kevDateAdded', 'ASC').addOrderBy('v.cveId', 'ASC').getMany();
    const groups = new Map<string, { updateIds: string[]; assetIds: string[]; missing: number; cves: Vulnerability[] }>();
    for (const v of kev) {
      const fixes = (await this.dataSource.getRepository(UpdateVulnerability).findBy({ vulnerabilityId: v.id })).map((l) => l.updateId);
      if (fixes.length === 0) continue;
      const open = await this.dataSource.createQueryBuilder(PatchState, 'ps')
        .where('ps.tenantId = :t AND ps.effective = :yes AND ps.updateId IN (:...fixes) AND ps.state IN (:...states)', {
          t: tenant.id, yes: true, fixes: inList(fixes), states: [...NOT_REMEDIATED_STATES],
        }).getMany();
      if (open.length === 0) continue;
      const updateIds = [...new Set(open.map((s) => s.updateId))].sort();
      const assetIds = [...new Set(open.map((s) => s.assetId))].sort();
      const key = `${updateIds.join(',')}|${assetIds.join(',')}`;
      const group = groups.get(key) ?? { updateIds, assetIds, missing: open.length, cves: [] };
      group.cves.push(v);
      groups.set(key, group);
    }
    return [...groups.values()].map((g) => ({
      type: ChangeType.EMERGENCY,
      title: `${tenant.name}: ${g.cves.map((v) => v.cveId).join(', ')} exploited (CISA KEV)`,
      description: `${g.cves.length === 1 ? 'A CVE' : `${g.cves.length} CVEs`} added to CISA's Known Exploited Vulnerabilities catalog since ${sinceDay}; ${g.assetIds.length} of ${tenant.name}'s machines lack the fix.`,
      updateIds: g.updateIds, assetIds: g.assetIds, ringIds: [], plannedStart: now, plannedEnd: new Date(now.getTime() + EMERGENCY_HOURS * 3600_000),
      reasons: [
        ...g.cves.map((v) => `${v.cveId} added to KEV on ${v.kevDateAdded}${v.kevDueDate ? `, federal due date ${v.kevDueDate}` : ''}${v.kevRansomware ? ', used in ransomware campaigns' : ''}`),
        `${g.missing} missing installs of the fix on ${g.assetIds.length} assets`,
        'EMERGENCY: may run outside maintenance windows, needs its review before it closes',
      ],
    }));
  }

  /** The next occurrence of a window that serves the ring (its own or the tenant's), or tomorrow's evening if none is defined. */
  private async nextWindow(tenantId: string, ring: DeploymentRing | null, now: Date): Promise<{ start: Date; end: Date; reason: string }> {
    const windows = (await this.dataSource.getRepository(MaintenanceWindow).findBy({ tenantId }))
      .filter((w) => !w.siteId && (!w.ringId || w.ringId === ring?.id));
    const until = new Date(now.getTime() + WINDOW_SEARCH_DAYS * 86_400_000);
    const next = windows
      .map((w) => ({ w, o: occurrences(w as WindowRule, now, until).find((o) => o.start >= now) }))
      .filter((x): x is { w: MaintenanceWindow; o: { start: Date; end: Date } } => !!x.o)
      .sort((a, b) => a.o.start.getTime() - b.o.start.getTime())[0];
    if (next) return { start: next.o.start, end: next.o.end, reason: `planned in the next "${next.w.name}" window` };
    const start = new Date(now.getTime() + 86_400_000);
    return { start, end: new Date(start.getTime() + 3 * 3600_000), reason: 'no maintenance window is defined: define one before scheduling (a STANDARD change is refused outside windows)' };
  }
}
