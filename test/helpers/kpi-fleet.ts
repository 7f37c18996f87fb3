/**
 * A small fleet for the compliance KPI tests, on the real bundled Microsoft catalog, and an independent in-memory
 * statement of what the KPIs should answer for it: the tests compare the database's aggregates with numbers worked
 * out here from the fixture itself, never with numbers the code under test produced.
 *
 * Real facts used: KB5041585 (CRITICAL, released 2024-08-13T07:00Z, CVE-2024-38178 in KEV), KB5043076 (CRITICAL,
 * 2024-09-10T07:00Z, KEV CVEs), KB5075941 (IMPORTANT, 2026-02-10T08:00Z, KEV CVEs).
 */
import { PolicyDefinition } from '../../src/compliance/policy-definition';
import { Asset, PatchEvent, PatchState, RiskException, SourceDevice, Tenant } from '../../src/entities';
import { EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { Factory } from './factories';

export type Kb = 'KB5041585' | 'KB5043076' | 'KB5075941';
export const RELEASED: Record<Kb, Date> = {
  KB5041585: new Date('2024-08-13T07:00:00Z'),
  KB5043076: new Date('2024-09-10T07:00:00Z'),
  KB5075941: new Date('2026-02-10T08:00:00Z'),
};
export const SEVERITY: Record<Kb, string> = { KB5041585: 'CRITICAL', KB5043076: 'CRITICAL', KB5075941: 'IMPORTANT' };
const KEV: Record<Kb, boolean> = { KB5041585: true, KB5043076: true, KB5075941: true };

const H = 3_600_000;
const D = 24 * H;
const t = (iso: string) => new Date(iso);

export interface FixSpec {
  kb: Kb;
  /** When a sync first saw the machine lack it; null when it was first seen installed. */
  missingAt: Date | null;
  /** The install as the source dates it (WSUS's own time; Intune's is when the sync observed it). */
  installedAt?: Date;
  /** When patchgraph recorded the install (WSUS only; Intune's install is recorded when observed). */
  recordedAt?: Date;
}

export interface MachineSpec {
  name: string;
  /** REPORTED: WSUS; DERIVED: Intune; null: Datto RMM posture only. */
  evidence: EvidenceKind | null;
  lastSeenAt: Date;
  fixes: FixSpec[];
}

const ONBOARDED = t('2024-08-01T00:00:00Z');

export const KPI_FLEET: MachineSpec[] = [
  { name: 'WSUS-01', evidence: EvidenceKind.REPORTED, lastSeenAt: t('2026-03-30T12:00:00Z'), fixes: [
    { kb: 'KB5041585', missingAt: t('2024-08-14T09:00:00Z'), installedAt: t('2024-08-20T07:00:00Z'), recordedAt: t('2024-08-21T06:00:00Z') }] },
  { name: 'INTUNE-02', evidence: EvidenceKind.DERIVED, lastSeenAt: t('2026-03-30T12:00:00Z'), fixes: [
    { kb: 'KB5041585', missingAt: t('2024-08-14T09:00:00Z'), installedAt: t('2024-08-30T07:00:00Z') }] },
  { name: 'WSUS-03', evidence: EvidenceKind.REPORTED, lastSeenAt: t('2026-03-29T00:00:00Z'), fixes: [
    { kb: 'KB5041585', missingAt: t('2024-08-14T09:00:00Z'), installedAt: t('2024-08-15T19:00:00Z'), recordedAt: t('2024-08-16T06:00:00Z') }] },
  { name: 'WSUS-04', evidence: EvidenceKind.REPORTED, lastSeenAt: t('2026-03-30T12:00:00Z'), fixes: [
    // August's never installed, but September's (which supersedes it) closes it from 2024-09-20.
    { kb: 'KB5041585', missingAt: t('2024-08-14T09:00:00Z') },
    { kb: 'KB5043076', missingAt: t('2024-09-11T09:00:00Z'), installedAt: t('2024-09-20T07:00:00Z'), recordedAt: t('2024-09-20T18:00:00Z') }] },
  { name: 'INTUNE-05', evidence: EvidenceKind.DERIVED, lastSeenAt: t('2026-03-30T12:00:00Z'), fixes: [
    { kb: 'KB5075941', missingAt: t('2026-02-11T09:00:00Z'), installedAt: t('2026-02-13T08:00:00Z') }] },
  { name: 'WSUS-06', evidence: EvidenceKind.REPORTED, lastSeenAt: t('2026-03-26T00:00:00Z'), fixes: [
    { kb: 'KB5075941', missingAt: t('2026-02-11T09:00:00Z'), installedAt: t('2026-03-02T08:00:00Z'), recordedAt: t('2026-03-02T20:00:00Z') }] },
  { name: 'DATTO-07', evidence: null, lastSeenAt: t('2026-03-30T12:00:00Z'), fixes: [] },
  // Stale: last heard from in February 2026.
  { name: 'WSUS-08', evidence: EvidenceKind.REPORTED, lastSeenAt: t('2026-02-15T00:00:00Z'), fixes: [
    { kb: 'KB5043076', missingAt: t('2024-09-11T09:00:00Z') },
    { kb: 'KB5075941', missingAt: t('2026-02-11T09:00:00Z') }] },
  // Enrolled already patched: its install time is the enrolment, and no time to patch can be told from it.
  { name: 'INTUNE-09', evidence: EvidenceKind.DERIVED, lastSeenAt: t('2026-03-20T00:00:00Z'), fixes: [
    { kb: 'KB5041585', missingAt: null, installedAt: t('2024-08-14T09:00:00Z') }] },
  // Missing KB5075941 under a risk exception (2026-02-01 to 2026-06-30).
  { name: 'WSUS-10', evidence: EvidenceKind.REPORTED, lastSeenAt: t('2026-03-30T12:00:00Z'), fixes: [
    { kb: 'KB5075941', missingAt: t('2026-02-11T09:00:00Z') }] },
];
export const EXCEPTION = { machine: 'WSUS-10', kb: 'KB5075941' as Kb, validFrom: t('2026-02-01T00:00:00Z'), expiresAt: t('2026-06-30T00:00:00Z') };

/** A custom policy with two tiers and two clocks: critical fixes 14 days from release, KEV fixes 7 days from first detection. */
export const TIERED: PolicyDefinition = {
  name: 'Tiered test policy', description: 'Two tiers', source: 'test', timeZone: 'UTC', dueSoonHours: 72,
  findingRules: [
    { id: 'critical-14d', description: 'Critical: 14 days from release', scope: { vendorSeverity: ['CRITICAL'] }, clockStart: 'RELEASE', allowance: { days: 14 } },
    { id: 'kev-detected-7d', description: 'KEV: 7 days from first detection', scope: { kev: true }, clockStart: 'FIRST_DETECTED', allowance: { days: 7 } },
  ],
  deviceRules: [],
};

/** Inserts the machines for a tenant, as syncs would have left them: sources, current states and events. */
export async function loadKpiFleet(f: Factory, tenant: Tenant, updates: ReadonlyMap<string, { id: string }>, machines: MachineSpec[] = KPI_FLEET): Promise<Record<string, Asset>> {
  const assets: Record<string, Asset> = {};
  for (const m of machines) {
    const [asset] = await f.insertAssets([f.asset(tenant, { hostname: m.name, osName: 'Windows 11 Pro', osBuild: '22631.3880', osVersion: '23H2', lastSeenAt: m.lastSeenAt, createdAt: ONBOARDED })]);
    assets[m.name] = asset;
    const connector = await f.connector(tenant, m.evidence === EvidenceKind.REPORTED ? 'wsus' : m.evidence === null ? 'datto-rmm' : 'intune');
    const source = f.source(asset, connector, { firstSeenAt: ONBOARDED, lastCheckInAt: m.lastSeenAt });
    await f.insert(SourceDevice, [source]);
    for (const fix of m.fixes) {
      const updateId = updates.get(fix.kb)!.id;
      const state = fix.installedAt ? PatchStateValue.INSTALLED : PatchStateValue.MISSING;
      await f.insert(PatchState, [{ ...f.patchState(source, updateId, state), evidence: m.evidence } as PatchState]);
      const event = (from: PatchStateValue | null, to: PatchStateValue, observedAt: Date, reportedAt: Date | null) => Object.assign(new PatchEvent(), {
        id: newId(), tenantId: tenant.id, assetId: asset.id, sourceDeviceId: source.id, updateId, syncRunId: null, fromState: from, toState: to, evidence: m.evidence ?? EvidenceKind.DERIVED, reportedAt, observedAt,
      });
      const events: PatchEvent[] = [];
      if (fix.missingAt) events.push(event(null, PatchStateValue.MISSING, fix.missingAt, null));
      if (fix.installedAt) {
        const from = fix.missingAt ? PatchStateValue.MISSING : null;
        events.push(m.evidence === EvidenceKind.REPORTED
          ? event(from, PatchStateValue.INSTALLED, fix.recordedAt ?? fix.installedAt, fix.installedAt)
          : event(from, PatchStateValue.INSTALLED, fix.installedAt, null));
      }
      await f.insert(PatchEvent, events);
    }
    if (m.name === EXCEPTION.machine) {
      await f.insert(RiskException, [Object.assign(new RiskException(), {
        id: newId(), tenantId: tenant.id, siteId: null, assetId: asset.id, updateId: updates.get(EXCEPTION.kb)!.id, cveId: null, policyKey: null,
        owner: 'Head of IT', reason: 'Vendor app certification pending', compensatingControl: 'Isolated VLAN',
        validFrom: EXCEPTION.validFrom, expiresAt: EXCEPTION.expiresAt, createdAt: EXCEPTION.validFrom, createdBy: 'test', revokedAt: null, revokedBy: null,
      })]);
    }
  }
  return assets;
}

// ---- The independent statement of the KPIs over the fixture ----

export type PolicyName = 'cyber-essentials' | 'tiered';

interface Term { rule: string; clockStart: Date; due: Date }

/** The rules covering a fix, with their clocks, as the policy text says (both policies' arithmetic is whole days in UTC here). */
export function termsOf(policy: PolicyName, fix: FixSpec): Term[] {
  const released = RELEASED[fix.kb];
  if (policy === 'cyber-essentials') return [{ rule: 'high-risk-14d', clockStart: released, due: new Date(released.getTime() + 14 * D) }];
  const terms: Term[] = [];
  if (SEVERITY[fix.kb] === 'CRITICAL') terms.push({ rule: 'critical-14d', clockStart: released, due: new Date(released.getTime() + 14 * D) });
  if (KEV[fix.kb] && fix.missingAt) terms.push({ rule: 'kev-detected-7d', clockStart: fix.missingAt, due: new Date(fix.missingAt.getTime() + 7 * D) });
  return terms;
}

const governing = (terms: Term[]) => [...terms].sort((a, b) => a.due.getTime() - b.due.getTime() || a.rule.localeCompare(b.rule))[0];

/** The value at rank ceil(p × n) of the sorted values. */
export function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

export interface Stats { count: number; meanHours: number | null; medianHours: number | null; p90Hours: number | null }
export function stats(hours: number[]): Stats {
  if (hours.length === 0) return { count: 0, meanHours: null, medianHours: null, p90Hours: null };
  return { count: hours.length, meanHours: Math.round((hours.reduce((a, b) => a + b, 0) / hours.length) * 100) / 100, medianHours: nearestRank(hours, 50), p90Hours: nearestRank(hours, 90) };
}

/** Installs patchgraph can time: seen missing first, recorded by knownAt, dated within [from, to]. */
export function installsIn(from: Date, to: Date, knownAt: Date, machines: MachineSpec[] = KPI_FLEET) {
  return machines.flatMap((m) => m.fixes.map((fix) => ({ machine: m.name, fix, recorded: m.evidence === EvidenceKind.REPORTED ? fix.recordedAt ?? fix.installedAt : fix.installedAt })))
    .filter((x) => x.fix.installedAt && x.fix.missingAt && x.fix.missingAt <= x.fix.installedAt && x.fix.installedAt >= from && x.fix.installedAt <= to && x.recorded! <= knownAt);
}

export function expectedTimeToPatch(policy: PolicyName, from: Date, to: Date, knownAt: Date) {
  const installs = installsIn(from, to, knownAt);
  const hoursFrom = (start: Date, end: Date) => Math.max(0, (end.getTime() - start.getTime()) / H);
  const gov = installs.map((x) => ({ sev: SEVERITY[x.fix.kb], h: hoursFrom(governing(termsOf(policy, x.fix)).clockStart, x.fix.installedAt!) }));
  const perRule = installs.flatMap((x) => termsOf(policy, x.fix).map((term) => ({ rule: term.rule, h: hoursFrom(term.clockStart, x.fix.installedAt!) })));
  const group = <T>(rows: T[], key: (r: T) => string, h: (r: T) => number) =>
    [...new Set(rows.map(key))].sort().map((k) => ({ key: k, ...stats(rows.filter((r) => key(r) === k).map(h)) }));
  return {
    overall: { key: null, ...stats(gov.map((g) => g.h)) },
    bySeverity: group(gov, (g) => g.sev, (g) => g.h),
    byRule: group(perRule, (r) => r.rule, (r) => r.h),
  };
}

/** The catalog's supersedence among the fleet's updates: September 2024's cumulative update supersedes August's. */
const SUPERSEDED_BY: Partial<Record<Kb, Kb[]>> = { KB5041585: ['KB5043076'] };

/** Whether a fix was installed at `asOf` (as known by `knownAt`). */
function installedAt(m: MachineSpec, fix: FixSpec, asOf: Date, knownAt: Date): boolean {
  if (!fix.installedAt) return false;
  const recorded = m.evidence === EvidenceKind.REPORTED ? fix.recordedAt ?? fix.installedAt : fix.installedAt;
  return fix.installedAt <= asOf && recorded <= knownAt;
}

/** Whether a fix was still missing at `asOf` (as known by `knownAt`): not installed, nor any update superseding it. */
function openAt(m: MachineSpec, fix: FixSpec, asOf: Date, knownAt: Date): boolean {
  if (!fix.missingAt || fix.missingAt > asOf) return false;
  const superseded = (SUPERSEDED_BY[fix.kb] ?? []).some((kb) => m.fixes.some((other) => other.kb === kb && installedAt(m, other, asOf, knownAt)));
  return !installedAt(m, fix, asOf, knownAt) && !superseded;
}

const exempt = (m: MachineSpec, fix: FixSpec, asOf: Date) => m.name === EXCEPTION.machine && fix.kb === EXCEPTION.kb && EXCEPTION.validFrom <= asOf && EXCEPTION.expiresAt > asOf;

export function expectedSla(policy: PolicyName, from: Date, to: Date, asOf: Date, knownAt: Date) {
  const installs = installsIn(from, to, knownAt);
  const installed = installs.length;
  const installedOnTime = installs.filter((x) => x.fix.installedAt! <= governing(termsOf(policy, x.fix)).due).length;
  const open = KPI_FLEET.flatMap((m) => m.fixes.filter((fix) => openAt(m, fix, asOf, knownAt)).map((fix) => ({ m, fix, due: governing(termsOf(policy, fix)).due })))
    .filter((x) => x.due >= from && x.due <= to);
  return {
    installed, installedOnTime, attainment: installed ? installedOnTime / installed : null,
    missed: open.filter((x) => !exempt(x.m, x.fix, asOf)).length, missedExempt: open.filter((x) => exempt(x.m, x.fix, asOf)).length,
  };
}

export function expectedAgeing(policy: PolicyName, asOf: Date, knownAt: Date) {
  const overdue = KPI_FLEET.flatMap((m) => m.fixes.filter((fix) => openAt(m, fix, asOf, knownAt) && !exempt(m, fix, asOf)).map((fix) => ({ m, due: governing(termsOf(policy, fix)).due })))
    .filter((x) => x.due <= asOf);
  const daysOver = overdue.map((x) => Math.floor((asOf.getTime() - x.due.getTime()) / D));
  return {
    findings: overdue.length,
    assets: new Set(overdue.map((x) => x.m.name)).size,
    bands: [
      { band: '0-7 days', count: daysOver.filter((d) => d <= 7).length },
      { band: '8-30 days', count: daysOver.filter((d) => d >= 8 && d <= 30).length },
      { band: '31-90 days', count: daysOver.filter((d) => d >= 31 && d <= 90).length },
      { band: 'over 90 days', count: daysOver.filter((d) => d > 90).length },
    ],
  };
}

export function expectedCoverage(asOf: Date, days: number) {
  return {
    days,
    assets: KPI_FLEET.length,
    reporting: KPI_FLEET.filter((m) => m.lastSeenAt.getTime() >= asOf.getTime() - days * D).length,
    perUpdateEvidence: KPI_FLEET.filter((m) => m.fixes.some((fix) => (fix.missingAt ?? fix.installedAt!) <= asOf)).length,
  };
}

/**
 * Each machine's Cyber Essentials status at `asOf`, for dates when every machine's OS (Windows 11 23H2) was
 * supported and every machine had been heard from within 14 days: the worst of its fixes, UNVERIFIED without
 * per-update evidence.
 */
export function expectedCyberEssentialsStatuses(asOf: Date, knownAt: Date): Record<string, number> {
  const counts: Record<string, number> = { COMPLIANT: 0, EXEMPT: 0, DUE_SOON: 0, UNVERIFIED: 0, NON_COMPLIANT: 0 };
  const rank = ['COMPLIANT', 'EXEMPT', 'DUE_SOON', 'UNVERIFIED', 'NON_COMPLIANT'];
  for (const m of KPI_FLEET) {
    if (!m.fixes.some((fix) => (fix.missingAt ?? fix.installedAt!) <= asOf)) {
      counts.UNVERIFIED += 1;
      continue;
    }
    let worst = 0;
    for (const fix of m.fixes.filter((x) => openAt(m, x, asOf, knownAt))) {
      const due = termsOf('cyber-essentials', fix)[0].due;
      const status = exempt(m, fix, asOf) ? 1 : due <= asOf ? 4 : due.getTime() - 72 * H <= asOf.getTime() ? 2 : 0;
      worst = Math.max(worst, status);
    }
    counts[rank[worst]] += 1;
  }
  return counts;
}

/** Overdue (machine, fix) pairs at `asOf` under Cyber Essentials. */
export function expectedOverdueCount(asOf: Date, knownAt: Date): number {
  return expectedAgeing('cyber-essentials', asOf, knownAt).findings;
}
