import { Driver, EntityMetadata, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { DriverUtils } from 'typeorm/driver/DriverUtils';

/** One selected column: where its value is in a raw row, where it goes, and whether the driver must convert it. */
interface ColumnPlan {
  key: string;
  property: string;
  column: ColumnMetadata;
  convert: boolean;
}

// Text columns come back from both drivers as the value TypeORM would store; everything else (dates, booleans,
// JSON, numbers, enums, transformers) goes through the driver's own conversion.
const TEXT_TYPES = new Set<unknown>(['varchar', 'text', 'char', 'nvarchar', 'longtext', 'mediumtext', String]);

const plans = new WeakMap<EntityMetadata, Map<string, ColumnPlan[]>>();

function planOf(meta: EntityMetadata, alias: string, driver: Driver): ColumnPlan[] {
  let byAlias = plans.get(meta);
  if (!byAlias) plans.set(meta, (byAlias = new Map()));
  let plan = byAlias.get(alias);
  if (!plan) {
    plan = meta.columns
      .filter((c) => !c.isVirtual && c.isSelect)
      .map((column) => ({
        key: DriverUtils.buildAlias(driver, undefined, alias, column.databaseName),
        property: column.propertyName,
        column,
        convert: !TEXT_TYPES.has(column.type) || !!column.transformer || !!column.enum,
      }));
    byAlias.set(alias, plan);
  }
  return plan;
}

/**
 * The rows `qb.getMany()` would return, read with getRawMany and converted column by column: each row has the
 * entity's prototype and every selected column converted exactly as TypeORM converts it, but none of the
 * transformer's per-row bookkeeping, which cost a nested portal page more than its SQL. A query with joins (getMany
 * merges the rows a join repeats, and builds joined entities) or an entity with embedded columns is left to getMany. With `columns`, only those properties
 * are selected, and the rows have only those.
 */
export async function entityRows<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, columns?: ReadonlySet<string>): Promise<T[]> {
  const { expressionMap, connection } = qb;
  const main = expressionMap.mainAlias;
  if (!main?.hasMetadata || main.metadata.embeddeds.length > 0 || expressionMap.joinAttributes.length > 0) return qb.getMany();
  const meta = main.metadata;
  const { driver } = connection;
  const whole = planOf(meta, main.name, driver);
  const plan = columns ? whole.filter((c) => columns.has(c.property)) : whole;
  if (columns) qb.select(plan.map((c) => `${main.name}.${c.property}`));
  const prototype = (meta.target as { prototype: object }).prototype;
  const raw: Array<Record<string, unknown>> = await qb.getRawMany();
  const rows = new Array<T>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    const row = Object.create(prototype) as Record<string, unknown>;
    for (const c of plan) {
      const value = r[c.key];
      if (value === undefined) continue;
      row[c.property] = c.convert ? driver.prepareHydratedValue(value, c.column) : value;
    }
    rows[i] = row as T;
  }
  return rows;
}
