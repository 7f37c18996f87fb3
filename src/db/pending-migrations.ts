import { DataSource } from 'typeorm';

export interface MigrationListing {
  name: string;
  /** The Unix time in milliseconds the migration was generated at, as TypeORM records it. */
  timestamp: number;
}

export interface MigrationStatus {
  /** Known to this version and not yet applied, oldest first: what `migrate` (and `serve` at start) would apply. */
  pending: MigrationListing[];
  /** Applied, in the order they were applied. */
  applied: MigrationListing[];
  /** Applied by a newer version of patchgraph: this version does not know them (a downgrade, or a restore of a newer backup). */
  unknown: MigrationListing[];
}

/** The migration class's name ends in its 13-digit timestamp; TypeORM's executor reads it the same way. */
function listingOf(name: string): MigrationListing {
  const match = /(\d{13})$/.exec(name);
  return { name, timestamp: match ? Number(match[1]) : 0 };
}

/**
 * Compares the migrations this version ships with those recorded in the database, reading only: TypeORM's own
 * showMigrations creates the migrations table when it is missing, which a dry run must not do.
 */
export async function migrationStatus(dataSource: DataSource): Promise<MigrationStatus> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const runner = dataSource.createQueryRunner();
  let rows: Array<{ name: string; timestamp: number | string }> = [];
  try {
    if (await runner.hasTable(table)) {
      rows = await runner.query(`SELECT ${dataSource.driver.escape('name')}, ${dataSource.driver.escape('timestamp')} FROM ${dataSource.driver.escape(table)} ORDER BY ${dataSource.driver.escape('id')}`);
    }
  } finally {
    await runner.release();
  }
  const done = new Set(rows.map((r) => r.name));
  const known = allMigrations(dataSource);
  const knownNames = new Set(known.map((m) => m.name));
  return {
    pending: known.filter((m) => !done.has(m.name)).sort((a, b) => a.timestamp - b.timestamp),
    applied: rows.map((r) => ({ name: r.name, timestamp: Number(r.timestamp) })),
    unknown: rows.filter((r) => !knownNames.has(r.name)).map((r) => ({ name: r.name, timestamp: Number(r.timestamp) })),
  };
}

/**
 * Every migration this version ships, oldest first: what a database that does not exist yet would get. Read from
 * the options, not from dataSource.migrations, so that it answers before (and without) connecting.
 */
export function allMigrations(dataSource: DataSource): MigrationListing[] {
  const classes = (dataSource.options.migrations ?? []) as Array<new () => { name?: string }>;
  return classes.map((C) => listingOf(new C().name ?? C.name)).sort((a, b) => a.timestamp - b.timestamp);
}
