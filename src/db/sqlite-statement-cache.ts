/**
 * Which SQLite statements are kept prepared for reuse. A prepared statement's compiled program lives in native
 * memory, outside V8's heap, and better-sqlite3 frees it only when its JavaScript object is collected. TypeORM's runner
 * keeps the last 100 distinct statements, and the read connection the last 200 reads: right for the API's small,
 * repeated queries, wrong for a sync's batches, whose text is new at almost every statement (a multi-row INSERT of
 * 3,000 rows of 10 values is 69 KB of SQL and about 2.7 MB of native memory once prepared). Cached, a 2,000 x 300 WSUS
 * ingest left some 270 MB of them behind in a resting server (its resident memory 179 MB before the run, 453 MB
 * after, with V8's heap back at 63 MB), and a 20,000-computer ingest held about 190 MB of them at its peak. Long
 * statements are prepared for the one call and left to the collector, which frees them young.
 */

/** SQL longer than this is not cached: a sync's batches (its INSERTs and IN lists run to tens of KB). */
export const MAX_CACHED_SQL_CHARS = 8_192;

/**
 * Long statements the writer thread keeps prepared, the most recently used: a sync's full batches repeat one text per
 * table (500 patch states of 15 values: about 24 KB of SQL), so a handful covers them, in a few MB of native memory.
 */
export const MAX_CACHED_LONG_STATEMENTS = 4;

export function cacheable(sql: string): boolean {
  return sql.length <= MAX_CACHED_SQL_CHARS;
}

interface PreparingRunner {
  getStmt(sql: string): Promise<unknown>;
  connect(): Promise<{ prepare(sql: string): unknown }>;
}

/** TypeORM's better-sqlite3 runner, made to prepare long statements without putting them in its cache. */
export function cacheOnlyShortStatements(runner: object): void {
  const preparing = runner as PreparingRunner;
  if (typeof preparing.getStmt !== 'function') throw new Error('the better-sqlite3 query runner has no getStmt: TypeORM changed, check sqlite-statement-cache.ts');
  const cached = preparing.getStmt.bind(runner);
  preparing.getStmt = async (sql: string) => (cacheable(sql) ? cached(sql) : (await preparing.connect()).prepare(sql));
}
