import { EntityManager, In } from 'typeorm';
import { yieldToEventLoop } from './sqlite-transaction-gate';

const CHUNK = 500;

/** Rows whose column is in a list of any length: IN lists are chunked to stay under both engines' parameter limits. */
export async function findIn<T extends object>(m: EntityManager, entity: new () => T, column: keyof T & string, values: string[], where: Partial<Record<keyof T, unknown>> = {}): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += CHUNK) {
    out.push(...(await m.getRepository(entity).findBy({ ...where, [column]: In(values.slice(i, i + CHUNK)) } as never)));
    // A long list is many statements, each with its entities built: on SQLite none gives the event loop a turn.
    if (i + CHUNK < values.length) await yieldToEventLoop();
  }
  return out;
}
