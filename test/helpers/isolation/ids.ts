/**
 * The ids the probes send: A's own (to exercise fields that need an id), the foreign ones (to try to reach what A
 * must not), and ids of nothing (to compare against: a foreign id must be answered exactly like one that does not
 * exist). Which type an ID argument expects is read from its name and context ("targetAssetId" in
 * MergeAssetsInput is an Asset; "id" in RenameSiteInput a Site), so a new argument is typed without a list.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLSchema } from 'graphql';
import { toGlobalId } from '../../../src/graphql/types/global-id';
import { nodeTypeNames } from './fingerprints';
import { OwnedRow } from './ownership';

export class IdBook {
  readonly nodeTypes: string[];
  /** Raw keys per Node type: A's (including the neutral rows A may see) and foreign ones. */
  private readonly own = new Map<string, string[]>();
  private readonly foreign = new Map<string, string[]>();

  constructor(schema: GraphQLSchema, rows: OwnedRow[]) {
    const types = nodeTypeNames(schema);
    this.nodeTypes = [...types].sort();
    for (const r of rows) {
      if (!types.has(r.entity)) continue;
      const into = r.owner === 'foreign' ? this.foreign : this.own;
      into.set(r.entity, [...(into.get(r.entity) ?? []), r.key]);
    }
  }

  /** Up to `n` of A's ids of a type, spread over its rows (first, middle, last). */
  ownSamples(type: string, n = 3): string[] {
    const keys = this.own.get(type) ?? [];
    const picks = [...new Set([0, Math.floor(keys.length / 2), keys.length - 1])].filter((i) => i >= 0 && i < keys.length).slice(0, n);
    return picks.map((i) => toGlobalId(type, keys[i]));
  }

  /** One foreign raw key of a type, if any. */
  foreignKey(type: string): string | undefined {
    return this.foreign.get(type)?.[0];
  }

  foreignId(type: string): string | undefined {
    const key = this.foreignKey(type);
    return key === undefined ? undefined : toGlobalId(type, key);
  }

  /** Node types that have a foreign row. */
  foreignTypes(): string[] {
    return this.nodeTypes.filter((t) => this.foreign.has(t));
  }

  /** All foreign raw keys of a type (for cursors: which edges are foreign). */
  isForeignGlobalId(id: string): boolean {
    const [type, key] = Buffer.from(id, 'base64url').toString('utf8').split(/:(.*)/s);
    return (this.foreign.get(type) ?? []).includes(key);
  }
}

/** A global id of nothing: the type's name over a fresh random key. */
export const unknownId = (type: string) => toGlobalId(type, randomUUID());

/**
 * The Node type an ID argument expects, from its name ("vendorSiteIds" -> VendorSite, the longest type name it ends
 * with) or, for a bare "id", from its context (input type or field name: "RenameSiteInput" -> Site). Null when
 * neither says (node, nodes): any type.
 */
export function expectedType(nodeTypes: readonly string[], name: string, context: readonly string[]): string | null {
  const stem = name.replace(/Ids?$/, '');
  const longest = (text: string, match: (t: string) => boolean) =>
    nodeTypes.filter(match).sort((x, y) => y.length - x.length)[0] ?? null;
  if (stem) {
    const hit = longest(stem, (t) => stem.toLowerCase().endsWith(t.toLowerCase()));
    if (hit) return hit;
    // "ringId" for a DeploymentRing, "changeId" for a ChangeRequest: the one node type the stem begins or ends.
    const named = nodeTypes.filter((t) => t.toLowerCase().endsWith(stem.toLowerCase()) || t.toLowerCase().startsWith(stem.toLowerCase()));
    if (named.length === 1) return named[0];
  }
  for (const c of context) {
    const hit = longest(c, (t) => c.toLowerCase().includes(t.toLowerCase()));
    if (hit) return hit;
  }
  return null;
}
