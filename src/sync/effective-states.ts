/**
 * The effective state of each (asset, update): several tools may report the same update on one machine, and an
 * old record of a re-imaged machine keeps the states it had. One of them must decide what the asset's counts,
 * filters and compliance read. The rule, for the sources of an asset that have a state for the update:
 *   1. a current source (neither inactive nor stale) before an out-of-date one;
 *   2. then the freshest: the latest check-in with its tool (a source that reports none counts as least fresh);
 *   3. then the strongest evidence when equally fresh: REPORTED per update before DERIVED from an OS build;
 *   4. then the source device id, so the choice never depends on row order.
 * Every source's state stays stored and visible; `patch_state.effective` marks the one chosen. It is kept up to
 * date wherever states, sources or their memberships change (refreshAssets), so reads are a plain filter. The
 * choice is made in SQL, so a fleet-wide sync moves no state rows through JavaScript to decide it.
 */
import { EntityManager } from 'typeorm';
import { yieldToEventLoop } from '../db/sqlite-transaction-gate';

/** How the flip statement is shaped: the engines plan an UPDATE that reads its own table differently. */
export type FlipDialect = 'sqlite' | 'mysql';

export const flipDialectOf = (m: Pick<EntityManager, 'connection'>): FlipDialect => (m.connection.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql');

/**
 * Flips `effective` on exactly the rows whose flag is wrong, in one statement. The window numbers each (asset,
 * update)'s states by the rule above; NULL check-ins sort last in descending order on both engines. The ranked
 * select is materialised as a derived table, which MariaDB needs to update the table it reads.
 *
 * SQLite looks the derived table's ids up in the primary key. MariaDB before 11.1 cannot semi-join a single-table UPDATE's
 * `id IN (subquery)`: it walks the whole primary key and probes the subquery per row (EXPLAIN: index, DEPENDENT
 * SUBQUERY), so each 100-asset statement read all of patch_state, and a fleet-wide run did that once per 100 assets:
 * quadratic in the fleet (a 10,000-computer WSUS ingest: 100 statements over 647,000 rows). Joined instead, it reads
 * the derived table and finds each row by primary key (eq_ref).
 */
export function effectiveFlipSql(escape: (name: string) => string, assetCount: number | null, dialect: FlipDialect): string {
  const c = escape;
  const scoped = assetCount === null ? '' : `WHERE ps.${c('assetId')} IN (${Array.from({ length: assetCount }, () => '?').join(', ')})`;
  const ranked = `(
      SELECT ps.${c('id')} AS ${c('id')}, ps.${c('effective')} AS ${c('effective')}, ROW_NUMBER() OVER (
          PARTITION BY ps.${c('assetId')}, ps.${c('updateId')}
          ORDER BY CASE WHEN sd.${c('stale')} = 1 OR sd.${c('inactive')} = 1 THEN 1 ELSE 0 END,
                   sd.${c('lastCheckInAt')} DESC,
                   CASE WHEN ps.${c('evidence')} = 'REPORTED' THEN 0 ELSE 1 END,
                   ps.${c('sourceDeviceId')}) AS ${c('rn')}
        FROM ${c('patch_state')} ps INNER JOIN ${c('source_device')} sd ON sd.${c('id')} = ps.${c('sourceDeviceId')}
        ${scoped}
    ) ranked`;
  const decided = `CASE WHEN ranked.${c('rn')} = 1 THEN 1 ELSE 0 END`;
  if (dialect === 'mysql') {
    return `UPDATE ${c('patch_state')} target INNER JOIN ${ranked} ON ranked.${c('id')} = target.${c('id')}
    SET target.${c('effective')} = ${decided}
    WHERE ${decided} <> ranked.${c('effective')}`;
  }
  return `UPDATE ${c('patch_state')} SET ${c('effective')} = CASE WHEN ${c('effective')} = 1 THEN 0 ELSE 1 END
    WHERE ${c('id')} IN (SELECT ${c('id')} FROM ${ranked} WHERE ${decided} <> ranked.${c('effective')})`;
}

/**
 * Assets per statement: bounds the window's sort on a fleet-wide first sync (≈120 states an asset), and how long
 * SQLite's synchronous statement keeps the event loop from anyone else.
 */
const ASSETS_PER_STATEMENT = 100;

/** Re-decides `effective` for every state of the given assets. */
export async function refreshEffectiveStates(m: EntityManager, assetIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(assetIds)];
  const escape = (name: string) => m.connection.driver.escape(name);
  const dialect = flipDialectOf(m);
  for (let i = 0; i < ids.length; i += ASSETS_PER_STATEMENT) {
    const chunk = ids.slice(i, i + ASSETS_PER_STATEMENT);
    await m.query(effectiveFlipSql(escape, chunk.length, dialect), chunk);
    await yieldToEventLoop();
  }
}
