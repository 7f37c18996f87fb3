import { Arg, Field, FieldResolver, Float, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { dailySeries, dayOf, parseDay } from '../../compliance/kpi-series';
import { checkPeriod, ComplianceKpis, defaultPeriod, Period, SlaCounts, TimeToPatchStats as Stats } from '../../compliance/kpis';
import { StatusCount } from '../../compliance/compliance-report';
import { Severity } from '../../entities/enums';
import '../types/enums';
import { ComplianceResult, ComplianceStatusCount } from './compliance.resolver';

@ObjectType({ description: 'Time from the rule\'s clock start to the install, over a group of fixes installed in the period; null statistics when none was' })
class TimeToPatchStats {
  @Field(() => Int, { description: 'Fixes (asset-update pairs) installed in the period' })
  count: number;

  @Field(() => Float, { nullable: true, description: 'Mean hours, to 0.01' })
  meanHours: number | null;

  @Field(() => Float, { nullable: true, description: 'Median hours, nearest rank: the value at rank ceil(n/2) of the sorted times' })
  medianHours: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile hours, nearest rank: the value at rank ceil(0.9 n)' })
  p90Hours: number | null;
}

@ObjectType({ description: 'Time to patch of the fixes of one update severity' })
class SeverityTimeToPatch extends TimeToPatchStats {
  @Field(() => Severity, { description: 'The update\'s vendor severity' })
  severity: string;
}

@ObjectType({ description: 'Time to patch under one rule (tier) of the policy, against that rule\'s own clock' })
class RuleTimeToPatch extends TimeToPatchStats {
  @Field({ description: 'The rule\'s id' })
  rule: string;
}

@ObjectType({ description: 'How long fixes took, for fixes installed in a period. A fix counts once patchgraph had seen the asset lack it; where several rules cover it, the first due governs the totals and the severities' })
class TimeToPatch {
  @Field({ description: 'Start of the period (installs at or after)' })
  from: Date;

  @Field({ description: 'End of the period (installs at or before)' })
  to: Date;

  @Field(() => TimeToPatchStats, { description: 'Every fix installed in the period' })
  overall: TimeToPatchStats;

  @Field(() => [SeverityTimeToPatch], { description: 'By the update\'s severity' })
  bySeverity: SeverityTimeToPatch[];

  @Field(() => [RuleTimeToPatch], { description: 'By policy rule (tier); a fix two rules cover counts under each' })
  byRule: RuleTimeToPatch[];
}

@ObjectType({ description: 'Fixes installed by their due time, and fixes missed' })
class SlaCountsType {
  @Field(() => Int, { description: 'Fixes installed in the period' })
  installed: number;

  @Field(() => Int, { description: 'Of those, installed by their due time' })
  installedOnTime: number;

  @Field(() => Float, { nullable: true, description: 'installedOnTime / installed, from 0 to 1; null when nothing was installed' })
  attainment: number | null;

  @Field(() => Int, { description: 'Fixes due in the period and still not installed at asOf, without a risk exception' })
  missed: number;

  @Field(() => Int, { description: 'Fixes due in the period, not installed at asOf, covered by a risk exception' })
  missedExempt: number;
}

@ObjectType({ description: 'SLA attainment under one rule (tier) of the policy, against its own due times' })
class RuleSlaAttainment extends SlaCountsType {
  @Field({ description: 'The rule\'s id' })
  rule: string;
}

@ObjectType({ description: 'SLA attainment over a period: where several rules cover a fix, the first due decides' })
class SlaAttainment extends SlaCountsType {
  @Field({ description: 'Start of the period' })
  from: Date;

  @Field({ description: 'End of the period' })
  to: Date;

  @Field(() => [RuleSlaAttainment], { description: 'By policy rule (tier)' })
  byRule: RuleSlaAttainment[];
}

@ObjectType({ description: 'Overdue fixes in one band of days past their due time' })
class OverdueBand {
  @Field({ description: '"0-7 days", "8-30 days", "31-90 days" or "over 90 days" (whole days past the due time)' })
  band: string;

  @Field(() => Int, { description: 'Overdue fixes (asset-update pairs) in the band' })
  count: number;
}

@ObjectType({ description: 'Fixes overdue at asOf (exempt ones not counted) and how long overdue' })
class OverdueAgeing {
  @Field(() => Int, { description: 'Overdue fixes (asset-update pairs)' })
  findings: number;

  @Field(() => Int, { description: 'Assets with at least one overdue fix' })
  assets: number;

  @Field(() => [OverdueBand], { description: 'By days past the due time (the earliest, where several rules cover a fix), every band listed' })
  bands: OverdueBand[];
}

@ObjectType({ description: 'How much of the fleet in scope can be vouched for at asOf' })
class ComplianceCoverage {
  @Field(() => Int, { description: 'The window asked for, in days' })
  days: number;

  @Field(() => Int, { description: 'Assets evaluated' })
  assets: number;

  @Field(() => Int, { description: 'Assets whose last check-in was within `days` of asOf' })
  reporting: number;

  @Field(() => Float, { nullable: true, description: 'reporting / assets; null without assets' })
  reportingShare: number | null;

  @Field(() => Int, { description: 'Assets with per-update evidence at asOf (WSUS reported or Intune derived), not device posture alone' })
  perUpdateEvidence: number;

  @Field(() => Float, { nullable: true, description: 'perUpdateEvidence / assets; null without assets' })
  perUpdateEvidenceShare: number | null;
}

@ObjectType({ description: 'One day of a compliance series: the answer at the end of that day (UTC)' })
class ComplianceSeriesPoint {
  @Field({ description: 'The day, YYYY-MM-DD' })
  day: string;

  @Field({ description: 'The time evaluated: the day\'s last millisecond, or knownAt on the day knownAt falls in' })
  asOf: Date;

  @Field(() => [ComplianceStatusCount], { description: 'Assets by status (every status, zeros included)' })
  byStatus: StatusCount[];

  @Field(() => Int, { description: 'Overdue fixes (asset-update pairs), exempt ones not counted' })
  overdueFindings: number;
}

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);
const kpisOf = (r: ComplianceResult) => new ComplianceKpis(r.report.evaluation);

function periodOf(r: ComplianceResult, from: Date | null, to: Date | null): Period {
  const fallback = defaultPeriod(to ?? r.asOf);
  return checkPeriod({ from: from ?? fallback.from, to: to ?? r.asOf }, r.asOf);
}

const statsOf = <T extends TimeToPatchStats>(type: new () => T, s: Stats, extra: Partial<T> = {}): T =>
  Object.assign(new type(), { count: s.count, meanHours: s.meanHours, medianHours: s.medianHours, p90Hours: s.p90Hours }, extra);
const slaOf = <T extends SlaCountsType>(type: new () => T, s: SlaCounts, extra: Partial<T> = {}): T =>
  Object.assign(new type(), { installed: s.installed, installedOnTime: s.installedOnTime, attainment: s.attainment, missed: s.missed, missedExempt: s.missedExempt }, extra);

/** KPIs of a compliance answer, each one SQL statement of aggregates over the same evaluation (the series one per day). */
@Resolver(() => ComplianceResult)
export class ComplianceKpiResolver {
  @FieldResolver(() => TimeToPatch, { description: 'Time from each fix\'s clock start (release, KEV addition, advisory or first detection, per rule) to its install, for fixes installed in the period: mean, median and p90, overall, by severity and by rule' })
  async timeToPatch(
    @Root() r: ComplianceResult,
    @Arg('from', () => Date, { nullable: true, description: 'Start of the period; default 90 days before `to`' }) from: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'End of the period; default asOf, and never after it' }) to: Date | null,
  ): Promise<TimeToPatch> {
    const period = periodOf(r, from, to);
    const t = await kpisOf(r).timeToPatch(period);
    return Object.assign(new TimeToPatch(), {
      ...period,
      overall: statsOf(TimeToPatchStats, t.overall),
      bySeverity: t.bySeverity.map((s) => statsOf(SeverityTimeToPatch, s, { severity: s.key! })),
      byRule: t.byRule.map((s) => statsOf(RuleTimeToPatch, s, { rule: s.key! })),
    });
  }

  @FieldResolver(() => SlaAttainment, { description: 'Of the fixes installed in the period, the share installed by their due time; and the fixes due in the period still not installed at asOf' })
  async slaAttainment(
    @Root() r: ComplianceResult,
    @Arg('from', () => Date, { nullable: true, description: 'Start of the period; default 90 days before `to`' }) from: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'End of the period; default asOf, and never after it' }) to: Date | null,
  ): Promise<SlaAttainment> {
    const period = periodOf(r, from, to);
    const s = await kpisOf(r).slaAttainment(period);
    return slaOf(SlaAttainment, s, { ...period, byRule: s.byRule.map((x) => slaOf(RuleSlaAttainment, x, { rule: x.rule! })) });
  }

  @FieldResolver(() => OverdueAgeing, { description: 'Fixes overdue at asOf, by days past their due time' })
  async overdueAgeing(@Root() r: ComplianceResult): Promise<OverdueAgeing> {
    const a = await kpisOf(r).overdueAgeing();
    return Object.assign(new OverdueAgeing(), { ...a, bands: a.bands.map((b) => Object.assign(new OverdueBand(), b)) });
  }

  @FieldResolver(() => ComplianceCoverage, { description: 'Share of the assets in scope heard from within `days` of asOf, and share with per-update evidence' })
  async coverage(
    @Root() r: ComplianceResult,
    @Arg('days', () => Int, { defaultValue: 7, description: 'How recent a check-in counts, in days (1 to 3650)' }) days: number,
  ): Promise<ComplianceCoverage> {
    const c = await kpisOf(r).coverage(days);
    return Object.assign(new ComplianceCoverage(), { ...c, reportingShare: share(c.reporting, c.assets), perUpdateEvidenceShare: share(c.perUpdateEvidence, c.assets) });
  }

  @FieldResolver(() => [ComplianceSeriesPoint], { description: 'Per day, at each day\'s end (UTC): assets by status and overdue fixes, as the same question asked with that asOf would answer. At most 366 days; each day costs one evaluation, so long ranges take seconds on large fleets' })
  async series(
    @Root() r: ComplianceResult,
    @Arg('from', () => String, { nullable: true, description: 'First day, YYYY-MM-DD; default 29 days before `to`' }) from: string | null,
    @Arg('to', () => String, { nullable: true, description: 'Last day, YYYY-MM-DD; default the day of asOf; not after the day of knownAt' }) to: string | null,
  ): Promise<ComplianceSeriesPoint[]> {
    const last = to === null ? parseDay('to', dayOf(r.asOf)) : parseDay('to', to);
    const first = from === null ? new Date(last.getTime() - 29 * 86_400_000) : parseDay('from', from);
    const points = await dailySeries(r.report.evaluation, first, last);
    return points.map((p) => Object.assign(new ComplianceSeriesPoint(), { ...p, byStatus: p.byStatus.map((s) => Object.assign(new ComplianceStatusCount(), s)) }));
  }
}
