import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { Driver } from 'typeorm/driver/Driver';
import { byLastInstant } from '../util/last-instant';
import { InFlight } from './in-flight';
import { yieldToEventLoop } from './sqlite-transaction-gate';

/** Rows per upsert statement: well under SQLite's and MySQL's parameter limits for our widest table. */
const CHUNK = 200;
/** Bound parameters per INSERT: under SQLite's 32,766 and MySQL's 65,535. */
const MAX_PARAMETERS = 30_000;
/**
 * Rows per INSERT. On SQLite a statement runs synchronously, so its length is how long the server answers nobody
 * else: in a full 2,000 x 300 WSUS ingest on a busy machine, statements of 2,000 patch states or 2,700 events (the
 * parameter bound alone) took 30-600 ms each, and with the rows built around them held the event loop 100-640 ms at
 * a time. At 500 rows a statement the same ingest had a quarter of those gaps, and alone on the server ran no slower;
 * beside clients that never pause it takes longer, since they are answered at each turn.
 */
export const MAX_ROWS_PER_INSERT = 500;
/**
 * Bytes of values per INSERT: a quarter of MariaDB's and MySQL's default max_allowed_packet (16 MiB), which closes
 * the connection on a longer statement. Rows of long text (an audit leaf list) reach it long before the parameter
 * limit.
 */
export const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

const approximateBytes = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value) : Buffer.isBuffer(value) ? value.length : 8;

/**
 * A column's value of a row as a bound parameter, exactly as the driver converts it, at less cost per row:
 * - a plain column (not in an embedded, not a relation's key) is read as the property, which is what TypeORM's
 *   getEntityValue comes to for it;
 * - the last date's conversion is kept: a sync's rows share a few instants (its clock's now), and the driver's date
 *   formatting was about a third of the conversions' cost in a full 2,000 x 300 ingest. A conversion of a date
 *   depends on its instant alone (no transformer: those convert every value).
 */
function parameterOf(driver: Driver, column: ColumnMetadata): (row: ObjectLiteral) => unknown {
  const own = !column.embeddedMetadata && !column.relationMetadata && !column.referencedColumn
    ? (row: ObjectLiteral) => row[column.propertyName]
    : (row: ObjectLiteral) => column.getEntityValue(row);
  // A value left out takes the column's declared default, as an INSERT naming fewer columns would.
  const fallback = column.default;
  const read = fallback === undefined || typeof fallback === 'function' ? own : (row: ObjectLiteral) => own(row) ?? fallback;
  const convert = (value: unknown) => driver.preparePersistentValue(value, column) ?? null;
  if (column.transformer) return (row) => convert(read(row));
  const convertDate = byLastInstant(convert);
  return (row) => {
    const value = read(row);
    return value instanceof Date ? convertDate(value) : convert(value);
  };
}

/**
 * Multi-row INSERT that leaves the given objects untouched. The application generates every value itself, so
 * nothing is read back (TypeORM's insert reads generated values back, and on SQLite it can merge them into the
 * wrong object of a batch). The statement is built here from the entity's metadata, with each value converted by
 * the driver exactly as TypeORM converts it, because TypeORM's query builder costs more per row than the database
 * does: a 365,000-row WSUS snapshot spent most of its time there.
 */
export async function insertRows<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, rows: readonly T[]): Promise<void> {
  if (rows.length === 0) return;
  const { driver } = manager.connection;
  const metadata = manager.connection.getMetadata(entity);
  const columns = metadata.columns.filter((c) => !c.isVirtual && c.isInsert);
  const parameters = columns.map((c) => parameterOf(driver, c));
  const table = driver.escape(metadata.tableName);
  const head = `INSERT INTO ${table} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const maxRows = Math.min(MAX_ROWS_PER_INSERT, Math.max(1, Math.floor(MAX_PARAMETERS / columns.length)));
  let values: unknown[] = [];
  let count = 0;
  let bytes = 0;
  // Statements in flight while the next one's rows are built: the database (MariaDB's server, SQLite's writer thread)
  // works while this thread converts values. They run in the order sent, on the one connection. Inside a transaction
  // two are in flight, so the database has the next statement when it finishes one even if this thread is busy
  // elsewhere. A failure then has at most one more statement run, inside the transaction it fails. Outside one, each
  // statement commits by itself, so the next is sent only once the last has landed.
  const depth = manager.queryRunner?.isTransactionActive ? 2 : 1;
  // On SQLite's main connection a statement runs synchronously; a long write lets the server answer between two.
  const inFlight = new InFlight(yieldToEventLoop);
  const flush = async () => {
    if (count === 0) return;
    await inFlight.landed(depth - 1);
    inFlight.add(manager.query(head + Array.from({ length: count }, () => tuple).join(', '), values));
    values = [];
    count = 0;
    bytes = 0;
  };
  try {
    for (const row of rows) {
      const own = parameters.map((parameter) => parameter(row));
      const size = own.reduce<number>((n, v) => n + approximateBytes(v), 0);
      // A row longer than the budget still goes, alone.
      if (count > 0 && (count === maxRows || bytes + size > MAX_STATEMENT_BYTES)) await flush();
      values.push(...own);
      count++;
      bytes += size;
    }
    await flush();
    await inFlight.landed();
  } finally {
    // Whatever happened here, nothing is left running once this returns or throws.
    await inFlight.settled();
  }
}

/**
 * Multi-row write of rows that already exist (matched on the primary key): one INSERT … ON CONFLICT DO UPDATE
 * (SQLite) or ON DUPLICATE KEY UPDATE (MySQL/MariaDB) per chunk, instead of one UPDATE per row. The rows must be
 * complete, since a row that unexpectedly does not exist is inserted as given.
 */
export async function updateRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: readonly T[],
  columns: ReadonlyArray<keyof T & string>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(rows.slice(i, i + CHUNK) as T[])
      .orUpdate([...columns], ['id'])
      .updateEntity(false)
      .execute();
    // As insertRows: on SQLite each chunk, built by TypeORM's query builder, ran synchronously; the server answers between two.
    await yieldToEventLoop();
  }
}
