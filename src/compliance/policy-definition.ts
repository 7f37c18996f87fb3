import Ajv, { ErrorObject } from 'ajv';
import { UserInputError } from '../errors';
import { ASSET_CLASSES, AssetClass } from './asset-class';

/**
 * A compliance policy: rules over findings (an update a machine lacks) and over devices. The built-in presets
 * (presets.ts) and custom policies (compliance_policy rows, made through GraphQL) have this one shape, and a custom
 * one is validated against the JSON schema below before it is stored.
 */
export interface PolicyDefinition {
  name: string;
  description: string;
  /** Where the numbers come from: the framework's text, version and section. */
  source: string;
  /** Calendar arithmetic (days, months) is done in this IANA time zone, so "14 days" crosses a DST change correctly. */
  timeZone: string;
  /** A finding not yet overdue is DUE_SOON within this many hours of its due time. */
  dueSoonHours: number;
  findingRules: FindingRule[];
  deviceRules: DeviceRule[];
}

/**
 * Which updates a finding rule covers. An update is in scope when ANY listed criterion holds for it or for one of
 * the CVEs it fixes (a bundled cumulative update counts if any fix in it qualifies, as Cyber Essentials says).
 */
export interface FindingScope {
  /** The vendor's rating of the update or of one of its CVEs. */
  vendorSeverity?: Array<'CRITICAL' | 'IMPORTANT' | 'MODERATE' | 'LOW'>;
  /** A CVE of the update has a CVSS base score at or above this. */
  cvssAtLeast?: number;
  /** Neither the update nor any of its CVEs has a vendor severity or a CVSS score. */
  unrated?: boolean;
  /** A CVE of the update is in CISA's Known Exploited Vulnerabilities catalog. */
  kev?: boolean;
  /** A CVE of the update is known to be used in ransomware campaigns (KEV). */
  ransomware?: boolean;
  /** A CVE of the update has an EPSS probability at or above this. */
  epssAtLeast?: number;
  /** An advisory of this authority names the update or one of its CVEs. */
  advisoryAuthority?: string;
  /** Only updates of these classifications (default: every classification). */
  classifications?: string[];
  /** Only assets of these classes (default: every class). */
  assetClasses?: AssetClass[];
}

export type ClockStart =
  /** The update's release by its vendor. */
  | 'RELEASE'
  /** The day CISA added one of its CVEs to KEV (the earliest, when several are). */
  | 'KEV_ADDED'
  /** The notice of an advisory of `scope.advisoryAuthority` naming it (the earliest). */
  | 'ADVISORY'
  /** When patchgraph first saw the asset lack it. */
  | 'FIRST_DETECTED';

export interface Allowance {
  hours?: number;
  days?: number;
  /** Calendar months: released 31 January, one month is due 28 (or 29) February. */
  months?: number;
  /** The KEV entry's own dueDate (BOD 22-01), the earliest of the update's KEV CVEs; the clock start is then unused. */
  kevDueDate?: boolean;
}

export interface FindingRule {
  /** Short id, unique in the policy, shown on every finding, e.g. "high-risk-14d". */
  id: string;
  description: string;
  scope: FindingScope;
  clockStart: ClockStart;
  allowance: Allowance;
}

export type DeviceRule =
  /** The OS release's end of servicing has passed (and ESU does not cover the asset). */
  | { kind: 'UNSUPPORTED_OS'; outcome: 'NON_COMPLIANT' | 'UNVERIFIED' }
  /** The patch tool has no patch policy for the device (Datto RMM's NO_POLICY): automatic updating is off. */
  | { kind: 'NO_PATCH_POLICY'; outcome: 'NON_COMPLIANT' | 'UNVERIFIED' }
  /** No source heard from the device for this many days: what is known of it cannot be verified. */
  | { kind: 'NOT_HEARD_FROM'; days: number; outcome: 'NON_COMPLIANT' | 'UNVERIFIED' };

const SEVERITIES = ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW'];

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'source', 'timeZone', 'dueSoonHours', 'findingRules', 'deviceRules'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    source: { type: 'string', maxLength: 2000 },
    timeZone: { type: 'string', minLength: 1, maxLength: 64 },
    dueSoonHours: { type: 'integer', minimum: 0, maximum: 8760 },
    findingRules: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'description', 'scope', 'clockStart', 'allowance'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,47}$' },
          description: { type: 'string', maxLength: 1000 },
          scope: {
            type: 'object',
            additionalProperties: false,
            properties: {
              vendorSeverity: { type: 'array', items: { enum: SEVERITIES }, minItems: 1, uniqueItems: true },
              cvssAtLeast: { type: 'number', minimum: 0, maximum: 10 },
              unrated: { const: true },
              kev: { const: true },
              ransomware: { const: true },
              epssAtLeast: { type: 'number', minimum: 0, maximum: 1 },
              advisoryAuthority: { type: 'string', minLength: 1, maxLength: 64 },
              classifications: { type: 'array', items: { type: 'string', maxLength: 32 }, minItems: 1, uniqueItems: true },
              assetClasses: { type: 'array', items: { enum: [...ASSET_CLASSES] }, minItems: 1, uniqueItems: true },
            },
          },
          clockStart: { enum: ['RELEASE', 'KEV_ADDED', 'ADVISORY', 'FIRST_DETECTED'] },
          allowance: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              hours: { type: 'integer', minimum: 0, maximum: 87600 },
              days: { type: 'integer', minimum: 0, maximum: 3650 },
              months: { type: 'integer', minimum: 0, maximum: 120 },
              kevDueDate: { const: true },
            },
          },
        },
      },
    },
    deviceRules: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'outcome'],
        properties: {
          kind: { enum: ['UNSUPPORTED_OS', 'NO_PATCH_POLICY', 'NOT_HEARD_FROM'] },
          outcome: { enum: ['NON_COMPLIANT', 'UNVERIFIED'] },
          days: { type: 'integer', minimum: 1, maximum: 3650 },
        },
      },
    },
  },
} as const;

const validateSchema = new Ajv({ allErrors: false, strict: true }).compile(SCHEMA);

function describe(error: ErrorObject): string {
  const at = error.instancePath ? error.instancePath.replace(/^\//, '').replace(/\//g, '.') : 'the policy';
  const detail = error.keyword === 'additionalProperties' ? `has an unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`
    : error.keyword === 'enum' ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
      : error.message ?? 'is not valid';
  return `${at} ${detail}`;
}

/**
 * Checks a policy document beyond its shape: rules that could never fire or that cannot be computed are refused
 * with the field named, so a custom policy never silently measures nothing.
 */
export function validatePolicyDefinition(field: string, value: unknown): PolicyDefinition {
  if (!validateSchema(value)) throw new UserInputError(field, describe(validateSchema.errors![0]));
  const policy = value as unknown as PolicyDefinition;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: policy.timeZone });
  } catch {
    throw new UserInputError(`${field}.timeZone`, `"${policy.timeZone}" is not an IANA time zone, e.g. Europe/London`);
  }
  const ids = new Set<string>();
  policy.findingRules.forEach((rule, i) => {
    const at = `${field}.findingRules[${i}]`;
    if (ids.has(rule.id)) throw new UserInputError(`${at}.id`, `"${rule.id}" is used by another rule of the policy`);
    ids.add(rule.id);
    const criteria = Object.keys(rule.scope).filter((k) => k !== 'classifications' && k !== 'assetClasses');
    if (criteria.length === 0) throw new UserInputError(`${at}.scope`, 'name at least one criterion (vendorSeverity, cvssAtLeast, unrated, kev, ransomware, epssAtLeast, advisoryAuthority)');
    const { allowance } = rule;
    if (allowance.kevDueDate && Object.keys(allowance).length > 1) throw new UserInputError(`${at}.allowance`, 'kevDueDate stands alone: the KEV entry sets the due date');
    if (allowance.kevDueDate && !rule.scope.kev) throw new UserInputError(`${at}.allowance`, 'kevDueDate needs scope.kev: only KEV entries have a due date');
    if (rule.clockStart === 'KEV_ADDED' && !rule.scope.kev) throw new UserInputError(`${at}.clockStart`, 'KEV_ADDED needs scope.kev');
    if (rule.clockStart === 'ADVISORY' && !rule.scope.advisoryAuthority) throw new UserInputError(`${at}.clockStart`, 'ADVISORY needs scope.advisoryAuthority');
    // A first-detection clock is evaluated in the database per asset, where only fixed durations are portable.
    if (rule.clockStart === 'FIRST_DETECTED' && allowance.months) throw new UserInputError(`${at}.allowance.months`, 'a FIRST_DETECTED clock takes hours or days, not calendar months');
  });
  policy.deviceRules.forEach((rule, i) => {
    if (rule.kind === 'NOT_HEARD_FROM' && !rule.days) throw new UserInputError(`${field}.deviceRules[${i}].days`, 'NOT_HEARD_FROM needs days');
  });
  return policy;
}
