/**
 * The slice of OData's query language the simulated endpoints accept, parsed strictly: anything a real Graph would
 * read differently, or that the simulator does not model, is refused with a 400 naming it, so a connector never
 * passes against the simulator with a query Graph would answer otherwise.
 */
import type { OpaqueCursors } from '../../sdk/testkit/simulator';

export class ODataError extends Error {}

/**
 * The query string as OData reads it: only %XX escapes are decoded and "+" stays a plus (URLSearchParams would turn
 * it into a space). A system option given twice is an error, as in Graph.
 */
export function parseQuery(search: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (options.has(name)) throw new ODataError(`Query option '${name}' was specified more than once, but it must be specified at most once.`);
    options.set(name, value);
  }
  return options;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ODataError(`The query string is not valid: '${text}' is not correctly percent-encoded.`);
  }
}

/** Refuses `$` options outside `allowed`; other parameters are custom options, which OData ignores. */
export function checkAllowed(options: Map<string, string>, allowed: readonly string[]): void {
  for (const name of options.keys()) {
    if (name.startsWith('$') && !allowed.includes(name)) {
      throw new ODataError(`The query specified in the URI is not valid. Query option '${name}' is not allowed.`);
    }
  }
}

export const MAX_TOP = 1000;

/** `$top`, or `fallback` when absent; Intune's pages hold at most 1000 items. */
export function parseTop(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    throw new ODataError(`Invalid value '${value}' for $top query option found. The $top query option requires a non-negative integer value.`);
  }
  const top = Number(value);
  if (top > MAX_TOP) throw new ODataError(`The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${value}'.`);
  if (top < 1) throw new ODataError(`Invalid value '${value}' for $top query option found. $top must be from 1 to ${MAX_TOP}.`);
  return top;
}

/** `$select` as a list of property names, each checked against the entity type; null when absent. */
export function parseSelect(value: string | undefined, properties: ReadonlySet<string>, typeName: string): string[] | null {
  if (value === undefined) return null;
  const names = value.split(',').map((n) => n.trim());
  for (const name of names) {
    if (!name) throw new ODataError(`Syntax error: empty property name in $select '${value}'.`);
    if (!properties.has(name)) throw new ODataError(`Could not find a property named '${name}' on type '${typeName}'.`);
  }
  return [...new Set(names)];
}

/**
 * Keeps the selected properties, in the entity's own order, plus what Graph returns whatever the $select: the id,
 * and the @odata.type that names a derived type.
 */
export function project<T extends object>(entity: T, select: string[] | null): Partial<T> {
  if (!select) return entity;
  return Object.fromEntries(Object.entries(entity).filter(([key]) => key === 'id' || key.startsWith('@odata.') || select.includes(key))) as Partial<T>;
}

/** A DateTimeOffset to 100 ns, as .NET keeps it: [milliseconds since the epoch, 100 ns ticks within that ms]. */
type Instant = readonly [number, number];
type Comparison = 'gt' | 'ge' | 'lt' | 'le';
export interface TimeClause {
  property: 'lastSyncDateTime';
  op: Comparison;
  at: Instant;
}

const OPERATOR_NAMES: Record<string, string> = { gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual', eq: 'Equal', ne: 'NotEqual' };
const DATE_TIME_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * managedDevices `$filter`: `lastSyncDateTime gt|ge|lt|le <DateTimeOffset>` clauses joined by `and`. The literal is
 * unquoted, as OData writes DateTimeOffset; a quoted one is a string, and Graph refuses comparing it with a date.
 */
export function parseDeviceFilter(value: string | undefined, properties: ReadonlySet<string>): TimeClause[] {
  if (value === undefined) return [];
  if (!value.trim()) throw new ODataError('The $filter query option is empty.');
  return value.trim().split(/\s+and\s+/).map((clause) => {
    const m = /^(\w+)\s+(\w+)\s+(.+)$/.exec(clause.trim());
    if (!m) throw new ODataError(`Syntax error in $filter: '${clause}' is not a comparison "<property> <operator> <value>".`);
    const [, property, op, literal] = m;
    if (!properties.has(property)) throw new ODataError(`Could not find a property named '${property}' on type 'microsoft.graph.managedDevice'.`);
    if (!OPERATOR_NAMES[op]) throw new ODataError(`Syntax error in $filter: '${op}' is not an OData comparison operator (in '${clause}').`);
    if (property !== 'lastSyncDateTime' || !['gt', 'ge', 'lt', 'le'].includes(op)) {
      throw new ODataError(`The simulator filters managedDevices only by lastSyncDateTime with gt, ge, lt or le; '${clause}' is not supported.`);
    }
    if (/^'.*'$/.test(literal)) {
      throw new ODataError(
        `A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind '${OPERATOR_NAMES[op]}'.`,
      );
    }
    const at = parseInstant(literal);
    if (!at) throw new ODataError(`Syntax error in $filter: '${literal}' is not a valid DateTimeOffset literal (e.g. 2024-09-10T07:00:00Z).`);
    return { property: 'lastSyncDateTime', op: op as Comparison, at };
  });
}

function parseInstant(literal: string): Instant | null {
  const m = DATE_TIME_OFFSET.exec(literal);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  const fraction = (m[2] ?? '').padEnd(7, '0');
  return [ms + Number(fraction.slice(0, 3)), Number(fraction.slice(3))];
}

export function matchesFilter(isoDate: string, clauses: readonly TimeClause[]): boolean {
  const value: Instant = [Date.parse(isoDate), 0];
  return clauses.every(({ op, at }) => {
    const c = value[0] !== at[0] ? Math.sign(value[0] - at[0]) : Math.sign(value[1] - at[1]);
    return op === 'gt' ? c > 0 : op === 'ge' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
  });
}

const ISOF_QUALITY = /^isof\(\s*'microsoft\.graph\.windowsQualityUpdateCatalogItem'\s*\)$/;

/** windowsUpdateCatalogItems `$filter`: only the type cast to quality updates, which is all the simulator serves. */
export function checkCatalogFilter(value: string | undefined): void {
  if (value === undefined || ISOF_QUALITY.test(value.trim())) return;
  throw new ODataError(
    `The simulator accepts only $filter=isof('microsoft.graph.windowsQualityUpdateCatalogItem') on windowsUpdateCatalogItems; '${value}' is not supported.`,
  );
}

/**
 * The last key a `$skiptoken` continues from. Skip tokens are the toolkit's signed cursors over [collection, last
 * key], so a made-up or edited token, or one from another collection, is refused instead of silently starting
 * somewhere.
 */
export function readSkipToken(skipTokens: OpaqueCursors, collection: string, token: string): string {
  let value: unknown;
  try {
    value = skipTokens.read(token);
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value[0] === collection && typeof value[1] === 'string') return value[1];
  throw new ODataError(`The $skiptoken '${token}' is not valid for this request.`);
}
