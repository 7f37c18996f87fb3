/**
 * SQL has no empty IN list. A filter given as [] means "matches nothing", so it becomes a value no key,
 * enum or state ever holds.
 */
export function inList<T extends string>(values: readonly T[]): string[] {
  return values.length ? [...values] : ['-'];
}

/**
 * Pairs each entity of a joined query with a raw key column. TypeORM returns raw rows and entities separately;
 * with a to-one projection like these they line up by the entity's id.
 */
export function pairRaw<T extends { id: string }>(
  result: { entities: T[]; raw: Array<Record<string, unknown>> },
  keyColumn: string,
  idColumn: string,
): Array<{ key: string; row: T }> {
  const byId = new Map(result.entities.map((e) => [e.id, e]));
  return result.raw.map((r) => ({ key: String(r[keyColumn]), row: byId.get(String(r[idColumn]))! }));
}
