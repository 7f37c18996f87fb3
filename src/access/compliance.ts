import { DataSource } from 'typeorm';
import { ComplianceReport } from '../compliance/compliance-report';
import { ComplianceEvaluation } from '../compliance/evaluation';
import { keptAnswersOf } from '../compliance/kept-answers';
import { PolicyDefinition } from '../compliance/policy-definition';
import { PRESETS } from '../compliance/presets';
import { IntelSource, Site } from '../entities';
import { PolicyVersions } from './policy-versions';
import { NotFoundError, UserInputError } from '../errors';
import { TenantScope } from './tenant-scope';
import { sqlTime } from '../db/sql-time';

export interface ComplianceAsk {
  policyKey: string;
  asOf: Date;
  knownAt: Date;
  tenantId: string | null;
  siteId: string | null;
  assignedOnly: boolean;
}

export interface ResolvedPolicy {
  key: string;
  /** "builtin" for a preset, else the custom policy's version number in force at knownAt. */
  version: string;
  definition: PolicyDefinition;
}

/** Compliance answers within the principal's tenants: the evaluation only ever sees the scope given here. */
export class ComplianceAccess {
  private readonly sources = new Map<string, Promise<IntelSource | null>>();

  constructor(private readonly dataSource: DataSource, private readonly scope: TenantScope) {}

  /** The policy as it stood at `knownAt`: a preset, or the custom policy's latest version recorded by then. */
  async policy(key: string, knownAt: Date): Promise<ResolvedPolicy> {
    const found = await new PolicyVersions(this.dataSource).inForceAt(key, knownAt);
    if (!found) throw new UserInputError('policy', `no policy "${key}" was recorded by ${knownAt.toISOString()}; the presets are ${Object.keys(PRESETS).join(', ')}`);
    return { key: found.key, version: found.version, definition: found.definition };
  }

  /** Of each feed, the newest version imported by `knownAt`. */
  async intelInEffect(knownAt: Date): Promise<IntelSource[]> {
    return this.dataSource
      .createQueryBuilder(IntelSource, 's')
      .where('s.id = (SELECT s2.id FROM intel_source s2 WHERE s2.kind = s.kind AND s2.importedAt <= :knownAt ORDER BY s2.releasedAt DESC, s2.importedAt DESC, s2.id DESC LIMIT 1)', { knownAt: sqlTime(knownAt) })
      .orderBy('s.kind', 'ASC')
      .getMany();
  }

  /** One imported intel file (global data: every principal may read which version a fact came from). */
  intelSource(id: string | null): Promise<IntelSource | null> {
    if (!id) return Promise.resolve(null);
    let pending = this.sources.get(id);
    if (!pending) {
      pending = this.dataSource.getRepository(IntelSource).findOneBy({ id });
      this.sources.set(id, pending);
    }
    return pending;
  }

  async report(ask: ComplianceAsk): Promise<{ policy: ResolvedPolicy; report: ComplianceReport }> {
    if (ask.knownAt < ask.asOf) throw new UserInputError('knownAt', 'must not be before asOf: what was recorded by then cannot describe a later time');
    if (ask.tenantId) this.scope.requireVisible([ask.tenantId], (id) => id);
    let tenantId = ask.tenantId;
    if (ask.siteId) {
      const site = await this.dataSource.getRepository(Site).findOneBy({ id: ask.siteId });
      if (!site || !this.scope.allows(site.tenantId) || (tenantId && site.tenantId !== tenantId)) throw new NotFoundError('Site', ask.siteId);
      tenantId = site.tenantId;
    }
    const policy = await this.policy(ask.policyKey, ask.knownAt);
    const evaluation = new ComplianceEvaluation(this.dataSource, this.scope, {
      policyKey: policy.key, policy: policy.definition, asOf: ask.asOf, knownAt: ask.knownAt, tenantId: tenantId ?? undefined, siteId: ask.siteId ?? undefined,
      assignedOnly: ask.assignedOnly,
    });
    return { policy, report: new ComplianceReport(evaluation, keptAnswersOf(this.dataSource)) };
  }
}
