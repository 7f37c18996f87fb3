/**
 * Selections generated from the schema by introspection: every scalar field reachable from a field, to a bounded
 * depth, through object fields, lists, connections (nodes, edges, pageInfo, totalCount) and every implementation
 * of an interface. Optional Boolean and enum arguments are also tried with each non-default value, as aliased copies.
 */
import {
  getNamedType, getNullableType, GraphQLArgument, GraphQLField, GraphQLInputType, GraphQLNamedType, GraphQLSchema, isAbstractType,
  isCompositeType, isEnumType, isInputObjectType, isInterfaceType, isLeafType, isListType, isNonNullType, isObjectType, isScalarType,
} from 'graphql';

/** An enum value in a literal (printed bare). */
export class EnumLiteral {
  constructor(readonly name: string) {}
}

export type Literal = string | number | boolean | null | EnumLiteral | Literal[] | { [k: string]: Literal };

export interface FieldSelection {
  name: string;
  alias?: string;
  args?: Record<string, Literal>;
  selections?: Selection[];
}

export interface FragmentSelection {
  on: string;
  selections: Selection[];
}

export type Selection = FieldSelection | FragmentSelection;

export const isFragment = (s: Selection): s is FragmentSelection => 'on' in s;

export interface SelectionOptions {
  /** Object levels below the root field. */
  maxDepth: number;
  /** `first` given to connections below the root. */
  nestedPageSize: number;
  /** Values for a required argument the generator cannot make up; undefined when it cannot be supplied. */
  requiredArg?(field: GraphQLField<unknown, unknown>, arg: GraphQLArgument): Literal | undefined;
  /** Receives every field selected, as "Type.field". */
  selected?: Set<string>;
  /** How far below the roots each type is at the nearest (minDepths): a type no root reaches sooner is expanded past maxDepth. */
  minDepth?: ReadonlyMap<string, number>;
}

export function printLiteral(v: Literal): string {
  if (v instanceof EnumLiteral) return v.name;
  if (Array.isArray(v)) return `[${v.map(printLiteral).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${printLiteral(x)}`).join(', ')} }`;
  return JSON.stringify(v);
}

export function printSelections(selections: readonly Selection[]): string {
  return selections
    .map((s) => {
      if (isFragment(s)) return `... on ${s.on} { ${printSelections(s.selections)} }`;
      const args = s.args && Object.keys(s.args).length ? `(${Object.entries(s.args).map(([k, v]) => `${k}: ${printLiteral(v)}`).join(', ')})` : '';
      const sub = s.selections ? ` { ${printSelections(s.selections)} }` : '';
      return `${s.alias ? `${s.alias}: ` : ''}${s.name}${args}${sub}`;
    })
    .join(' ');
}

export function printOperation(kind: 'query' | 'mutation', selections: readonly Selection[]): string {
  return `${kind} { ${printSelections(selections)} }`;
}

const isPaged = (field: GraphQLField<unknown, unknown>) => field.args.some((a) => a.name === 'first') && getNamedType(field.type).name.endsWith('Connection');

/** Values an optional argument is also tried with: each Boolean and enum value other than the default. */
function variantValues(arg: GraphQLArgument): Literal[] {
  const type = getNullableType(arg.type);
  if (isListType(type)) return [];
  const dflt = arg.defaultValue;
  if (isEnumType(type)) return type.getValues().filter((v) => v.value !== dflt && v.name !== dflt).map((v) => new EnumLiteral(v.name));
  if (isScalarType(type) && type.name === 'Boolean') return [true, false].filter((b) => b !== dflt);
  return [];
}

/** Required arguments without a default; undefined when one cannot be supplied. */
function requiredArgs(field: GraphQLField<unknown, unknown>, options: SelectionOptions): Record<string, Literal> | undefined {
  const args: Record<string, Literal> = {};
  for (const arg of field.args) {
    if (!isNonNullType(arg.type) || arg.defaultValue !== undefined) continue;
    const value = options.requiredArg?.(field, arg) ?? defaultLiteral(arg.type, arg.name);
    if (value === undefined) return undefined;
    args[arg.name] = value;
  }
  return args;
}

/**
 * Values for required arguments that are not ids, by name, where a made-up value would only be refused as bad input
 * before the field reads anything. The walk reports a field every call of which is refused as bad input, so a new
 * argument that needs a real value shows up here.
 */
export const VALUE_HINTS: Record<string, Literal> = {
  name: 'Isolation probe', kind: 'file-import', settings: { path: '/dev/null' }, policy: 'cyber-essentials-v3.3',
  // A digest no report has: verifyReport answers that nothing was recorded with it.
  sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
};

/** A plain value of an input type (for required non-ID arguments); undefined for types it cannot make up. */
export function defaultLiteral(type: GraphQLInputType, name?: string): Literal | undefined {
  if (name !== undefined && name in VALUE_HINTS) return VALUE_HINTS[name];
  const t = getNullableType(type);
  if (isListType(t)) {
    const item = defaultLiteral(t.ofType);
    return item === undefined ? undefined : [item];
  }
  if (isEnumType(t)) return new EnumLiteral(t.getValues()[0].name);
  if (isInputObjectType(t)) {
    const out: Record<string, Literal> = {};
    for (const f of Object.values(t.getFields())) {
      if (!isNonNullType(f.type) || f.defaultValue !== undefined) continue;
      const v = defaultLiteral(f.type, f.name);
      if (v === undefined) return undefined;
      out[f.name] = v;
    }
    return out;
  }
  switch (t.name) {
    case 'String': return 'isolation-probe';
    case 'Int': return 1;
    case 'Float': return 1;
    case 'Boolean': return false;
    case 'JSONObject': return {};
    // A period (a report's from/to) must not be empty: it spans the demo's history up to the day after its clock.
    case 'DateTimeISO': return name === 'from' ? '2026-01-01T00:00:00.000Z' : name === 'to' ? '2026-11-03T00:00:00.000Z' : '2026-11-02T10:00:00.000Z';
    default: return undefined;
  }
}

/** Fields that could not be selected (required arguments nobody can supply), as "Type.field". */
export type Skipped = Set<string>;

interface Pending {
  type: GraphQLNamedType;
  depth: number;
  into: Selection[];
}

/**
 * Every selectable field of `type` and of every type reachable from it, breadth first: each type is expanded in
 * full where it is first reached (the shallowest place, so over the most parents), and elsewhere only its
 * scalars are selected. Every field of every reachable type is thus selected once, and the answer stays the size
 * of the data, not of the paths through it.
 */
export function selectAll(schema: GraphQLSchema, type: GraphQLNamedType, options: SelectionOptions, skipped: Skipped): Selection[] {
  const root: Selection[] = [];
  const expanded = new Set<string>([type.name]);
  const queue: Pending[] = [{ type, depth: 0, into: root }];
  const reach = (named: GraphQLNamedType, depth: number): Selection[] => {
    const into: Selection[] = [];
    if (isObjectType(named) && expanded.has(named.name)) into.push(...scalarsOf(named.getFields()));
    else {
      expanded.add(named.name);
      queue.push({ type: named, depth, into });
    }
    return into;
  };
  while (queue.length) {
    const { type: current, depth, into } = queue.shift()!;
    if (isAbstractType(current)) {
      into.push({ name: '__typename' });
      if (isInterfaceType(current)) into.push(...selectFields(current.getFields(), current.name, options, skipped, depth, reach, new Set()));
      const impls = schema.getPossibleTypes(current);
      const conflicting = conflictingNames(impls.map((t) => t.getFields()));
      for (const impl of impls) {
        const selections: Selection[] = [];
        into.push({ on: impl.name, selections });
        if (expanded.has(impl.name)) selections.push(...aliased(scalarsOf(impl.getFields()), impl.name, conflicting));
        else {
          expanded.add(impl.name);
          selections.push(...aliased(selectFields(impl.getFields(), impl.name, options, skipped, depth, reach, conflicting), impl.name, conflicting));
        }
      }
    } else if (isObjectType(current)) {
      into.push(...selectFields(current.getFields(), current.name, options, skipped, depth, reach, new Set()));
    }
    if (into.length === 0) into.push({ name: '__typename' });
  }
  return root;
}

/** Field names the implementations of one abstract type give different types: they need aliases to be selected together. */
function conflictingNames(fieldMaps: Array<Record<string, GraphQLField<unknown, unknown>>>): Set<string> {
  const types = new Map<string, Set<string>>();
  for (const fields of fieldMaps) for (const f of Object.values(fields)) types.set(f.name, (types.get(f.name) ?? new Set()).add(String(f.type)));
  return new Set([...types].filter(([, t]) => t.size > 1).map(([name]) => name));
}

function aliased(selections: Selection[], typeName: string, conflicting: Set<string>): Selection[] {
  return selections.map((s) => (!isFragment(s) && !s.alias && conflicting.has(s.name) ? { ...s, alias: `${typeName}_${s.name}` } : s));
}

function scalarsOf(fields: Record<string, GraphQLField<unknown, unknown>>): Selection[] {
  const scalars = Object.values(fields)
    .filter((f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
    .map((f) => ({ name: f.name }));
  return scalars.length ? scalars : [{ name: '__typename' }];
}

function selectFields(
  fields: Record<string, GraphQLField<unknown, unknown>>, typeName: string, options: SelectionOptions, skipped: Skipped, depth: number,
  reach: (named: GraphQLNamedType, depth: number) => Selection[], conflicting: Set<string>,
): Selection[] {
  const out: Selection[] = [];
  for (const field of Object.values(fields)) {
    const named = getNamedType(field.type);
    const args = requiredArgs(field, options);
    if (!args) {
      skipped.add(`${typeName}.${field.name}`);
      continue;
    }
    if (isPaged(field)) args.first = options.nestedPageSize;
    let selections: Selection[] | undefined;
    if (isCompositeType(named)) {
      // Past the depth, a field is still selected (its scalars), and a type no root reaches sooner is expanded.
      const beyond = depth + 1 > options.maxDepth && (options.minDepth?.get(named.name) ?? 0) < depth + 1;
      selections = !beyond ? reach(named, depth + 1) : isObjectType(named) ? scalarsOf(named.getFields()) : [{ name: '__typename' }];
    }
    out.push({ name: field.name, ...(Object.keys(args).length ? { args } : {}), ...(selections ? { selections } : {}) });
    options.selected?.add(`${typeName}.${field.name}`);
    for (const arg of field.args) {
      if (args[arg.name] !== undefined) continue;
      for (const value of variantValues(arg)) {
        const label = value instanceof EnumLiteral ? value.name : String(value);
        const alias = `${conflicting.has(field.name) ? `${typeName}_` : ''}${field.name}__${arg.name}_${label}`;
        // The copy exercises the argument; its children's fields are selected in full under the field itself.
        const shallow = isObjectType(named) ? scalarsOf(named.getFields()) : selections;
        out.push({ name: field.name, alias, args: { ...args, [arg.name]: value }, ...(shallow ? { selections: shallow } : {}) });
      }
    }
  }
  return out;
}

/**
 * Splits a root selection in two, each keeping the path down to half of the children of the first node with more
 * than one child. Null when it is a single path and cannot be split.
 */
export function splitSelection(s: FieldSelection | FragmentSelection): [Selection, Selection] | null {
  const children = s.selections;
  if (!children || children.length === 0) return null;
  if (children.length === 1) {
    const only = children[0];
    const halves = isFragment(only) || only.selections ? splitSelection(only) : null;
    return halves ? [{ ...s, selections: [halves[0]] }, { ...s, selections: [halves[1]] }] : null;
  }
  const mid = Math.ceil(children.length / 2);
  return [{ ...s, selections: children.slice(0, mid) }, { ...s, selections: children.slice(mid) }];
}

/** The leaf paths of a selection, "assets.nodes.hostname": what a walk covered. */
export function leafPaths(selections: readonly Selection[], prefix = ''): string[] {
  return selections.flatMap((s) => {
    if (isFragment(s)) return leafPaths(s.selections, `${prefix}(${s.on})`);
    const here = `${prefix}${prefix ? '.' : ''}${s.alias ?? s.name}`;
    return s.selections ? leafPaths(s.selections, here) : [here];
  });
}

/** Whether an input type (through lists and non-null) is ID. */
export const isIdType = (type: GraphQLInputType): boolean => getNamedType(type).name === 'ID';

/** Every field ("Type.field") of every object or interface type reachable from the root type, the root's own excluded. */
export function reachableFields(schema: GraphQLSchema, root: GraphQLNamedType): string[] {
  const seen = new Set<string>([root.name]);
  const out: string[] = [];
  const queue: GraphQLNamedType[] = [root];
  while (queue.length) {
    const type = queue.shift()!;
    const next: GraphQLNamedType[] = isAbstractType(type) ? [...schema.getPossibleTypes(type)] : [];
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        if (type !== root) out.push(`${type.name}.${f.name}`);
        next.push(getNamedType(f.type));
      }
    }
    for (const t of next) {
      if (!seen.has(t.name) && isCompositeType(t)) {
        seen.add(t.name);
        queue.push(t);
      }
    }
  }
  return out.sort();
}

/** How many levels below the root fields each composite type is at the nearest (a root field's own type is at 0). */
export function minDepths(schema: GraphQLSchema, root: GraphQLNamedType): Map<string, number> {
  const depth = new Map<string, number>();
  const queue: GraphQLNamedType[] = [];
  const visit = (t: GraphQLNamedType, d: number) => {
    if (!isCompositeType(t) || depth.has(t.name)) return;
    depth.set(t.name, d);
    queue.push(t);
    if (isAbstractType(t)) for (const impl of schema.getPossibleTypes(t)) visit(impl, d);
  };
  if (isObjectType(root)) for (const f of Object.values(root.getFields())) visit(getNamedType(f.type), 0);
  while (queue.length) {
    const t = queue.shift()!;
    if (isObjectType(t) || isInterfaceType(t)) for (const f of Object.values(t.getFields())) visit(getNamedType(f.type), depth.get(t.name)! + 1);
  }
  return depth;
}
