/**
 * Replaces a SQLite database with a backup, but only a backup that is sound: SQLite's integrity check passes, its
 * migrations are all known to this version, and every audit chain in it verifies. The verified copy then takes the
 * database's name in one rename; the database it replaces stays beside it under another name (a hard link, so
 * keeping it costs no copy).
 */
import { closeSync, copyFileSync, existsSync, linkSync, openSync, readSync, rmSync, statSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openSqliteFile } from './sqlite-file';
import { verifyAuditChain, ChainVerification } from '../audit/verify-chain';
import { parseDatabaseUrl } from '../config/config';
import { Tenant } from '../entities';
import { UserInputError } from '../errors';
import { Clock } from '../util/clock';
import { createDataSource } from './data-source';
import { migrationStatus } from './pending-migrations';
import { syncDirectory, tempBeside } from './sqlite-backup';
import { sha256Of, SqliteFileSummary, summarizeSqliteFile } from './sqlite-file-summary';

export interface RestoreResult extends SqliteFileSummary {
  /** The chains verified, by chain key; empty when the backup needs migrations first (see pendingMigrations). */
  chains: Array<{ chainKey: string; auditEvents: number; runs: number; events: number }>;
  /** Migrations this version would apply to the restored database at the next `migrate` or `serve`. */
  pendingMigrations: string[];
  /** Where the replaced database was kept, or null when there was none. */
  previous: string | null;
  /** The backup file's SHA-256, to compare with what `backup` printed. */
  backupSha256: string;
}

/** Thrown when the target looks in use; --force restores anyway. */
export class DatabaseInUseError extends UserInputError {
  constructor(reason: string) {
    super('--force', `the database looks in use: ${reason}. Stop \`patchgraph serve\` and every worker, then restore (or pass --force if you are sure)`);
  }
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function isSqliteFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** SQLite's own timestamps: "YYYY-MM-DD HH:MM:SS.SSS" in UTC, as TypeORM writes them. */
function sqliteTime(value: string): Date {
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}

/**
 * Why the database looks in use, or null. The last connection to close a WAL database checkpoints it and removes
 * its -wal and -shm files; opening and closing one here leaves them in place only while another process holds the
 * database open. A sync lease that has not expired means a sync is (or was until a moment ago) writing.
 */
export function inUseReason(target: string, clock: Clock): string | null {
  if (!existsSync(target)) return null;
  const db = openSqliteFile(target);
  let leases: Array<{ holder: string; expiresAt: string }> = [];
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_lock'").get()) {
      leases = db.prepare('SELECT holder, expiresAt FROM sync_lock').all() as typeof leases;
    }
  } finally {
    db.close();
  }
  const live = leases.filter((l) => sqliteTime(l.expiresAt) > clock.now());
  if (live.length) return `${live.length} sync lease(s) are live (held by ${[...new Set(live.map((l) => l.holder))].join(', ')})`;
  const open = [`${target}-wal`, `${target}-shm`].filter((f) => existsSync(f));
  if (open.length) return `another process has it open (${open.join(' and ')} remained after this one closed it)`;
  return null;
}

function chainName(v: ChainVerification): string {
  return v.tenantId ? `tenant ${v.tenantId}` : 'the MSP-wide chain';
}

/** Verifies the copy the restore is about to install; throws, naming what is wrong, when it is not sound. */
async function verifyCopy(file: string, from: string): Promise<Pick<RestoreResult, 'chains' | 'pendingMigrations'>> {
  const raw = openSqliteFile(file);
  try {
    const problems = (raw.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length) throw new UserInputError('--from', `${from} fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}`);
    if (!raw.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").get()) {
      throw new UserInputError('--from', `${from} is not a patchgraph database (it has no migrations table)`);
    }
  } finally {
    raw.close();
  }
  const dataSource = await createDataSource(parseDatabaseUrl(`sqlite:${file}`));
  await dataSource.initialize();
  try {
    const status = await migrationStatus(dataSource);
    if (status.unknown.length) {
      throw new UserInputError('--from', `${from} was written by a newer version of patchgraph (migrations unknown to this one: ${status.unknown.map((m) => m.name).join(', ')}); restore it with that version`);
    }
    const pendingMigrations = status.pending.map((m) => m.name);
    // The entities describe the current schema: an older backup's chains are verified once it is migrated.
    if (pendingMigrations.length) return { chains: [], pendingMigrations };
    const chains: RestoreResult['chains'] = [];
    const tenants = (await dataSource.getRepository(Tenant).find()).map((t) => t.id);
    for (const tenantId of [...tenants, null]) {
      const v = await verifyAuditChain(dataSource, tenantId);
      if (!v.ok) {
        const b = v.breaks[0];
        throw new UserInputError('--from', `the audit chain of ${chainName(v)} in ${from} does not verify: ${b.reason}${b.seq !== null ? ` at audit event ${b.seq}` : ''}: ${b.message}`);
      }
      chains.push({ chainKey: v.chainKey, auditEvents: v.auditEventsChecked, runs: v.runsChecked, events: v.eventsChecked });
    }
    return { chains, pendingMigrations };
  } finally {
    await dataSource.destroy();
  }
}

export async function restoreSqlite(fromPath: string, targetPath: string, options: { force?: boolean; clock: Clock }): Promise<RestoreResult> {
  const from = resolve(fromPath);
  const target = resolve(targetPath);
  if (!existsSync(from)) throw new UserInputError('--from', `there is no file at ${from}`);
  if (!statSync(from).isFile()) throw new UserInputError('--from', `${from} is not a file`);
  if (!isSqliteFile(from)) throw new UserInputError('--from', `${from} is not a SQLite database`);
  if (from === target) throw new UserInputError('--from', 'is the database itself (DATABASE_URL); name a backup file');
  if (!existsSync(dirname(target))) throw new UserInputError('DATABASE_URL', `the directory ${dirname(target)} does not exist`);
  if (!options.force) {
    const reason = inUseReason(target, options.clock);
    if (reason) throw new DatabaseInUseError(reason);
  }

  const tmp = tempBeside(target);
  let previous: string | null = null;
  try {
    const backupSha256 = await sha256Of(from);
    copyFileSync(from, tmp);
    const verified = await verifyCopy(tmp, from);
    // Verification opened the copy in WAL mode and closed it; nothing of it may be left beside it.
    for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    const summary = await summarizeSqliteFile(tmp);
    if (existsSync(target)) {
      const stamp = `${target}.before-restore-${options.clock.now().toISOString().replace(/[:.]/g, '-')}`;
      previous = stamp;
      for (let n = 2; existsSync(previous); n++) previous = `${stamp}-${n}`;
      linkSync(target, previous);
    }
    // A -wal left beside the old file would be replayed into the new one when it is next opened.
    for (const f of [`${target}-wal`, `${target}-shm`, `${target}-journal`]) rmSync(f, { force: true });
    renameSync(tmp, target);
    syncDirectory(dirname(target));
    return { ...summary, file: target, ...verified, previous, backupSha256 };
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) rmSync(f, { force: true });
  }
}
