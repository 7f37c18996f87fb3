/**
 * The leaves of a sync run's Merkle root: one per patch event and patch posture event the run wrote in a tenant.
 *
 * - A leaf is RFC 6962's leaf hash of a canonical JSON array of the event's fields, in a fixed order (below). Every
 *   column is covered, and they are all immutable: events are never rewritten.
 * - A column added later joins the leaf in a new leaf version, and a seal records the version it used (absent: 1),
 *   so the roots sealed before still verify: version 2 adds a patch event's evidence kind.
 * - The canonical order is by kind ("patch_event" before "patch_posture_event"), then by id, compared as plain
 *   strings (code units), never by a database collation, so both engines order alike.
 *
 * The root is computed from the events as the run's write inserts them (run-leaves.ts), or from the rows as the
 * database returns them when a part cannot be sealed so (run-seal.ts), and again from the rows when it is verified,
 * always from the leaves of this one module.
 */
import { EntityManager, EntityTarget } from 'typeorm';
import { yieldToEventLoop } from '../db/sqlite-transaction-gate';
import { PatchEvent, PatchPostureEvent, RunEventLeaves } from '../entities';
import { readRows } from '../db/read-rows';
import { forEachSliced, TimeSlicer, timeSlicer } from '../../connectors/sdk/time-slices';
import { leafHash, merkleRoot, merkleRootInSlices } from './merkle';
import { byLastInstant } from '../util/last-instant';

export type EventKind = 'patch_event' | 'patch_posture_event';

export interface EventLeaf {
  kind: EventKind;
  id: string;
  /** Leaf hash, hex. */
  leaf: string;
}

/** Which columns a leaf covers: 1, the columns patch_event had when runs were first sealed; 2, also `evidence`. */
export type LeafVersion = 1 | 2;

/** The version new seals use. */
export const LEAF_VERSION: LeafVersion = 2;

/** What a run's audit event records about its events in one tenant. */
export interface EventsDigest {
  count: number;
  root: string;
  /** The leaf version; absent in seals written before versions existed, which are version 1. */
  leaf?: LeafVersion;
}

/** The leaf version a seal says it used; anything but a known later version is the first. */
export const leafVersionOf = (digest: Pick<EventsDigest, 'leaf'>): LeafVersion => (digest.leaf === 2 ? 2 : 1);

/** Entries per run_event_leaves row: about 30 KB of JSON, under MySQL's 64 KB TEXT. */
export const LEAF_CHUNK = 256;

// A run's events share their observed time: its text is made once.
const isoOf = byLastInstant((d) => d.toISOString());
const iso = (d: Date | null): string | null => (d ? isoOf(d) : null);

export function patchEventLeaf(e: PatchEvent, version: LeafVersion = LEAF_VERSION): string {
  const fields = [
    'patch_event', e.id, e.tenantId, e.assetId, e.sourceDeviceId, e.updateId, e.syncRunId, e.fromState, e.toState, iso(e.reportedAt), iso(e.observedAt),
  ];
  return leafHash(JSON.stringify(version === 1 ? fields : [...fields, e.evidence]));
}

export function postureEventLeaf(e: PatchPostureEvent): string {
  return leafHash(JSON.stringify([
    'patch_posture_event', e.id, e.tenantId, e.assetId, e.sourceDeviceId, e.syncRunId, e.fromStatus, e.toStatus, e.approvedPending, e.notApproved,
    e.installed, iso(e.observedAt),
  ]));
}

/** The leaf of a patch event row, at a leaf version. */
export const patchEventLeafOf = (version: LeafVersion) => (e: PatchEvent): EventLeaf => ({ kind: 'patch_event', id: e.id, leaf: patchEventLeaf(e, version) });

/** The leaf of a patch posture event row. */
export const postureEventLeafOf = (e: PatchPostureEvent): EventLeaf => ({ kind: 'patch_posture_event', id: e.id, leaf: postureEventLeaf(e) });

export function compareLeaves(a: Pick<EventLeaf, 'kind' | 'id'>, b: Pick<EventLeaf, 'kind' | 'id'>): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The count and root of leaves; with a version when it is a seal's, for the verifier to recompute them alike. */
export function digestOf(leaves: readonly EventLeaf[], version?: LeafVersion): EventsDigest {
  const digest: EventsDigest = { count: leaves.length, root: merkleRoot(leaves.map((l) => l.leaf)) };
  if (version !== undefined && version > 1) digest.leaf = version;
  return digest;
}

/** The same digest as {@link digestOf}, its root computed in slices with turns of the event loop between them. */
export async function digestInSlices(leaves: readonly EventLeaf[], version?: LeafVersion, slicer: TimeSlicer = timeSlicer()): Promise<EventsDigest> {
  const hashes: string[] = [];
  await forEachSliced(leaves, slicer, (l) => hashes.push(l.leaf));
  const digest: EventsDigest = { count: leaves.length, root: await merkleRootInSlices(hashes, slicer) };
  if (version !== undefined && version > 1) digest.leaf = version;
  return digest;
}

/** Events read and hashed per statement: a run of 240,000 events is read in pieces, the event loop served between. */
export const LEAF_PAGE = 1_000;

/** Leaves of the events matching `where` (over tenantId, syncRunId, … of both tables), by tenant, in canonical order. */
export async function leavesWhere(m: EntityManager, where: string, params: unknown[], version: LeafVersion = LEAF_VERSION): Promise<Map<string, EventLeaf[]>> {
  const q = (c: string) => m.connection.driver.escape(c);
  const sql = where.replace(/\{(\w+)\}/g, (_, c: string) => q(c));
  const byTenant = new Map<string, EventLeaf[]>();
  const add = (tenantId: string, leaf: EventLeaf) => {
    const list = byTenant.get(tenantId);
    if (list) list.push(leaf);
    else byTenant.set(tenantId, [leaf]);
  };
  // Keyset pages by id: every page is a short statement, and ids are lowercase hex, ordered alike by both engines.
  const pages = async <T extends { id: string; tenantId: string }>(entity: EntityTarget<T>, leafOf: (row: T) => EventLeaf) => {
    for (let after = ''; ;) {
      const page = await readRows(m, entity, `(${sql}) AND ${q('id')} > ?`, [...params, after], `ORDER BY ${q('id')} LIMIT ${LEAF_PAGE}`);
      for (const row of page) add(row.tenantId, leafOf(row));
      if (page.length < LEAF_PAGE) return;
      after = page[page.length - 1].id;
      await yieldToEventLoop();
    }
  };
  await pages(PatchEvent, patchEventLeafOf(version));
  await pages(PatchPostureEvent, postureEventLeafOf);
  for (const leaves of byTenant.values()) leaves.sort(compareLeaves);
  return byTenant;
}

/**
 * How many events of each kind a run wrote in each tenant, from the run's index alone (syncRunId, tenantId): which
 * tenants the seal covers, and what the write must have handed over for each (run-leaves.ts).
 */
export async function eventCountsOfRun(m: EntityManager, syncRunId: string): Promise<Map<string, { patch: number; posture: number }>> {
  const q = (c: string) => m.connection.driver.escape(c);
  const counts = new Map<string, { patch: number; posture: number }>();
  for (const [entity, kind] of [[PatchEvent, 'patch'], [PatchPostureEvent, 'posture']] as const) {
    const table = q(m.connection.getMetadata(entity).tableName);
    const rows: Array<{ tenantId: string; n: number | string }> = await m.query(
      `SELECT ${q('tenantId')} AS ${q('tenantId')}, COUNT(*) AS n FROM ${table} WHERE ${q('syncRunId')} = ? GROUP BY ${q('tenantId')}`, [syncRunId],
    );
    for (const r of rows) {
      const c = counts.get(r.tenantId) ?? { patch: 0, posture: 0 };
      c[kind] = Number(r.n);
      counts.set(r.tenantId, c);
    }
  }
  return counts;
}

/**
 * A run's rows of one table in one tenant, page by page, each page a range of an index, never a sort of what is left
 * of the run (which made a 240,000-event run's pages cost up to a second each on SQLite) nor a re-read of it. SQLite
 * pages along the run's index (syncRunId, tenantId), which ends with the rowid, by rowid, found again from the last
 * id read; MariaDB pages by id along the primary key, between the tenant's first and last id in the run. Rows come in
 * that order: a run writes its events in id order, so it is nearly always canonical, but a caller that needs it must
 * check (ids written by another process, or older random ones, and MariaDB's collation, can order otherwise).
 */
export async function runPages<T extends { id: string }>(
  m: EntityManager, entity: EntityTarget<T>, syncRunId: string, tenantId: string, slicer: TimeSlicer, onPage: (rows: T[]) => Promise<void>,
): Promise<void> {
  const q = (c: string) => m.connection.driver.escape(c);
  const table = q(m.connection.getMetadata(entity).tableName);
  const sqlite = m.connection.driver.options.type === 'better-sqlite3';
  // InnoDB answers `syncRunId = ? AND tenantId = ? AND id > ?` from the run's index as a lookup of the tenant's
  // entries filtered by id (EXPLAIN: ref, not range), so every page re-read all the pages before it: a 240,000-event
  // run's seal took four times as long. The tenant's events lie between its first and last id (read at once from the
  // ends of that index), and each page is a range of the primary key between them.
  let bounds: { lo: string; hi: string } | null = null;
  if (!sqlite) {
    const [row]: Array<{ lo: string | null; hi: string | null }> = await m.query(
      `SELECT MIN(${q('id')}) AS lo, MAX(${q('id')}) AS hi FROM ${table} WHERE ${q('syncRunId')} = ? AND ${q('tenantId')} = ?`, [syncRunId, tenantId],
    );
    if (!row?.lo || !row.hi) return;
    bounds = { lo: row.lo, hi: row.hi };
  }
  for (let after: string | null = null; ;) {
    let where = `${q('syncRunId')} = ? AND ${q('tenantId')} = ?`;
    const params: unknown[] = [syncRunId, tenantId];
    if (bounds) {
      where += ` AND ${q('id')} ${after === null ? '>=' : '>'} ? AND ${q('id')} <= ?`;
      params.push(after ?? bounds.lo, bounds.hi);
    } else if (after !== null) {
      where += ` AND rowid > (SELECT rowid FROM ${table} WHERE ${q('id')} = ?)`;
      params.push(after);
    }
    const page = await readRows(m, entity, where, params, `ORDER BY ${sqlite ? 'rowid' : q('id')} LIMIT ${LEAF_PAGE}`, bounds ? 'FORCE INDEX (PRIMARY)' : '');
    await onPage(page);
    if (page.length < LEAF_PAGE) return;
    after = page[page.length - 1].id;
    await slicer.turn();
  }
}

/** A run's events in one tenant, as leaves in canonical order, all held at once: what the verifier compares (and the seal falls back to). */
export async function runLeavesIn(m: EntityManager, syncRunId: string, tenantId: string, version: LeafVersion = LEAF_VERSION, slicer: TimeSlicer = timeSlicer()): Promise<EventLeaf[]> {
  const collect = <T>(into: EventLeaf[], leafOf: (row: T) => EventLeaf) => (rows: T[]) => forEachSliced(rows, slicer, (row) => into.push(leafOf(row)));
  const events: EventLeaf[] = [];
  await runPages(m, PatchEvent, syncRunId, tenantId, slicer, collect(events, patchEventLeafOf(version)));
  const posture: EventLeaf[] = [];
  await runPages(m, PatchPostureEvent, syncRunId, tenantId, slicer, collect(posture, postureEventLeafOf));
  // Each kind is nearly in order already (time-ordered ids, written in order), which is where the sort is linear.
  events.sort(compareLeaves);
  await slicer.turn();
  posture.sort(compareLeaves);
  return events.concat(posture);
}

/** A run's stored leaf list in one tenant, in order; entries that are not well-formed are left out (and so fail the root). */
export async function readLeafList(m: EntityManager, syncRunId: string, tenantId: string): Promise<EventLeaf[]> {
  const rows = await m.getRepository(RunEventLeaves).find({ where: { syncRunId, tenantId }, order: { chunk: 'ASC' } });
  const out: EventLeaf[] = [];
  for (const row of rows) {
    let entries: unknown;
    try {
      entries = JSON.parse(row.entries);
    } catch {
      continue;
    }
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      if (Array.isArray(e) && (e[0] === 'patch_event' || e[0] === 'patch_posture_event') && typeof e[1] === 'string' && typeof e[2] === 'string') {
        out.push({ kind: e[0], id: e[1], leaf: e[2] });
      }
    }
  }
  return out;
}
