import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { yieldToEventLoop } from './sqlite-transaction-gate';

/** Keys per IN list: far under SQLite's 32,766 and MySQL's 65,535 bound parameters, with room for the rest of the WHERE. */
const IN_CHUNK = 500;

/**
 * Reads rows with every column converted exactly as TypeORM converts it (dates, booleans), without building
 * entities: hot paths (a WSUS run's events and states) read hundreds of thousands of rows inside one transaction,
 * and entity hydration cost more than the database.
 */
export async function readRows<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, where: string, params: unknown[], orderAndLimit = '', indexHint = ''): Promise<T[]> {
  const meta = m.connection.getMetadata(entity);
  const { driver } = m.connection;
  const columns = meta.columns.filter((c) => !c.isVirtual);
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT ${columns.map((c) => driver.escape(c.databaseName)).join(', ')} FROM ${driver.escape(meta.tableName)}${indexHint ? ` ${indexHint}` : ''} WHERE ${where} ${orderAndLimit}`.trimEnd(),
    params,
  );
  return raw.map((r) => Object.fromEntries(columns.map((c) => [c.propertyName, driver.prepareHydratedValue(r[c.databaseName], c)])) as T);
}

/** readRows of the rows whose column is in a list of any length, one statement per chunk of the list. */
export async function readRowsIn<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, column: keyof T & string, values: readonly string[]): Promise<T[]> {
  const name = m.connection.driver.escape(m.connection.getMetadata(entity).findColumnWithPropertyName(column)!.databaseName);
  const out: T[] = [];
  for (let i = 0; i < values.length; i += IN_CHUNK) {
    const chunk = values.slice(i, i + IN_CHUNK);
    out.push(...(await readRows(m, entity, `${name} IN (${chunk.map(() => '?').join(', ')})`, chunk)));
    // On SQLite each chunk's read ran synchronously: the server answers between two of them.
    if (i + IN_CHUNK < values.length) await yieldToEventLoop();
  }
  return out;
}
