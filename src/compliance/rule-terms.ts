import { DateTime } from 'luxon';
import { Allowance, FindingRule, FindingScope, PolicyDefinition } from './policy-definition';

/** What the catalog knows of one update and the CVEs it fixes: the facts finding rules select on. */
export interface UpdateFacts {
  id: string;
  severity: string;
  classification: string;
  releasedAt: Date | null;
  /** Where releasedAt comes from (ReleaseDateSource); FIRST_SEEN when no source gave a release date. */
  releasedAtSource?: string;
  cves: CveFacts[];
}

/**
 * Whether the rule's clock for this update starts only when a sync first saw it: a RELEASE clock over an update no
 * source dated. The due date then runs late by however long the update went unreported, and a report must say so.
 */
export function clockStartsAtFirstSeen(rule: FindingRule, u: Pick<UpdateFacts, 'releasedAtSource'>): boolean {
  return rule.clockStart === 'RELEASE' && !rule.allowance.kevDueDate && u.releasedAtSource === 'FIRST_SEEN';
}

export interface CveFacts {
  cveId: string;
  severity: string;
  cvss: number | null;
  kevDateAdded: string | null;
  kevDueDate: string | null;
  ransomware: boolean;
  epss: number | null;
}

export interface AdvisoryFacts {
  authority: string;
  noticeAt: Date;
  cveIds: string[];
  kbs: string[];
}

/**
 * One rule applied to one update: when a missing fix becomes overdue. Computed in code, where calendar
 * arithmetic in the policy's time zone is exact (14 days across a clock change, one month from 31 January), and
 * handed to the database as a small table, so the per-asset work stays in SQL. A first-detection clock differs
 * per asset, so it carries a duration the database adds instead of a due time.
 */
export interface RuleTerm {
  ruleId: string;
  updateId: string;
  /** Only assets of this class; null for every class. */
  assetClass: string | null;
  clockStartAt: Date | null;
  dueAt: Date | null;
  /** FIRST_DETECTED: seconds after the asset was first seen lacking the update. */
  allowanceSeconds: number | null;
}

const RATED = new Set(['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW']);

/** Whether `scope` selects the update (any criterion, on the update or any of its CVEs). */
export function inScope(scope: FindingScope, u: UpdateFacts, advisories: readonly AdvisoryFacts[], kb: string | null): boolean {
  if (scope.classifications && !scope.classifications.includes(u.classification)) return false;
  const severities = [u.severity, ...u.cves.map((c) => c.severity)];
  if (scope.vendorSeverity?.some((s) => severities.includes(s))) return true;
  if (scope.cvssAtLeast !== undefined && u.cves.some((c) => c.cvss !== null && c.cvss >= scope.cvssAtLeast!)) return true;
  if (scope.unrated && !severities.some((s) => RATED.has(s)) && u.cves.every((c) => c.cvss === null)) return true;
  if (scope.kev && u.cves.some((c) => c.kevDateAdded)) return true;
  if (scope.ransomware && u.cves.some((c) => c.kevDateAdded && c.ransomware)) return true;
  if (scope.epssAtLeast !== undefined && u.cves.some((c) => c.epss !== null && c.epss >= scope.epssAtLeast!)) return true;
  if (scope.advisoryAuthority && advisoriesNaming(scope.advisoryAuthority, u, advisories, kb).length > 0) return true;
  return false;
}

function advisoriesNaming(authority: string, u: UpdateFacts, advisories: readonly AdvisoryFacts[], kb: string | null): AdvisoryFacts[] {
  const cves = new Set(u.cves.map((c) => c.cveId));
  return advisories.filter((a) => a.authority.toLowerCase() === authority.toLowerCase() && (a.cveIds.some((c) => cves.has(c)) || (kb !== null && a.kbs.includes(kb))));
}

const earliest = (dates: Array<Date | null>): Date | null =>
  dates.filter((d): d is Date => d !== null).reduce<Date | null>((min, d) => (min === null || d < min ? d : min), null);

/** The end of a KEV due date's day: CISA's dates are calendar days, so the fix is due by the end of that day (UTC). */
const endOfDay = (day: string) => new Date(`${day}T23:59:59.999Z`);

/** `start` plus the allowance, in the policy's time zone: days and months on the calendar, hours as elapsed time. */
export function addAllowance(start: Date, allowance: Allowance, timeZone: string): Date {
  let t = DateTime.fromJSDate(start, { zone: timeZone });
  if (allowance.months) t = t.plus({ months: allowance.months });
  if (allowance.days) t = t.plus({ days: allowance.days });
  if (allowance.hours) t = t.plus({ hours: allowance.hours });
  return t.toJSDate();
}

function term(rule: FindingRule, policy: PolicyDefinition, u: UpdateFacts, advisories: readonly AdvisoryFacts[], kb: string | null): Omit<RuleTerm, 'assetClass'> | null {
  const base = { ruleId: rule.id, updateId: u.id };
  if (rule.allowance.kevDueDate) {
    const due = earliest(u.cves.map((c) => (c.kevDueDate ? endOfDay(c.kevDueDate) : null)));
    const added = earliest(u.cves.map((c) => (c.kevDateAdded ? new Date(`${c.kevDateAdded}T00:00:00.000Z`) : null)));
    return due ? { ...base, clockStartAt: added, dueAt: due, allowanceSeconds: null } : null;
  }
  let start: Date | null;
  switch (rule.clockStart) {
    case 'FIRST_DETECTED': {
      const a = rule.allowance;
      const seconds = ((a.days ?? 0) * 24 + (a.hours ?? 0)) * 3600;
      return { ...base, clockStartAt: null, dueAt: null, allowanceSeconds: seconds };
    }
    case 'RELEASE':
      start = u.releasedAt;
      break;
    case 'KEV_ADDED':
      start = earliest(u.cves.map((c) => (c.kevDateAdded ? new Date(`${c.kevDateAdded}T00:00:00.000Z`) : null)));
      break;
    case 'ADVISORY':
      start = earliest(advisoriesNaming(rule.scope.advisoryAuthority!, u, advisories, kb).map((a) => a.noticeAt));
      break;
  }
  // Without its clock's start (an update with no release date) a rule cannot say when the fix was due: the finding
  // is left out rather than dated arbitrarily.
  if (!start) return null;
  return { ...base, clockStartAt: start, dueAt: addAllowance(start, rule.allowance, policy.timeZone), allowanceSeconds: null };
}

/** Every (rule, update, asset class) of `policy` over the catalog's updates. */
export function ruleTerms(policy: PolicyDefinition, updates: readonly (UpdateFacts & { kb: string | null })[], advisories: readonly AdvisoryFacts[]): RuleTerm[] {
  const terms: RuleTerm[] = [];
  for (const rule of policy.findingRules) {
    for (const u of updates) {
      if (!inScope(rule.scope, u, advisories, u.kb)) continue;
      const t = term(rule, policy, u, advisories, u.kb);
      if (!t) continue;
      for (const assetClass of rule.scope.assetClasses ?? [null]) terms.push({ ...t, assetClass });
    }
  }
  return terms;
}
