/**
 * Marks the effective patch state of every (asset, update) on a database that predates the flag, by the rule the
 * sync engine applies from then on (src/sync/effective-states.ts), in one statement.
 */
import { QueryRunner } from 'typeorm';
import { effectiveFlipSql, flipDialectOf } from '../src/sync/effective-states';

export async function backfillEffectiveStates(q: QueryRunner, quote: (name: string) => string): Promise<void> {
  await q.query(effectiveFlipSql(quote, null, flipDialectOf(q)));
}
