/**
 * Marks the effective patch state of every (asset, update) on a database that predates the flag, by the same rule
 * the sync engine applies from then on (src/sync/effective-states.ts). Raw SQL, so it works whatever the entities
 * look like later.
 */
import { QueryRunner } from 'typeorm';
import { EvidenceKind } from '../src/entities/enums';
import { chooseEffective, EvidenceSource } from '../src/sync/effective-states';

interface Row {
  id: string;
  assetId: string;
  updateId: string;
  sourceDeviceId: string;
  evidence: string;
  stale: number | boolean;
  inactive: number | boolean;
  lastCheckInAt: Date | string | null;
}

// SQLite returns TypeORM's UTC text form ("2026-11-23 13:50:05.545"); mysql2 returns a Date.
const dateOf = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(`${v.replace(' ', 'T')}Z`));

export async function backfillEffectiveStates(q: QueryRunner, quote: (name: string) => string): Promise<void> {
  const c = quote;
  const rows: Row[] = await q.query(
    `SELECT ps.${c('id')} AS ${c('id')}, ps.${c('assetId')} AS ${c('assetId')}, ps.${c('updateId')} AS ${c('updateId')},
            ps.${c('sourceDeviceId')} AS ${c('sourceDeviceId')}, ps.${c('evidence')} AS ${c('evidence')}, sd.${c('stale')} AS ${c('stale')},
            sd.${c('inactive')} AS ${c('inactive')}, sd.${c('lastCheckInAt')} AS ${c('lastCheckInAt')}
       FROM ${c('patch_state')} ps INNER JOIN ${c('source_device')} sd ON sd.${c('id')} = ps.${c('sourceDeviceId')}`,
  );
  const sources = new Map<string, EvidenceSource>();
  for (const r of rows) sources.set(r.sourceDeviceId, { outOfDate: !!Number(r.stale) || !!Number(r.inactive), lastCheckInAt: dateOf(r.lastCheckInAt) });
  const chosen = [...chooseEffective(rows.map((r) => ({ ...r, evidence: r.evidence as EvidenceKind, effective: false })), sources)];
  for (let i = 0; i < chosen.length; i += 500) {
    const ids = chosen.slice(i, i + 500);
    await q.query(`UPDATE ${c('patch_state')} SET ${c('effective')} = 1 WHERE ${c('id')} IN (${ids.map(() => '?').join(', ')})`, ids);
  }
}
