/**
 * `patchgraph backup --out FILE` and `patchgraph restore --from FILE` for the SQLite database. A MariaDB/MySQL
 * deployment backs up with the server's own tools, which know its transactions and triggers; these commands say
 * which, rather than doing it half as well.
 */
import { Writable } from 'node:stream';
import { Config } from '../config/config';
import { backupSqlite } from '../db/sqlite-backup';
import { SqliteFileSummary } from '../db/sqlite-file-summary';
import { restoreSqlite } from '../db/sqlite-restore';
import { UserInputError } from '../errors';
import { Clock, systemClock } from '../util/clock';

type Out = NodeJS.WriteStream | Writable;

export interface BackupOptions {
  out?: string;
  force?: boolean;
}

export interface RestoreOptions {
  from?: string;
  force?: boolean;
}

/** What `backup` and `restore` answer on a MariaDB/MySQL DATABASE_URL; README "Backup and restore" has the details. */
export function mysqlBackupAdvice(command: 'backup' | 'restore'): string {
  const lines =
    command === 'backup'
      ? [
          'with a MariaDB/MySQL DATABASE_URL, back up with the database server\'s tools (README "Backup and restore"):',
          '  mariadb-dump --single-transaction --routines --triggers --events --hex-blob --default-character-set=utf8mb4 <database> > patchgraph.sql',
          '  (--triggers keeps the triggers that make the audit tables append-only; --single-transaction gives one consistent snapshot without locking the server)',
          '  or a physical backup: mariabackup --backup --target-dir=<dir>, then mariabackup --prepare --target-dir=<dir>',
        ]
      : [
          'with a MariaDB/MySQL DATABASE_URL, restore with the database server\'s tools (README "Backup and restore"):',
          '  stop serve and workers, then: mariadb <database> < patchgraph.sql  (or mariabackup --copy-back --target-dir=<dir> on a stopped server)',
          '  then check the audit trail: npx patchgraph audit verify --all',
        ];
  return `${lines.join('\n')}`;
}

function sqlitePath(config: Config, command: 'backup' | 'restore'): string {
  if (config.database.engine !== 'sqlite') throw new UserInputError('DATABASE_URL', mysqlBackupAdvice(command));
  if (config.database.path === ':memory:') throw new UserInputError('DATABASE_URL', 'an in-memory database has nothing to back up or restore');
  return config.database.path;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function describe(out: Out, s: SqliteFileSummary): void {
  out.write(`  size      ${s.bytes} bytes (${mib(s.bytes)})\n`);
  out.write(`  schema    ${s.lastMigration ?? 'no migrations applied'}\n`);
  const rows = Object.entries(s.tables).filter(([name]) => name !== 'migrations');
  out.write(`  rows      ${rows.reduce((n, [, c]) => n + c, 0)} in ${rows.length} tables:\n`);
  for (const [name, count] of rows) if (count) out.write(`    ${name.padEnd(24)} ${count}\n`);
  out.write(`  audit chain heads (${s.chainHeads.length}):\n`);
  for (const h of s.chainHeads) out.write(`    ${h.chainKey.padEnd(36)}  seq ${String(h.seq).padStart(6)}  ${h.hash}\n`);
}

export async function backupCommand(config: Config, options: BackupOptions, out: Out = process.stdout): Promise<number> {
  const source = sqlitePath(config, 'backup');
  if (!options.out) throw new UserInputError('--out', 'is required: the file to write the backup to, e.g. --out backups/patchgraph-$(date +%F).db');
  const result = await backupSqlite(source, options.out, { force: options.force });
  out.write(`wrote ${result.file} from ${source} in ${(result.durationMs / 1000).toFixed(1)} s\n`);
  out.write(`  sha256    ${result.sha256}\n`);
  describe(out, result);
  // The file alone does not restore a working server: its connector secrets open only with this key.
  const key = config.secretKey ? 'PATCHGRAPH_SECRET_KEY' : config.secretKeyFile;
  out.write(`connector secrets in it are encrypted with the key in ${key}: keep a copy of that key in a safe place of its own; without it a restore cannot use them\n`);
  return 0;
}

export async function restoreCommand(config: Config, options: RestoreOptions, out: Out = process.stdout, clock: Clock = systemClock): Promise<number> {
  const target = sqlitePath(config, 'restore');
  if (!options.from) throw new UserInputError('--from', 'is required: the backup file to restore, as written by `patchgraph backup`');
  const result = await restoreSqlite(options.from, target, { force: options.force, clock });
  out.write(`restored ${result.file} from ${options.from}\n`);
  out.write(`  backup sha256  ${result.backupSha256}\n`);
  out.write('  integrity check ok; migrations known to this version\n');
  if (result.pendingMigrations.length) {
    out.write(`  the backup is from an older version: ${result.pendingMigrations.length} migration(s) pending, applied by \`patchgraph migrate\` or at the next start;\n`);
    out.write('  verify the audit chains after that with: npx patchgraph audit verify --all\n');
  } else {
    const totals = result.chains.reduce((t, c) => ({ audit: t.audit + c.auditEvents, runs: t.runs + c.runs, events: t.events + c.events }), { audit: 0, runs: 0, events: 0 });
    out.write(`  audit chains verified: ${result.chains.length} (${totals.audit} audit events, ${totals.runs} sealed sync runs, ${totals.events} patch and posture events)\n`);
  }
  describe(out, result);
  if (result.previous) out.write(`the database it replaced is kept as ${result.previous}; remove it when you no longer need it\n`);
  return 0;
}
