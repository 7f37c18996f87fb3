/**
 * Checks that return the list of what is wrong rather than stopping at the first problem: a failing contract test
 * then shows every broken record or declaration at once, which is what a connector author needs to fix them.
 */
import { settingsOf } from '../config';
import { CLASSIFICATION_VALUES, EVIDENCE_VALUES, PATCH_STATE_VALUES, SEVERITY_VALUES } from '../contract';
import { isSecretField } from '../http/redact';
import type { ContractHarness } from './harness';
import type { RunRecords } from './run';

/** Enough problems to see the pattern; a broken mapping would otherwise list every record. */
const MAX_PROBLEMS = 25;

export const KEBAB_KIND = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(problem);
    else if (this.list.length === MAX_PROBLEMS) this.list.push('… and more');
  }
}

function isValidDate(value: unknown): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** A date field that may be absent: null and undefined are fine, anything else must be a real Date. */
function checkOptionalDate(problems: Problems, where: string, value: unknown): void {
  if (value !== null && value !== undefined && !isValidDate(value)) problems.add(`${where} is not a valid Date (${String(value)})`);
}

export function declarationProblems(harness: ContractHarness): { kind: string[]; text: string[]; settings: string[]; secrets: string[] } {
  const def = harness.definition;
  const settings = settingsOf(def.configClass);
  const kind = KEBAB_KIND.test(def.kind ?? '') ? [] : [`kind "${def.kind}" is not lower-case kebab (e.g. "file-import")`];
  const text = [
    ...(nonEmptyString(def.displayName) ? [] : ['displayName is empty']),
    ...(nonEmptyString(def.description) ? [] : ['description is empty']),
  ];
  // No settings at all would make "every setting is documented" true of nothing; every source needs at least a location.
  const settingProblems = settings.length === 0 ? ['configClass declares no @Setting'] : [];
  for (const s of settings) if (!nonEmptyString(s.description)) settingProblems.push(`setting "${s.name}" has no description`);
  const secrets: string[] = [];
  if (harness.usesTokens && !settings.some((s) => s.secret)) secrets.push('usesTokens is true but no setting is marked secret');
  // The redactor treats these names as secrets in logs; storing them in clear would contradict it.
  for (const s of settings) if (isSecretField(s.name) && !s.secret) secrets.push(`setting "${s.name}" is named like a secret but not marked secret`);
  return { kind, text, settings: settingProblems, secrets };
}

/**
 * Everything that makes a run's records unusable by the engine, as one list of readable problems. `known` is what
 * earlier runs emitted: an incremental run's patch states may refer to devices and updates it did not re-emit.
 */
export function recordProblems(run: RunRecords, known?: RunRecords): string[] {
  const problems = new Problems();
  const knownDevices = new Set(known?.devices.map((d) => d.externalId));
  const knownUpdates = new Set(known?.updates.map((u) => u.key));
  const deviceIds = new Set<string>();
  run.devices.forEach((d, i) => {
    const where = `device #${i} (${d.externalId})`;
    if (!nonEmptyString(d.externalId)) problems.add(`device #${i} has no externalId`);
    else if (deviceIds.has(d.externalId)) problems.add(`${where}: externalId emitted twice`);
    deviceIds.add(d.externalId);
    checkOptionalDate(problems, `${where}.lastCheckInAt`, d.lastCheckInAt);
    checkOptionalDate(problems, `${where}.enrolledAt`, d.enrolledAt);
    if (d.macAddresses !== undefined && !(Array.isArray(d.macAddresses) && d.macAddresses.every((m) => typeof m === 'string'))) {
      problems.add(`${where}.macAddresses is not a list of strings`);
    }
    for (const flag of ['inactive', 'deleted'] as const) {
      if (d[flag] !== undefined && typeof d[flag] !== 'boolean') problems.add(`${where}.${flag} is not true or false (${String(d[flag])})`);
    }
    placementProblems(problems, where, d);
  });

  const updateKeys = new Set<string>();
  run.updates.forEach((u, i) => {
    const where = `update #${i} (${u.key})`;
    if (!nonEmptyString(u.key)) problems.add(`update #${i} has no key`);
    else if (updateKeys.has(u.key)) problems.add(`${where}: key emitted twice`);
    updateKeys.add(u.key);
    if (!nonEmptyString(u.title)) problems.add(`${where} has no title`);
    if (!nonEmptyString(u.vendor)) problems.add(`${where} has no vendor`);
    if (u.releasedAt != null && !isValidDate(u.releasedAt)) problems.add(`${where}.releasedAt is not a valid Date (${String(u.releasedAt)})`);
    if (u.classification !== undefined && !CLASSIFICATION_VALUES.includes(u.classification)) problems.add(`${where}.classification "${u.classification}" is not a ClassificationValue`);
    if (u.severity !== undefined && !SEVERITY_VALUES.includes(u.severity)) problems.add(`${where}.severity "${u.severity}" is not a SeverityValue`);
  });

  const pairs = new Set<string>();
  run.patchStates.forEach((s, i) => {
    const where = `patch state #${i} (${s.deviceExternalId} / ${s.updateKey})`;
    if (!deviceIds.has(s.deviceExternalId) && !knownDevices.has(s.deviceExternalId)) problems.add(`${where} refers to a device the run did not emit`);
    if (!updateKeys.has(s.updateKey) && !knownUpdates.has(s.updateKey)) problems.add(`${where} refers to an update the run did not emit`);
    const pair = `${s.deviceExternalId}\u0000${s.updateKey}`;
    if (pairs.has(pair)) problems.add(`${where}: the same device and update twice`);
    pairs.add(pair);
    if (!PATCH_STATE_VALUES.includes(s.state)) problems.add(`${where}.state "${s.state}" is not a PatchStateValue`);
    if (!EVIDENCE_VALUES.includes(s.evidence)) problems.add(`${where}.evidence "${s.evidence}" is not an Evidence value`);
    checkOptionalDate(problems, `${where}.reportedAt`, s.reportedAt);
    checkOptionalDate(problems, `${where}.installedAt`, s.installedAt);
  });
  return problems.list;
}

const textOrNone = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/**
 * Where a device belongs: `tenantKey`/`tenantName` and `site` ({ id, name }), or the deprecated
 * `vendorSiteId`/`vendorSite`, which a connector may still give (alone, they mean what they always meant). Either
 * way each is text when given.
 */
function placementProblems(problems: Problems, where: string, d: RunRecords['devices'][number]): void {
  for (const field of ['tenantKey', 'tenantName', 'vendorSiteId', 'vendorSite'] as const) {
    if (!textOrNone(d[field])) problems.add(`${where}.${field} is not text (${JSON.stringify(d[field])})`);
  }
  if (d.site === undefined || d.site === null) return;
  if (typeof d.site !== 'object' || Array.isArray(d.site)) problems.add(`${where}.site is not an object with an id and a name (${JSON.stringify(d.site)})`);
  else if (!textOrNone(d.site.id) || !textOrNone(d.site.name)) problems.add(`${where}.site's id and name are not text (${JSON.stringify(d.site)})`);
}
