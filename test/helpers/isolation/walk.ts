/**
 * The query side of the isolation check, driven by introspection of the served schema:
 * - walk: every Query field, with every reachable scalar selected, as each of A's principals;
 * - forged ids: every ID argument (and every ID inside an input object) given foreign ids, ids of the wrong type and
 *   raw keys, each answered exactly like an id of nothing;
 * - cursors: cursors an all-tenant admin got over foreign rows, passed to A's principals as `after` and `before`.
 * Each returns findings (foreign data seen, an existence oracle) and problems (a field it could not exercise, an
 * untyped or internal error): both fail the suite.
 */
import { randomUUID } from 'node:crypto';
import {
  getNamedType, getNullableType, GraphQLField, GraphQLInputType, GraphQLSchema, isCompositeType, isInputObjectType, isListType, isNonNullType, isObjectType,
} from 'graphql';
import { Config } from '../../../src/config/config';
import { toGlobalId } from '../../../src/graphql/types/global-id';
import { GraphQLResponse } from '../server';
import { codesOf, fitPieces, Gql, isLimitRefusal, pool } from './client';
import { findFingerprints, FingerprintSet } from './fingerprints';
import { expectedType, IdBook, unknownId } from './ids';
import { defaultLiteral, FieldSelection, Literal, minDepths, printOperation, selectAll, Selection, SelectionOptions, splitSelection } from './selection';

export interface Principal {
  label: string;
  key: string;
}

export interface Finding {
  check: 'walk' | 'forged-id' | 'cursor' | 'mutation';
  principal: string;
  /** Root field, and what was sent. */
  field: string;
  detail: string;
}

export interface CheckDeps {
  schema: GraphQLSchema;
  config: Config;
  gql: Gql;
  fps: FingerprintSet;
  ids: IdBook;
  principals: Principal[];
  /** Requests in flight at once. */
  width?: number;
}

export interface CheckReport {
  findings: Finding[];
  /** Things the check could not do: each one fails the suite, so nothing is skipped silently. */
  problems: string[];
  /** Root fields exercised (answered by a resolver or refused by it, not by a limit or validation). */
  exercised: Set<string>;
  /** Every field ("Type.field") some sent document selected. */
  selected: Set<string>;
  requests: number;
}

export const emptyReport = (): CheckReport => ({ findings: [], problems: [], exercised: new Set(), selected: new Set(), requests: 0 });

/** Codes a refusal may carry: the resolver's own answers, never a fault. */
export const REFUSAL_CODES = new Set(['NOT_FOUND', 'FORBIDDEN', 'BAD_USER_INPUT', 'CONFLICT']);

/**
 * Depth and page sizes of the walk. Each type is expanded in full where it is first reached (breadth first), and
 * node(id) starts from every Node type, so a depth of 3 below each root selects every field of every reachable type
 * (the walk test checks that), and nested pages of 10 keep the answers the size of the data.
 */
export const WALK_OPTIONS = { maxDepth: 3, rootPageSize: 500, nestedPageSize: 10 } as const;

type AnyField = GraphQLField<unknown, unknown>;

/** What was sent, and the keys inside sent global ids: an answer may quote either without telling anything. */
export function withDecodedKeys(sent: readonly string[]): string[] {
  return sent.flatMap((value) => {
    const key = Buffer.from(value, 'base64url').toString('utf8').split(/:(.*)/s)[1];
    return key ? [value, key] : [value];
  });
}

export function sightings(res: GraphQLResponse, deps: CheckDeps, sent: readonly string[]): Array<{ value: string; origin: string; seenIn: string }> {
  return findFingerprints(res.body, deps.fps, withDecodedKeys(sent)).map((s) => ({ value: s.fingerprint.value, origin: s.fingerprint.origin, seenIn: s.seenIn }));
}

/** Problems with the errors of an answer that is not a limit refusal: untyped, internal, or a generator bug. */
function errorProblems(res: GraphQLResponse, where: string): string[] {
  return (res.body.errors ?? []).flatMap((e) => {
    const code = e.extensions?.code;
    if (!code) return [`${where}: an error without a code: ${e.message}`];
    if (code === 'INTERNAL_SERVER_ERROR' || code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED') return [`${where}: ${code}: ${e.message}`];
    return [];
  });
}

/** Values for a required argument of a field: for an ID, A's own ids of the type its name says. */
function requiredArgFor(deps: CheckDeps) {
  return (field: AnyField, arg: { name: string; type: GraphQLInputType }): Literal | undefined => {
    if (getNamedType(arg.type).name !== 'ID') return defaultLiteral(arg.type, arg.name);
    const type = expectedType(deps.ids.nodeTypes, arg.name, [field.name]) ?? nodeReturnType(field, deps.ids);
    const sample = type ? deps.ids.ownSamples(type, 1)[0] : deps.ids.nodeTypes.map((t) => deps.ids.ownSamples(t, 1)[0]).find(Boolean);
    if (!sample) return undefined;
    return isListType(getNullableType(arg.type)) ? [sample] : sample;
  };
}

const nodeReturnType = (field: AnyField, ids: IdBook): string | null => {
  const named = getNamedType(field.type).name;
  return ids.nodeTypes.includes(named) ? named : null;
};

interface Invocation {
  args: Record<string, Literal>;
  /** For a field returning any Node, called with an id of this type: only its fragment is selected. */
  on?: string;
}

/**
 * The ways to call a root field for the walk: its required arguments filled, with A's ids where an id goes. A field
 * taking any Node is called with A's ids of every type (node: one call per type; nodes: one call with them all).
 */
function rootInvocations(field: AnyField, deps: CheckDeps): Invocation[] | null {
  const isRequired = (a: AnyField['args'][number]) => isNonNullType(a.type) && a.defaultValue === undefined;
  // A lookup by id or by another key (changeRequest(id, reference)) has no required argument but needs one: its id.
  const lookupId = !field.args.some(isRequired) ? field.args.filter((a) => a.name === 'id' && getNamedType(a.type).name === 'ID') : [];
  const required = [...field.args.filter(isRequired), ...lookupId];
  let invocations: Invocation[] = [{ args: {} }];
  for (const arg of required) {
    if (getNamedType(arg.type).name !== 'ID') {
      const value = defaultLiteral(arg.type, arg.name);
      if (value === undefined) return null;
      invocations = invocations.map((i) => ({ ...i, args: { ...i.args, [arg.name]: value } }));
      continue;
    }
    const type = expectedType(deps.ids.nodeTypes, arg.name, [field.name]) ?? nodeReturnType(field, deps.ids);
    // The connections list every row A sees; a field taking an id is walked with one of each type it takes.
    const samples = type
      ? deps.ids.ownSamples(type, 1).map((id) => ({ id, on: undefined as string | undefined }))
      : deps.ids.nodeTypes.flatMap((t) => deps.ids.ownSamples(t, 1).map((id) => ({ id, on: t })));
    if (samples.length === 0) return null;
    if (isListType(getNullableType(arg.type))) {
      // All at once, and each on its own: one id a field refuses (a type it cannot fetch) fails the whole list.
      const lists = [samples, ...(samples.length > 1 ? samples.map((x) => [x]) : [])];
      invocations = invocations.flatMap((i) => lists.map((list) => ({
        args: { ...i.args, [arg.name]: list.map((x) => x.id) }, on: list.length === 1 ? list[0].on ?? i.on : i.on,
      })));
    } else {
      invocations = invocations.flatMap((i) => samples.map((x) => ({ args: { ...i.args, [arg.name]: x.id }, on: x.on ?? i.on })));
    }
  }
  return invocations;
}

function selectionFor(field: AnyField, deps: CheckDeps, args: Record<string, Literal>, options: SelectionOptions, skipped: Set<string>, on?: string): FieldSelection {
  const named = getNamedType(field.type);
  const pagedArgs: Record<string, Literal> = field.args.some((a) => a.name === 'first') && named.name.endsWith('Connection') && args.first === undefined && args.last === undefined ? { first: WALK_OPTIONS.rootPageSize } : {};
  const concrete = on ? deps.schema.getType(on) : undefined;
  const selections = concrete
    ? [{ name: '__typename' }, { on: concrete.name, selections: selectAll(deps.schema, concrete, options, skipped) }]
    : isCompositeType(named) ? selectAll(deps.schema, named, options, skipped) : undefined;
  return { name: field.name, args: { ...args, ...pagedArgs }, ...(selections ? { selections } : {}) };
}

/**
 * Sends one root selection as one principal, split to fit the limits (and again if the server still refuses one).
 * Returns the answers, each with the selection it answered.
 */
export async function send(
  deps: CheckDeps, report: CheckReport, kind: 'query' | 'mutation', root: FieldSelection, principal: Principal,
): Promise<GraphQLResponse[]> {
  const unfit = (s: FieldSelection, why: string) => report.problems.push(`${root.name}: a part of its selection cannot fit the limits (${why}): ${JSON.stringify(s).slice(0, 300)}`);
  const answers: GraphQLResponse[] = [];
  const run = async (selection: FieldSelection): Promise<void> => {
    for (const piece of fitPieces(deps.config, kind, selection, unfit)) {
      report.requests++;
      let res: GraphQLResponse;
      try {
        res = await deps.gql(piece.document, undefined, principal.key);
      } catch (err) {
        // A request the server dropped without an answer is a fault of its own, reported with the document.
        report.problems.push(`${principal.label} ${root.name}: no answer (${(err as Error).cause ?? err}) to ${piece.document.slice(0, 300)}`);
        continue;
      }
      if (isLimitRefusal(res)) {
        const halves = splitSelection(piece.selection) as [FieldSelection, FieldSelection] | null;
        if (!halves) unfit(piece.selection, codesOf(res).join(','));
        else for (const h of halves) await run(h);
        continue;
      }
      answers.push(res);
      // A field that failed below the root may have nulled its parents, and with them whatever its siblings
      // answered: the selection is asked again in halves until each failure stands alone.
      if ((res.body.errors ?? []).some((e) => (e.path?.length ?? 0) > 1)) {
        const halves = splitSelection(piece.selection) as [FieldSelection, FieldSelection] | null;
        if (halves) for (const h of halves) await run(h);
      }
    }
  };
  await run(root);
  return answers;
}

/** Every Query field, every reachable scalar, as each principal: no foreign fingerprint anywhere in any answer. */
export async function walkQueries(deps: CheckDeps): Promise<CheckReport> {
  const report = emptyReport();
  const skipped = new Set<string>();
  const options: SelectionOptions = {
    maxDepth: WALK_OPTIONS.maxDepth, nestedPageSize: WALK_OPTIONS.nestedPageSize, requiredArg: requiredArgFor(deps), selected: report.selected,
    minDepth: minDepths(deps.schema, deps.schema.getQueryType()!),
  };
  const jobs: Array<{ field: AnyField; root: FieldSelection; principal: Principal }> = [];
  for (const field of Object.values(deps.schema.getQueryType()!.getFields())) {
    const invocations = rootInvocations(field, deps);
    if (!invocations) {
      report.problems.push(`Query.${field.name}: no way to supply its required arguments`);
      continue;
    }
    for (const { args, on } of invocations) {
      const root = selectionFor(field, deps, args, options, skipped, on);
      for (const principal of deps.principals) jobs.push({ field, root, principal });
    }
  }
  const answeredBeyondBadInput = new Set<string>();
  await pool(jobs, deps.width ?? 6, async ({ field, root, principal }) => {
    for (const res of await send(deps, report, 'query', root, principal)) {
      const where = `${principal.label} Query.${field.name}(${JSON.stringify(root.args)})`;
      report.problems.push(...errorProblems(res, where));
      if (!codesOf(res).some((c) => c === 'GRAPHQL_VALIDATION_FAILED')) report.exercised.add(field.name);
      if (!(res.body.errors ?? []).some((e) => e.extensions?.code === 'BAD_USER_INPUT' && (e.path?.length ?? 0) <= 1)) answeredBeyondBadInput.add(field.name);
      for (const s of sightings(res, deps, [])) {
        report.findings.push({ check: 'walk', principal: principal.label, field: field.name, detail: `${s.origin}: ${JSON.stringify(s.value)} in ${JSON.stringify(s.seenIn)}` });
      }
    }
  });
  for (const s of skipped) report.problems.push(`${s}: a required argument the walker cannot supply`);
  for (const name of report.exercised) {
    if (!answeredBeyondBadInput.has(name)) report.problems.push(`Query.${name}: every call was refused as bad input; give the walker a real value for its required arguments (VALUE_HINTS)`);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Forged ids

export interface IdPosition {
  /** Argument path: ["filter", "tenantIds"]. */
  path: string[];
  list: boolean;
  /** The Node type the position expects, from its name and context; null for any. */
  expected: string | null;
}

/** Every ID in a field's arguments, also inside input objects (to a depth of 3). */
export function idPositions(field: AnyField, nodeTypes: readonly string[]): IdPosition[] {
  const out: IdPosition[] = [];
  const visit = (name: string, type: GraphQLInputType, path: string[], context: string[], depth: number) => {
    const inner = getNullableType(type);
    const named = getNamedType(type);
    if (named.name === 'ID') {
      const list = isListType(inner);
      out.push({ path, list, expected: expectedType(nodeTypes, name, context) });
      return;
    }
    if (isInputObjectType(named) && depth < 3) {
      for (const f of Object.values(named.getFields())) visit(f.name, f.type, [...path, f.name], [named.name, ...context], depth + 1);
    }
  };
  for (const arg of field.args) visit(arg.name, arg.type, [arg.name], [field.name], 0);
  return out;
}

export function withValueAt(args: Record<string, Literal>, path: readonly string[], value: Literal): Record<string, Literal> {
  const [head, ...rest] = path;
  if (rest.length === 0) return { ...args, [head]: value };
  const inner = args[head];
  const base = inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, Literal>) : {};
  return { ...args, [head]: withValueAt(base, rest, value) };
}

/** A forged value and its twin that names nothing: the answers must be the same. */
export interface ForgedPair {
  label: string;
  forged: string;
  unknown: string;
}

/** Foreign global ids of every type, a foreign raw key, and a global id of the expected type over a foreign key of another type. */
export function forgedPairs(position: IdPosition, ids: IdBook): ForgedPair[] {
  // Where any type goes (node, nodes), a foreign id of every type; where the argument names its type, a foreign
  // id of that type and one of another type.
  const types = position.expected
    ? [position.expected, ids.foreignTypes().find((t) => t !== position.expected)!].filter((t) => ids.foreignId(t))
    : ids.foreignTypes();
  const pairs: ForgedPair[] = types.map((t) => ({ label: `foreign ${t} id`, forged: ids.foreignId(t)!, unknown: unknownId(t) }));
  const expected = position.expected ?? 'Tenant';
  const rawKey = ids.foreignKey(expected) ?? ids.foreignKey('Tenant')!;
  pairs.push({ label: `raw key of a foreign ${ids.foreignKey(expected) ? expected : 'Tenant'}`, forged: rawKey, unknown: randomUUID() });
  const other = ids.foreignTypes().find((t) => t !== expected)!;
  pairs.push({ label: `${expected} id over a foreign ${other}'s key`, forged: toGlobalId(expected, ids.foreignKey(other)!), unknown: unknownId(expected) });
  return pairs;
}

/** The answer with what was sent taken out, for comparing a forged id's answer with an unknown one's. */
export function normalised(res: GraphQLResponse, sent: string | readonly string[]): string {
  const scrubbed: Array<[string, string]> = [];
  for (const value of typeof sent === 'string' ? [sent] : sent) {
    scrubbed.push([value, '<SENT>']);
    const decodedKey = Buffer.from(value, 'base64url').toString('utf8').split(/:(.*)/s)[1];
    if (decodedKey) scrubbed.push([decodedKey, '<SENT-KEY>']);
  }
  let text = JSON.stringify({
    status: res.status,
    data: res.body.data ?? null,
    errors: (res.body.errors ?? []).map((e) => ({ code: e.extensions?.code ?? null, message: e.message, path: e.path ?? null, field: e.extensions?.field ?? null })),
  });
  for (const [value, mark] of scrubbed) text = text.split(value).join(mark);
  return text;
}

export function refusalProblems(res: GraphQLResponse, where: string): string[] {
  const problems = errorProblems(res, where);
  for (const code of codesOf(res)) if (!REFUSAL_CODES.has(code) && !problems.length) problems.push(`${where}: refused with ${code}, not a typed refusal`);
  return problems;
}

/**
 * Every ID position of every Query field, as each principal, with each forged value and its unknown twin: the same
 * answer (code, message shape, data) and no foreign fingerprint.
 */
export async function forgedIdProbes(deps: CheckDeps): Promise<CheckReport> {
  const report = emptyReport();
  const skipped = new Set<string>();
  const options: SelectionOptions = { maxDepth: 2, nestedPageSize: 10, requiredArg: requiredArgFor(deps) };
  const jobs: Array<{ field: AnyField; position: IdPosition; pair: ForgedPair; principal: Principal; base: Record<string, Literal> }> = [];
  for (const field of Object.values(deps.schema.getQueryType()!.getFields())) {
    const positions = idPositions(field, deps.ids.nodeTypes);
    if (positions.length === 0) continue;
    const base = rootInvocations(field, deps)?.[0]?.args;
    if (!base) {
      report.problems.push(`Query.${field.name}: no way to supply its required arguments for the forged-id probes`);
      continue;
    }
    for (const position of positions) {
      for (const pair of forgedPairs(position, deps.ids)) for (const principal of deps.principals) jobs.push({ field, position, pair, principal, base });
    }
  }
  await pool(jobs, deps.width ?? 6, async ({ field, position, pair, principal, base }) => {
    const at = (value: string) => selectionFor(field, deps, withValueAt(base, position.path, position.list ? [value] : value), options, skipped);
    const where = `${principal.label} Query.${field.name}(${position.path.join('.')} = ${pair.label})`;
    const forged = await send(deps, report, 'query', at(pair.forged), principal);
    const unknown = await send(deps, report, 'query', at(pair.unknown), principal);
    report.exercised.add(field.name);
    forged.forEach((res, i) => {
      report.problems.push(...refusalProblems(res, where));
      for (const s of sightings(res, deps, [pair.forged])) {
        report.findings.push({ check: 'forged-id', principal: principal.label, field: field.name, detail: `${where}: ${s.origin}: ${JSON.stringify(s.value)} in ${JSON.stringify(s.seenIn)}` });
      }
      const a = normalised(res, pair.forged);
      const b = unknown[i] ? normalised(unknown[i], pair.unknown) : 'no answer';
      if (a !== b) report.findings.push({ check: 'forged-id', principal: principal.label, field: field.name, detail: `${where}: answered unlike an id of nothing (an existence oracle):\n  forged:  ${a.slice(0, 400)}\n  unknown: ${b.slice(0, 400)}` });
    });
  });
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Cursors

/**
 * Cursors an all-tenant admin obtained over foreign rows of every root connection, given to A's principals as
 * `after` and `before`: no foreign fingerprint may come back.
 */
export async function cursorProbes(deps: CheckDeps, admin: Principal, foreignTenantId: string): Promise<CheckReport> {
  const report = emptyReport();
  const skipped = new Set<string>();
  const options: SelectionOptions = { maxDepth: 2, nestedPageSize: 10, requiredArg: requiredArgFor(deps) };
  for (const field of Object.values(deps.schema.getQueryType()!.getFields())) {
    const named = getNamedType(field.type);
    if (!named.name.endsWith('Connection') || !field.args.some((a) => a.name === 'after')) continue;
    const base = rootInvocations(field, deps)?.[0]?.args ?? {};
    const filterArg = field.args.find((a) => a.name === 'filter');
    const filterType = filterArg && getNamedType(filterArg.type);
    const byTenant: Record<string, Literal> = filterType && isInputObjectType(filterType) && filterType.getFields().tenantIds ? { filter: { tenantIds: [foreignTenantId] } } : {};
    const nodeType = isObjectType(named) ? getNamedType(named.getFields().nodes?.type) : null;
    const hasId = nodeType && isObjectType(nodeType) && Boolean(nodeType.getFields().id);
    const cursors: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20 && cursors.length < 3; page++) {
      const args: Record<string, Literal> = { ...base, ...byTenant, first: 100 };
      if (after) args.after = after;
      const edges: Selection[] = [{ name: 'cursor' }, ...(hasId ? [{ name: 'node', selections: [{ name: 'id' }] }] : [])];
      const document = printOperation('query', [{
        name: field.name, args, selections: [{ name: 'pageInfo', selections: [{ name: 'hasNextPage' }, { name: 'endCursor' }] }, { name: 'edges', selections: edges }],
      }]);
      const answer = await deps.gql(document, undefined, admin.key);
      const conn = answer.body.data?.[field.name];
      if (!conn) {
        report.problems.push(`${field.name}: the admin could not list it for cursors: ${JSON.stringify(answer.body.errors)}`);
        break;
      }
      for (const edge of conn.edges) if (!hasId || deps.ids.isForeignGlobalId(edge.node.id)) cursors.push(edge.cursor);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    if (cursors.length === 0) {
      report.problems.push(`${field.name}: no foreign row to take a cursor from (the data set lacks that kind)`);
      continue;
    }
    const backwards = field.args.some((a) => a.name === 'before');
    const jobs = cursors.slice(0, 3).flatMap((cursor) => deps.principals.flatMap((principal) => [
      { principal, cursor, args: { ...base, first: 50, after: cursor } },
      ...(backwards ? [{ principal, cursor, args: { ...base, last: 50, before: cursor } }] : []),
    ]));
    await pool(jobs, deps.width ?? 6, async ({ principal, cursor, args }) => {
      const root = selectionFor(field, deps, args, options, skipped);
      for (const res of await send(deps, report, 'query', root, principal)) {
        const where = `${principal.label} Query.${field.name}(${'after' in args ? 'after' : 'before'}: a foreign cursor)`;
        report.problems.push(...refusalProblems(res, where));
        report.exercised.add(field.name);
        for (const s of sightings(res, deps, [cursor])) {
          report.findings.push({ check: 'cursor', principal: principal.label, field: field.name, detail: `${where}: ${s.origin}: ${JSON.stringify(s.value)} in ${JSON.stringify(s.seenIn)}` });
        }
      }
    });
  }
  return report;
}
