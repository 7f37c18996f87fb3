/**
 * The write side of the isolation check: every Mutation field, found by introspection, called by each of A's
 * principals with foreign ids wherever an ID goes (all at once; one at a time beside A's own ids, so a check
 * that looks only at one argument is caught; and as raw keys). Each call must be refused with a typed code,
 * answered exactly like the same call naming nothing, and leave every foreign row as it was.
 */
import { randomUUID } from 'node:crypto';
import { getNamedType, getNullableType, GraphQLField, GraphQLInputType, isInputObjectType, isListType, isNonNullType } from 'graphql';
import { pool } from './client';
import { unknownId } from './ids';
import { defaultLiteral, FieldSelection, Literal, selectAll, VALUE_HINTS } from './selection';
import { CheckDeps, CheckReport, emptyReport, idPositions, IdPosition, normalised, refusalProblems, send, sightings, withValueAt } from './walk';

type AnyField = GraphQLField<unknown, unknown>;

function requiredValue(name: string, type: GraphQLInputType): Literal | undefined {
  if (name in VALUE_HINTS) return VALUE_HINTS[name];
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return defaultLiteral(type);
  const out: Record<string, Literal> = {};
  for (const f of Object.values(named.getFields())) {
    if (!isNonNullType(f.type) || f.defaultValue !== undefined || getNamedType(f.type).name === 'ID') continue;
    const v = requiredValue(f.name, f.type);
    if (v === undefined) return undefined;
    out[f.name] = v;
  }
  return isListType(getNullableType(type)) ? [out] : out;
}

interface Variant {
  label: string;
  args: Record<string, Literal>;
  /** The same call naming nothing where it named foreign objects; absent when it names no id at all. */
  twin?: Record<string, Literal>;
  sent: string[];
  twinSent: string[];
}

function variants(field: AnyField, deps: CheckDeps): Variant[] | null {
  const base: Record<string, Literal> = {};
  for (const arg of field.args) {
    if (!isNonNullType(arg.type) || getNamedType(arg.type).name === 'ID') continue;
    const v = requiredValue(arg.name, arg.type);
    if (v === undefined) return null;
    base[arg.name] = v;
  }
  const positions = idPositions(field, deps.ids.nodeTypes);
  if (positions.length === 0) return [{ label: 'no id to point at anything', args: base, sent: [], twinSent: [] }];
  const typeOf = (p: IdPosition) => (p.expected && deps.ids.foreignId(p.expected) ? p.expected : 'Tenant');
  const put = (args: Record<string, Literal>, p: IdPosition, value: string) => withValueAt(args, p.path, p.list ? [value] : value);
  const out: Variant[] = [];
  const build = (label: string, choose: (p: IdPosition) => { forged: string; unknown: string; foreign: boolean }) => {
    let args = base;
    let twin = base;
    const sent: string[] = [];
    const twinSent: string[] = [];
    // The twin repeats an id wherever the call repeats one, so "the same asset twice" is compared with itself.
    const twinOf = new Map<string, string>();
    for (const p of positions) {
      const c = choose(p);
      const unknown = twinOf.get(c.forged) ?? c.unknown;
      twinOf.set(c.forged, unknown);
      args = put(args, p, c.forged);
      twin = put(twin, p, unknown);
      if (c.foreign) {
        sent.push(c.forged);
        twinSent.push(unknown);
      }
    }
    out.push({ label, args, twin, sent, twinSent });
  };
  build('foreign ids everywhere', (p) => ({ forged: deps.ids.foreignId(typeOf(p))!, unknown: unknownId(typeOf(p)), foreign: true }));
  build('raw foreign keys everywhere', (p) => ({ forged: deps.ids.foreignKey(typeOf(p))!, unknown: randomUUID(), foreign: true }));
  if (positions.length > 1) {
    for (const target of positions) {
      build(`a foreign id at ${target.path.join('.')}, A's own elsewhere`, (p) => {
        if (p === target) return { forged: deps.ids.foreignId(typeOf(p))!, unknown: unknownId(typeOf(p)), foreign: true };
        const own = deps.ids.ownSamples(typeOf(p), 1)[0] ?? unknownId(typeOf(p));
        return { forged: own, unknown: own, foreign: false };
      });
    }
  }
  return out;
}

export interface MutationReport extends CheckReport {
  /** Whether every call was refused (then no table may have changed at all). */
  allRefused: boolean;
}

export async function mutationProbes(deps: CheckDeps): Promise<MutationReport> {
  const report: MutationReport = { ...emptyReport(), allRefused: true };
  const mutation = deps.schema.getMutationType();
  if (!mutation) return report;
  const skipped = new Set<string>();
  const jobs: Array<{ field: AnyField; variant: Variant; principal: CheckDeps['principals'][number] }> = [];
  for (const field of Object.values(mutation.getFields())) {
    const vs = variants(field, deps);
    if (!vs) {
      report.problems.push(`Mutation.${field.name}: no way to supply its required arguments`);
      continue;
    }
    for (const variant of vs) for (const principal of deps.principals) jobs.push({ field, variant, principal });
  }
  const selectionOf = (field: AnyField, args: Record<string, Literal>): FieldSelection => {
    const named = getNamedType(field.type);
    const selections = 'getFields' in named ? selectAll(deps.schema, named, { maxDepth: 1, nestedPageSize: 10 }, skipped) : undefined;
    return { name: field.name, args, ...(selections ? { selections } : {}) };
  };
  await pool(jobs, deps.width ?? 4, async ({ field, variant, principal }) => {
    const where = `${principal.label} Mutation.${field.name} (${variant.label})`;
    const forged = await send(deps, report, 'mutation', selectionOf(field, variant.args), principal);
    const twin = variant.twin && variant.sent.length ? await send(deps, report, 'mutation', selectionOf(field, variant.twin), principal) : undefined;
    report.exercised.add(field.name);
    forged.forEach((res, i) => {
      if (!res.body.errors?.length) report.allRefused = false;
      for (const s of sightings(res, deps, variant.sent)) {
        report.findings.push({ check: 'mutation', principal: principal.label, field: field.name, detail: `${where}: ${s.origin}: ${JSON.stringify(s.value)} in ${JSON.stringify(s.seenIn)}` });
      }
      if (variant.sent.length === 0) return;
      if (!res.body.errors?.length) {
        report.findings.push({ check: 'mutation', principal: principal.label, field: field.name, detail: `${where}: accepted: ${JSON.stringify(res.body.data).slice(0, 300)}` });
        return;
      }
      report.problems.push(...refusalProblems(res, where));
      const a = normalised(res, variant.sent);
      const b = twin?.[i] ? normalised(twin[i], variant.twinSent) : 'no answer';
      if (a !== b) report.findings.push({ check: 'mutation', principal: principal.label, field: field.name, detail: `${where}: answered unlike the same call naming nothing (an existence oracle):\n  forged:  ${a.slice(0, 400)}\n  unknown: ${b.slice(0, 400)}` });
    });
  });
  for (const s of skipped) report.problems.push(`${s}: a required argument the mutation probe cannot supply`);
  return report;
}
