import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Float, ID, Int, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { ResolvedPolicy } from '../../access/compliance';
import { AssetStatusRow, ComplianceReport, FindingRow, StatusCount } from '../../compliance/compliance-report';
import { ComplianceStatusName, HeldCveFacts, STATUS_RANK } from '../../compliance/evaluation';
import { Asset, IntelSource, Site, Tenant, Update } from '../../entities';
import { EvidenceKind, PatchStateValue } from '../../entities/enums';
import { UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { PageInfo } from '../types/connection';
import { keyOf, toGlobalId } from '../types/global-id';

export enum ComplianceStatus {
  COMPLIANT = 'COMPLIANT',
  EXEMPT = 'EXEMPT',
  DUE_SOON = 'DUE_SOON',
  UNVERIFIED = 'UNVERIFIED',
  NON_COMPLIANT = 'NON_COMPLIANT',
}
registerEnumType(ComplianceStatus, {
  name: 'ComplianceStatus',
  description: 'Where an asset or finding stands under a policy, worst last',
  valuesConfig: {
    COMPLIANT: { description: 'Every fix in scope is installed, or still within its allowance' },
    EXEMPT: { description: 'What would be overdue is covered by a risk exception in force' },
    DUE_SOON: { description: 'A fix is due within the policy\'s warning window' },
    UNVERIFIED: { description: 'The evidence cannot show compliance: device posture only, or the device has not been heard from' },
    NON_COMPLIANT: { description: 'A fix is overdue, or a device rule fails (unsupported OS, no patch policy)' },
  },
});

@ObjectType({ description: 'A number of assets in one status' })
export class ComplianceStatusCount {
  @Field(() => ComplianceStatus, { description: 'The status' })
  status: ComplianceStatusName;

  @Field(() => Int, { description: 'Assets in it' })
  count: number;
}

@ObjectType({ description: 'Counts of a tenant\'s assets by status' })
class TenantComplianceCounts {
  tenantId: string;

  @Field(() => [ComplianceStatusCount], { description: 'The tenant\'s assets by status, zeros included' })
  byStatus: StatusCount[];
}

@ObjectType({ description: 'Counts of a site\'s assets by status; the site is null for assets without one' })
class SiteComplianceCounts {
  siteId: string | null;

  @Field(() => [ComplianceStatusCount], { description: 'The site\'s assets by status, zeros included' })
  byStatus: StatusCount[];
}

@ObjectType({ description: 'Open findings (fixes in scope not installed at asOf) of one update severity and status' })
class SeverityFindingCount {
  @Field({ description: 'The update\'s vendor severity' })
  severity: string;

  @Field(() => ComplianceStatus, { description: 'The findings\' status: NON_COMPLIANT overdue, DUE_SOON, COMPLIANT within allowance, EXEMPT' })
  status: ComplianceStatusName;

  @Field(() => Int, { description: 'Asset-update pairs' })
  count: number;
}

@ObjectType({ description: 'Open findings whose clock has run for a span of days at asOf' })
class AgeBandCount {
  @Field({ description: 'e.g. "8-14 days"' })
  band: string;

  @Field(() => Int, { description: 'Asset-update pairs in the band' })
  count: number;
}

@ObjectType({ description: 'An asset with overdue fixes' })
class AssetOverdueCount {
  assetId: string;

  @Field(() => Int, { description: 'Updates overdue on the asset at asOf' })
  overdueUpdates: number;
}

@ObjectType({ description: 'A CVE an update fixes, with the facts patchgraph held for it at knownAt and the intel version each came from' })
class FindingCve {
  facts: HeldCveFacts;

  @Field({ description: 'CVE identifier' })
  cveId: string;

  @Field({ description: 'Vendor severity of the CVE' })
  severity: string;

  @Field(() => Float, { nullable: true, description: 'CVSS base score held at knownAt' })
  cvssBaseScore: number | null;

  @Field(() => String, { nullable: true, description: 'Date (YYYY-MM-DD) CISA added the CVE to KEV, as held at knownAt; null when not in KEV then' })
  kevDateAdded: string | null;

  @Field(() => String, { nullable: true, description: 'KEV due date (YYYY-MM-DD) held at knownAt' })
  kevDueDate: string | null;

  @Field({ description: 'KEV says the CVE is known to be used in ransomware campaigns' })
  knownRansomwareUse: boolean;

  @Field(() => Float, { nullable: true, description: 'EPSS score held at knownAt' })
  epssScore: number | null;
}

@ObjectType({ description: 'One fix in a rule\'s scope that an asset lacked at asOf' })
class ComplianceFinding {
  row: FindingRow;
  asOf: Date;
  report: ComplianceReport;

  @Field({ description: 'Id of the policy rule that put the update in scope' })
  rule: string;

  @Field(() => ComplianceStatus, { description: 'NON_COMPLIANT once overdue; COMPLIANT while within its allowance' })
  status: ComplianceStatusName;

  @Field(() => PatchStateValue, { description: 'The state at asOf, from the chosen source' })
  state: string;

  @Field(() => EvidenceKind, { description: 'How the state is known: REPORTED per update (WSUS) or DERIVED from the build (Intune)' })
  evidence: string;

  @Field(() => Date, { nullable: true, description: 'When the rule\'s clock started (release, KEV addition, advisory notice or first detection)' })
  clockStart: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the fix was due under the rule' })
  dueAt: Date | null;

  @Field(() => Float, { nullable: true, description: 'Hours past the due time at asOf; null when not overdue' })
  overdueHours: number | null;

  @Field(() => ID, { nullable: true, description: 'The risk exception that makes the finding EXEMPT' })
  exceptionId: string | null;
}

@ObjectType({ description: 'An asset\'s standing under a policy at asOf' })
class AssetCompliance {
  report: ComplianceReport;
  row: AssetStatusRow;
  findingRows: FindingRow[];
  asOf: Date;

  @Field(() => ComplianceStatus, { description: 'The worst status of the asset\'s findings and device rules' })
  status: ComplianceStatusName;

  @Field(() => [String], { description: 'What decided the status: FINDING, NO_PER_UPDATE_EVIDENCE, NOT_HEARD_FROM, UNSUPPORTED_OS, OS_EDITION_UNKNOWN (past the Home/Pro end of servicing, within the Enterprise/Education one, edition not reported), NO_PATCH_POLICY' })
  reasons: string[];
}

@ObjectType({ description: 'A page of assets with their compliance, worst status first' })
class AssetComplianceConnection {
  @Field(() => [AssetCompliance], { description: 'The assets in this page' })
  nodes: AssetCompliance[];

  @Field(() => PageInfo, { description: 'Information to fetch further pages (pass endCursor as after)' })
  pageInfo: PageInfo;

  @Field(() => Int, { description: 'Assets matching the status filter, over all pages' })
  totalCount: number;
}

@ObjectType({ description: 'Compliance of the caller\'s assets with one policy, at asOf, as recorded by knownAt. Every count is a database aggregate' })
export class ComplianceResult {
  report: ComplianceReport;
  policy: ResolvedPolicy;

  @Field({ description: 'The policy asked about' })
  policyKey: string;

  @Field({ description: '"builtin" for a preset, else the custom policy\'s version in force at knownAt' })
  policyVersion: string;

  @Field({ description: 'The policy\'s name' })
  policyName: string;

  @Field({ description: 'The framework text the policy implements' })
  policySource: string;

  @Field({ description: 'The time the answer describes' })
  asOf: Date;

  @Field({ description: 'What patchgraph had recorded by this time is what the answer uses; later syncs never change it' })
  knownAt: Date;
}

@ArgsType()
class ComplianceArgs {
  @Field({ description: 'Policy key: a preset (e.g. "cyber-essentials-v3.3", "cisa-bod-22-01") or a custom policy' })
  policy: string;

  @Field(() => Date, { nullable: true, description: 'The time asked about; default now' })
  asOf?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Use only what patchgraph had recorded by then; default now. Must not be before asOf' })
  knownAt?: Date | null;

  @Field(() => ID, { nullable: true, description: 'Only this tenant' })
  tenantId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this site' })
  siteId?: string | null;

  @Field({ defaultValue: false, description: 'Only assets whose tenant or site had the policy assigned at asOf' })
  assignedOnly: boolean;
}

const cursorOf = (r: AssetStatusRow) => Buffer.from(JSON.stringify(['compliance', STATUS_RANK[r.status], r.hostname, r.assetId]), 'utf8').toString('base64url');

function decodeCursor(cursor: string): { statusRank: number; hostname: string; assetId: string } {
  try {
    const [name, statusRank, hostname, assetId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (name === 'compliance' && Number.isInteger(statusRank) && typeof hostname === 'string' && typeof assetId === 'string') return { statusRank, hostname, assetId };
  } catch {
    // refused below
  }
  throw new UserInputError('after', 'is not a cursor this API issued');
}

@Resolver(() => ComplianceResult)
export class ComplianceResolver {
  @Query(() => ComplianceResult, { description: 'How the caller\'s assets stand under a policy, now or at any past time, reproducibly' })
  async compliance(@Args() args: ComplianceArgs, @Ctx() { access, clock }: RequestContext): Promise<ComplianceResult> {
    const now = clock.now();
    const asOf = args.asOf ?? now;
    const knownAt = args.knownAt ?? (asOf > now ? asOf : now);
    const { policy, report } = await access.compliance.report({
      policyKey: args.policy, asOf, knownAt,
      tenantId: args.tenantId ? keyOf('Tenant', args.tenantId, 'tenantId') : null,
      siteId: args.siteId ? keyOf('Site', args.siteId, 'siteId') : null,
      assignedOnly: args.assignedOnly,
    });
    return Object.assign(new ComplianceResult(), {
      report, policy, policyKey: policy.key, policyVersion: policy.version, policyName: policy.definition.name, policySource: policy.definition.source, asOf, knownAt,
    });
  }

  @FieldResolver(() => [IntelSource], {
    description: 'The vulnerability intelligence the findings were judged with: of each feed (KEV catalog, MSRC documents, CVE records, EPSS), the newest version imported by knownAt. Each finding\'s cves name the version every fact came from',
  })
  intel(@Root() r: ComplianceResult, @Ctx() { access }: RequestContext): Promise<IntelSource[]> {
    return access.compliance.intelInEffect(r.knownAt);
  }

  @FieldResolver(() => Int, { description: 'Assets evaluated' })
  async assetCount(@Root() r: ComplianceResult): Promise<number> {
    return r.report.total(null);
  }

  @FieldResolver(() => [ComplianceStatusCount], { description: 'Assets by status (every status, zeros included)' })
  byStatus(@Root() r: ComplianceResult): Promise<StatusCount[]> {
    return r.report.statusCounts();
  }

  @FieldResolver(() => [TenantComplianceCounts], { description: 'Assets by tenant and status' })
  async byTenant(@Root() r: ComplianceResult): Promise<TenantComplianceCounts[]> {
    return (await r.report.statusCountsBy('tenantId')).map((g) => Object.assign(new TenantComplianceCounts(), { tenantId: g.key!, byStatus: g.counts }));
  }

  @FieldResolver(() => [SiteComplianceCounts], { description: 'Assets by site and status' })
  async bySite(@Root() r: ComplianceResult): Promise<SiteComplianceCounts[]> {
    return (await r.report.statusCountsBy('siteId')).map((g) => Object.assign(new SiteComplianceCounts(), { siteId: g.key, byStatus: g.counts }));
  }

  @FieldResolver(() => [SeverityFindingCount], { description: 'Open findings by update severity and status' })
  async openFindingsBySeverity(@Root() r: ComplianceResult): Promise<SeverityFindingCount[]> {
    return (await r.report.openFindingsBySeverity()).map((x) => Object.assign(new SeverityFindingCount(), x));
  }

  @FieldResolver(() => [AgeBandCount], { description: 'Open findings by days since their clock started' })
  async openFindingsByAge(@Root() r: ComplianceResult): Promise<AgeBandCount[]> {
    return (await r.report.openFindingsByAge()).map((x) => Object.assign(new AgeBandCount(), x));
  }

  @FieldResolver(() => [AssetOverdueCount], { description: 'The assets with the most overdue updates' })
  async worstAssets(@Root() r: ComplianceResult, @Arg('first', () => Int, { defaultValue: 10 }) first: number): Promise<AssetOverdueCount[]> {
    if (first < 1 || first > 100) throw new UserInputError('first', 'must be between 1 and 100');
    return (await r.report.worstAssets(first)).map((x) => Object.assign(new AssetOverdueCount(), { assetId: x.assetId, overdueUpdates: x.overdue }));
  }

  @FieldResolver(() => AssetComplianceConnection, { description: 'Assets with their status and findings, worst first' })
  async assets(
    @Root() r: ComplianceResult,
    @Ctx() { config }: RequestContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size; default and maximum as for every connection' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Arg('status', () => [ComplianceStatus], { nullable: true, description: 'Only assets in these statuses' }) status: ComplianceStatusName[] | null,
  ): Promise<AssetComplianceConnection> {
    const size = first ?? config.defaultPageSize;
    if (size < 1 || size > config.maxPageSize) throw new UserInputError('first', `must be between 1 and ${config.maxPageSize}`);
    const rows = await r.report.assets(size + 1, after ? decodeCursor(after) : null, status);
    const page = rows.slice(0, size);
    const findings = await r.report.findings(page.map((x) => x.assetId));
    const nodes = page.map((row) => Object.assign(new AssetCompliance(), {
      report: r.report, row, asOf: r.asOf, status: row.status, reasons: row.reasons, findingRows: findings.filter((f) => f.assetId === row.assetId),
    }));
    return Object.assign(new AssetComplianceConnection(), {
      nodes,
      totalCount: await r.report.total(status),
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: rows.length > size, hasPreviousPage: after !== null,
        startCursor: page[0] ? cursorOf(page[0]) : null, endCursor: page.length ? cursorOf(page[page.length - 1]) : null,
      }),
    });
  }
}

@Resolver(() => TenantComplianceCounts)
export class TenantComplianceCountsResolver {
  @FieldResolver(() => Tenant, { description: 'The tenant' })
  tenant(@Root() g: TenantComplianceCounts, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(g.tenantId);
  }
}

@Resolver(() => SiteComplianceCounts)
export class SiteComplianceCountsResolver {
  @FieldResolver(() => Site, { nullable: true, description: 'The site; null for the tenant\'s assets in no site' })
  site(@Root() g: SiteComplianceCounts, @Ctx() { loaders }: RequestContext) {
    return g.siteId ? loaders.site.load(g.siteId) : null;
  }
}

@Resolver(() => AssetOverdueCount)
export class AssetOverdueCountResolver {
  @FieldResolver(() => Asset, { description: 'The asset' })
  asset(@Root() x: AssetOverdueCount, @Ctx() { loaders }: RequestContext) {
    return loaders.asset.load(x.assetId);
  }
}

@Resolver(() => AssetCompliance)
export class AssetComplianceResolver {
  @FieldResolver(() => Asset, { description: 'The asset' })
  asset(@Root() a: AssetCompliance, @Ctx() { loaders }: RequestContext) {
    return loaders.asset.load(a.row.assetId);
  }

  @FieldResolver(() => [ComplianceFinding], { description: 'The asset\'s findings, worst first' })
  findings(@Root() a: AssetCompliance): ComplianceFinding[] {
    return a.findingRows.map((row) => Object.assign(new ComplianceFinding(), {
      row, asOf: a.asOf, rule: row.ruleId, status: row.status, state: row.state, evidence: row.evidence, clockStart: row.clockStartAt, dueAt: row.dueAt,
      overdueHours: row.dueAt && row.dueAt <= a.asOf ? Math.round((a.asOf.getTime() - row.dueAt.getTime()) / 36_000) / 100 : null,
      exceptionId: row.exceptionId ? toGlobalId('RiskException', row.exceptionId) : null, report: a.report,
    }));
  }
}

@Resolver(() => ComplianceFinding)
export class ComplianceFindingResolver {
  @FieldResolver(() => Update, { description: 'The update the asset lacks' })
  update(@Root() f: ComplianceFinding, @Ctx() { loaders }: RequestContext) {
    return loaders.update.load(f.row.updateId);
  }

  @FieldResolver(() => Boolean, {
    description: "True when the rule's clock starts at release but no source gave the update a release date, so clockStart is when a sync first saw it (Update.releasedAtSource FIRST_SEEN)",
  })
  clockStartIsFirstSeen(@Root() f: ComplianceFinding): Promise<boolean> {
    return f.report.evaluation.clockStartsAtFirstSeen(f.row.ruleId, f.row.updateId);
  }

  @FieldResolver(() => [FindingCve], { description: 'The CVEs the update fixes, with the facts (CVSS, KEV, EPSS) the finding was judged on: those held at knownAt' })
  async cves(@Root() f: ComplianceFinding): Promise<FindingCve[]> {
    const update = (await f.report.evaluation.updateFacts()).find((u) => u.id === f.row.updateId);
    return (update?.cves ?? []).map((c) => Object.assign(new FindingCve(), {
      facts: c, cveId: c.cveId, severity: c.severity, cvssBaseScore: c.cvss, kevDateAdded: c.kevDateAdded, kevDueDate: c.kevDueDate,
      knownRansomwareUse: c.ransomware, epssScore: c.epss,
    }));
  }
}

@Resolver(() => FindingCve)
export class FindingCveResolver {
  @FieldResolver(() => IntelSource, { nullable: true, description: 'The intel file the CVSS score came from; null when from the bundled catalog or a connector' })
  cvssSource(@Root() c: FindingCve, @Ctx() { access }: RequestContext): Promise<IntelSource | null> {
    return access.compliance.intelSource(c.facts.cvssSourceId);
  }

  @FieldResolver(() => IntelSource, { nullable: true, description: 'The KEV catalog version the KEV facts came from; null when from the bundled catalog' })
  kevSource(@Root() c: FindingCve, @Ctx() { access }: RequestContext): Promise<IntelSource | null> {
    return access.compliance.intelSource(c.facts.kevSourceId);
  }

  @FieldResolver(() => IntelSource, { nullable: true, description: 'The EPSS file the score came from; null when from the bundled catalog' })
  epssSource(@Root() c: FindingCve, @Ctx() { access }: RequestContext): Promise<IntelSource | null> {
    return access.compliance.intelSource(c.facts.epssSourceId);
  }
}
