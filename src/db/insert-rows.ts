import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/** Rows per INSERT statement: well under SQLite's and MySQL's parameter limits for our widest table. */
const CHUNK = 200;

/**
 * Multi-row INSERT that leaves the given objects untouched. TypeORM's default insert reads generated values
 * back into the objects, and on SQLite it can merge them into the wrong object of a batch, silently swapping
 * ids; the application generates every value itself, so nothing needs reading back.
 */
export async function insertRows<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, rows: readonly T[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await manager.createQueryBuilder().insert().into(entity).values(rows.slice(i, i + CHUNK) as T[]).updateEntity(false).execute();
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
  }
}
