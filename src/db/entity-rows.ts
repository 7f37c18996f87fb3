import { DataSource, Driver, EntityMetadata, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
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

/** Raw rows made into rows of the entity: its prototype, each planned column converted as TypeORM converts it. */
function hydrate<T>(raw: Array<Record<string, unknown>>, plan: readonly ColumnPlan[], prototype: object, driver: Driver): T[] {
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
  const raw: Array<Record<string, unknown>> = await qb.getRawMany();
  return hydrate<T>(raw, plan, (meta.target as { prototype: object }).prototype, driver);
}

/**
 * The rows of a page query (ordered, with a LIMIT) as entityRows reads them, `order` being its ORDER BY as (property,
 * direction) pairs. On MariaDB a page with no condition at all (every tenant, no filter, no cursor) reads the page's
 * ids alone first, through the index its order names, then their rows by id: for an ordered LIMIT without a WHERE,
 * MariaDB 10.11 rated a scan and sort of the whole table cheaper than the index's row lookups (the first 101 of 5,000
 * assets: the table scanned and sorted in 4.8 ms, against 0.5 ms so). A page with any condition is left as it was:
 * its plan already follows an index, and the two steps were slower there (a scoped cursor page 1.0 -> 3.1 ms).
 */
export async function pageRows<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  columns: ReadonlySet<string> | undefined,
  order: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>,
): Promise<T[]> {
  const { expressionMap: e, connection } = qb;
  const main = e.mainAlias;
  const plain =
    main?.hasMetadata && main.metadata.embeddeds.length === 0 && e.joinAttributes.length === 0 && e.groupBys.length === 0 &&
    e.selects.length === 1 && e.selects[0].selection === main.name;
  if (!plain || e.wheres.length > 0 || !isMysqlFamily(connection)) return entityRows(qb, columns);
  const statement = selectStatement(connection, main.target, main.name, columns);
  const [ids, parameters] = qb.clone().select(`${main.name}.id`, 'pageKey').getQueryAndParameters();
  const orderBy = order.map(([property, direction]) => `${statement.column(property)} ${direction}`).join(', ');
  return selectRows<T>(statement, `INNER JOIN (${ids}) page ON page.pageKey = ${statement.column('id')} ORDER BY ${orderBy}`, parameters);
}

const isMysqlFamily = (dataSource: DataSource): boolean => dataSource.options.type === 'mariadb' || dataSource.options.type === 'mysql';

/** A SELECT list and FROM clause over one entity, made once per column set; see selectStatement. */
export interface EntitySelect {
  /** `SELECT <columns> FROM <table> <alias>`, each column aliased as TypeORM aliases it. */
  readonly head: string;
  readonly plan: readonly ColumnPlan[];
  readonly prototype: object;
  readonly dataSource: DataSource;
  /** The escaped `alias.column` of a property, for the statement's WHERE and ORDER BY. */
  column(property: string): string;
}

// Column sets come from the operations' column plans, a handful per entity; the bound only keeps a client that
// invents new ones from growing the map without end.
const MAX_SELECTS_PER_ENTITY = 64;
const selects = new WeakMap<EntityMetadata, Map<string, EntitySelect>>();

/**
 * The SELECT head over `entity` with only `columns` (all when absent), built from the entity's metadata once per
 * (DataSource, alias, column set) and kept as text: the query builder rebuilt and re-escaped the same statement on
 * every call of a hot loader, a seventh of a nested portal page. Only the head is shared; the caller adds its
 * WHERE (tenant scope first: see Finder.select) with positional parameters.
 */
export function selectStatement(dataSource: DataSource, entity: EntityTarget<unknown>, alias: string, columns?: ReadonlySet<string>): EntitySelect {
  const meta = dataSource.getMetadata(entity);
  const { driver } = dataSource;
  if (meta.embeddeds.length > 0) throw new Error(`${meta.name} has embedded columns, which selectStatement does not read`);
  const whole = planOf(meta, alias, driver);
  const plan = columns ? whole.filter((c) => columns.has(c.property)) : whole;
  const key = `${alias}:${columns ? plan.map((c) => c.property).join(',') : '*'}`;
  let byKey = selects.get(meta);
  if (!byKey) selects.set(meta, (byKey = new Map()));
  let select = byKey.get(key);
  if (!select) {
    const q = (name: string) => driver.escape(name);
    const columnsOf = new Map(meta.columns.map((c) => [c.propertyName, `${q(alias)}.${q(c.databaseName)}`]));
    select = {
      head: `SELECT ${plan.map((c) => `${q(alias)}.${q(c.column.databaseName)} AS ${q(c.key)}`).join(', ')} FROM ${q(meta.tableName)} ${q(alias)}`,
      plan,
      prototype: (meta.target as { prototype: object }).prototype,
      dataSource,
      column(property: string): string {
        const name = columnsOf.get(property);
        if (!name) throw new Error(`${meta.name} has no column ${property}`);
        return name;
      },
    };
    if (byKey.size >= MAX_SELECTS_PER_ENTITY) byKey.delete(byKey.keys().next().value!);
    byKey.set(key, select);
  }
  return select;
}

/** Rows of `select` completed by `rest` (WHERE, ORDER BY) with positional parameters, converted as entityRows converts them. */
export async function selectRows<T>(select: EntitySelect, rest: string, parameters: readonly unknown[], options: { sorted?: boolean } = {}): Promise<T[]> {
  const sql = `${select.head} ${rest}`;
  const raw: Array<Record<string, unknown>> = await select.dataSource.query(options.sorted ? sortedWithRows(select.dataSource, sql) : sql, [...parameters]);
  return hydrate<T>(raw, select.plan, select.prototype, select.dataSource.driver);
}

/**
 * `sql` (with an ORDER BY) as MariaDB should sort it: with the selected columns in the sort buffer. Past
 * max_length_for_sort_data (1 KB by default) of selected columns, which five 36-character ids in utf8mb4 are, it
 * sorts keys and row ids and reads every row again by id once sorted: a page's 600 patch states took 1.8 ms of the
 * server's time so, 1.2 ms with the rows sorted whole (3,922 -> 2,104 pages read), and their 100 source devices
 * 0.39 -> 0.29 ms. The sorted statements are a loader's batch (at most 500 parents' rows).
 */
function sortedWithRows(dataSource: DataSource, sql: string): string {
  return dataSource.options.type === 'mariadb' ? `SET STATEMENT max_length_for_sort_data = 4096 FOR ${sql}` : sql;
}

/** `n` positional placeholders for an IN list. */
export function placeholders(n: number): string {
  return n === 0 ? '' : '?' + ', ?'.repeat(n - 1);
}
