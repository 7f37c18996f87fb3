/**
 * The effective state of each (asset, update): several tools may report the same update on one machine, and an
 * old record of a re-imaged machine keeps the states it had. One of them must decide what the asset's counts,
 * filters and compliance read. The rule, for the sources of an asset that have a state for the update:
 *   1. a current source (neither inactive nor stale) before an out-of-date one;
 *   2. then the freshest: the latest check-in with its tool (a source that reports none counts as least fresh);
 *   3. then the strongest evidence when equally fresh: REPORTED per update before DERIVED from an OS build;
 *   4. then the source device id, so the choice never depends on row order.
 * Every source's state stays stored and visible; `patch_state.effective` marks the one chosen. It is kept up to
 * date wherever states, sources or their memberships change (refreshAssets), so reads are a plain filter.
 */
import { EntityManager, In } from 'typeorm';
import { PatchState, SourceDevice } from '../entities';
import { EvidenceKind } from '../entities/enums';
import { outOfDate } from './derive-asset';

export interface EvidenceSource {
  outOfDate: boolean;
  lastCheckInAt: Date | null;
}

type StateRow = Pick<PatchState, 'id' | 'assetId' | 'updateId' | 'sourceDeviceId' | 'evidence' | 'effective'>;

const STRENGTH: Record<EvidenceKind, number> = { [EvidenceKind.REPORTED]: 0, [EvidenceKind.DERIVED]: 1 };

function rank(a: StateRow, b: StateRow, sources: Map<string, EvidenceSource>): number {
  const sa = sources.get(a.sourceDeviceId);
  const sb = sources.get(b.sourceDeviceId);
  const oa = sa?.outOfDate ?? true;
  const ob = sb?.outOfDate ?? true;
  if (oa !== ob) return oa ? 1 : -1;
  const ta = sa?.lastCheckInAt?.getTime() ?? -Infinity;
  const tb = sb?.lastCheckInAt?.getTime() ?? -Infinity;
  if (ta !== tb) return tb > ta ? 1 : -1;
  const strength = (STRENGTH[a.evidence] ?? 9) - (STRENGTH[b.evidence] ?? 9);
  if (strength !== 0) return strength;
  return a.sourceDeviceId < b.sourceDeviceId ? -1 : a.sourceDeviceId > b.sourceDeviceId ? 1 : 0;
}

/** The ids of the rows that are effective: one per (asset, update). */
export function chooseEffective(rows: Iterable<StateRow>, sources: Map<string, EvidenceSource>): Set<string> {
  const best = new Map<string, StateRow>();
  for (const row of rows) {
    const key = `${row.assetId}\u0000${row.updateId}`;
    const current = best.get(key);
    if (!current || rank(row, current, sources) < 0) best.set(key, row);
  }
  return new Set([...best.values()].map((r) => r.id));
}

/** Assets per round trip: bounds memory on a fleet-wide first sync (300 updates × 250 assets ≈ 75k rows). */
const ASSETS_PER_CHUNK = 250;
const IDS_PER_UPDATE = 500;

/** Recomputes `effective` for every state of the given assets; writes only the rows whose flag changes. */
export async function refreshEffectiveStates(m: EntityManager, tenantId: string, assetIds: Iterable<string>): Promise<number> {
  const ids = [...new Set(assetIds)];
  let written = 0;
  for (let i = 0; i < ids.length; i += ASSETS_PER_CHUNK) {
    const chunk = ids.slice(i, i + ASSETS_PER_CHUNK);
    const rows = await m.getRepository(PatchState).find({
      select: { id: true, assetId: true, updateId: true, sourceDeviceId: true, evidence: true, effective: true },
      where: { tenantId, assetId: In(chunk) },
    });
    if (rows.length === 0) continue;
    const devices = await m.getRepository(SourceDevice).find({
      select: { id: true, stale: true, inactive: true, lastCheckInAt: true },
      where: { tenantId, assetId: In(chunk) },
    });
    const sources = new Map(devices.map((d): [string, EvidenceSource] => [d.id, { outOfDate: outOfDate(d), lastCheckInAt: d.lastCheckInAt }]));
    const chosen = chooseEffective(rows, sources);
    const on = rows.filter((r) => chosen.has(r.id) && !r.effective).map((r) => r.id);
    const off = rows.filter((r) => !chosen.has(r.id) && r.effective).map((r) => r.id);
    await setEffective(m, on, true);
    await setEffective(m, off, false);
    written += on.length + off.length;
  }
  return written;
}

async function setEffective(m: EntityManager, ids: string[], value: boolean): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_UPDATE) {
    await m.getRepository(PatchState).update({ id: In(ids.slice(i, i + IDS_PER_UPDATE)) }, { effective: value });
  }
}
