import './node-env';
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { configureFileImport } from '../../connectors/file-import/policy';
import { Config, ConfigError, loadConfig as readConfig } from '../config/config';
import { PENDING_EXIT_CODE } from './exit-codes';

/**
 * Each command's module, loaded only when that command runs: they bring in the database layer, the schema or the
 * whole server, 0.8-2.5 s of loading that `--help`, a refused flag or another command never needs.
 */
const commands = {
  audit: () => require('./audit.command') as typeof import('./audit.command'),
  backup: () => require('./backup.command') as typeof import('./backup.command'),
  evidencePack: () => require('./evidence-pack.command') as typeof import('./evidence-pack.command'),
  instances: () => require('./instances.command') as typeof import('./instances.command'),
  intel: () => require('./intel.command') as typeof import('./intel.command'),
  keys: () => require('./keys.command') as typeof import('./keys.command'),
  migrate: () => require('./migrate.command') as typeof import('./migrate.command'),
  report: () => require('./report.command') as typeof import('./report.command'),
  schema: () => require('./schema.command') as typeof import('./schema.command'),
  secrets: () => require('./secrets.command') as typeof import('./secrets.command'),
  serve: () => require('./serve.command') as typeof import('./serve.command'),
  sync: () => require('./sync.command') as typeof import('./sync.command'),
  worker: () => require('./worker.command') as typeof import('./worker.command'),
};

/** The environment's configuration, with the process-wide settings connectors check against applied. */
function loadConfig(): Config {
  const config = readConfig();
  configureFileImport(config.fileImport);
  return config;
}

/** Reports a failure as one line naming what to fix, not as a stack trace. */
function fail(err: unknown): never {
  const message = err instanceof ConfigError ? `configuration error: ${err.message}` : (err as Error)?.message ?? String(err);
  process.stderr.write(`patchgraph: ${message}\n`);
  if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

/** package.json's version, found by walking up: this file runs from src/cli under jest and from dist/src/cli. */
export function packageVersion(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return 'unknown';
  }
}

export function main(argv: string[]): void {
  const program = new Command()
    .name('patchgraph')
    .description('GraphQL API joining Intune, Datto RMM and WSUS patch data. Configuration is read from the environment (see README).')
    .version(packageVersion())
    .showHelpAfterError();

  program
    .command('serve')
    .description('apply migrations, create the first admin key if none exists, load the demo into an empty database, and serve GraphQL')
    .action(() => commands.serve().serve(loadConfig()).catch(fail));

  program
    .command('migrate')
    .description('apply pending database migrations and exit (serve applies them at start too)')
    .option('--dry-run', 'list the pending migrations (timestamp and name, in the order they would be applied); apply nothing, write nothing; exit 0')
    .option('--check', `as --dry-run, but exit ${PENDING_EXIT_CODE} when migrations are pending (0 when none), for deployment scripts`)
    .action((opts: { dryRun?: boolean; check?: boolean }) => commands.migrate().migrate(loadConfig(), opts).then((code) => process.exit(code), fail));

  program
    .command('backup')
    .description(
      'copy the SQLite database to a file with the online backup API: safe while serve and syncs run, and always a committed state ' +
        '(never part of a sync run); prints the size, SHA-256, row counts and audit chain heads. MariaDB: see README "Backup and restore"',
    )
    .option('--out <file>', 'the backup file to write; it appears only when complete')
    .option('--force', 'replace --out if it exists')
    .action((opts: { out?: string; force?: boolean }) => commands.backup().backupCommand(loadConfig(), opts).then((code) => process.exit(code), fail));

  program
    .command('restore')
    .description(
      'replace the SQLite database (DATABASE_URL) with a backup, after verifying it: integrity check, migrations known to this version, ' +
        'every audit chain. Stop serve and workers first. MariaDB: see README "Backup and restore"',
    )
    .option('--from <file>', 'the backup file, as written by `patchgraph backup`')
    .option('--force', 'restore even though the database looks in use (another process has it open, or a sync lease is live)')
    .action((opts: { from?: string; force?: boolean }) => commands.backup().restoreCommand(loadConfig(), opts).then((code) => process.exit(code), fail));

  program
    .command('instances')
    .description('list the connector instances: id (as --connector and the API take it), kind, tenant, how it syncs, name')
    .option('--kind <kind>', 'only instances of this connector kind, e.g. datto-rmm')
    .option('--tenant <text>', "only instances of tenants whose name contains this text (case-insensitive)")
    .option('-q, --quiet', 'print only the ids, one a line, e.g. for sync --connector "$(npx patchgraph instances --kind datto-rmm -q)"')
    .action((opts: { kind?: string; tenant?: string; quiet?: boolean }) =>
      commands.instances().instancesCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );

  program
    .command('sync')
    .description('sync connector instances now: every enabled one except push-only ones, or the one given; exits 1 if any run failed')
    .option('--connector <id>', 'sync only this connector instance (its id from `instances` or the connectorInstances query)')
    .option('--full', 'ignore incremental cursors and read everything (marks devices missing from the source stale)')
    .action((opts: { connector?: string; full?: boolean }) =>
      commands.sync().syncCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );

  program
    .command('worker')
    .description('run the sync jobs API servers queue in Redis (needs REDIS_URL); run any number, on any machine; SIGTERM finishes or hands back its jobs')
    .action(() => commands.worker().workerCommand(loadConfig()).catch(fail));

  const secrets = program.command('secrets').description('manage the key that encrypts connector secrets at rest');
  secrets
    .command('rotate-key')
    .description(
      're-encrypt every stored connector secret with a new key in one transaction (audited), then install the key: ' +
        'the key file is replaced (the old one kept as <file>.old-<time>); with PATCHGRAPH_SECRET_KEY you set the new key yourself. ' +
        'Restart every patchgraph process afterwards',
    )
    .option('--new-key-file <path>', 'file holding the new key: 32 bytes as base64 (44 characters) or 64 hex digits, e.g. from openssl rand -base64 32')
    .option('--generate', 'generate the new key (written with mode 0600; only its path is printed)')
    .option('--dry-run', 'check that every stored secret decrypts with the current key and report; change nothing')
    .action((opts: { newKeyFile?: string; generate?: boolean; dryRun?: boolean }) =>
      commands.secrets().secretsRotateKeyCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );

  const keys = program
    .command('keys')
    .description('manage API keys on the database directly, so they work while the server is down; changes are audited as cli:<os user>');
  keys
    .command('create')
    .description('create an API key and print it, alone, on stdout: the only time it is shown')
    .option('--name <name>', 'what the key is for, e.g. "client portal"')
    .option('--role <role>', 'MSP_ADMIN, TECHNICIAN, CLIENT_ADMIN or AUDITOR')
    .option('--tenant <id or name>', 'a tenant the key may see: its id or exact name; repeat for more', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--all-tenants', 'the key sees every tenant, including ones created later')
    .option('--expires <date-time>', 'when the key stops working, ISO 8601 with a zone, e.g. 2027-01-31T18:00:00Z')
    .option('--expires-in <duration>', 'when the key stops working, from now: e.g. 30d, 12h, 90m')
    .action((opts: { name?: string; role?: string; tenant?: string[]; allTenants?: boolean; expires?: string; expiresIn?: string }) =>
      commands.keys().keysCreateCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );
  keys
    .command('list')
    .description('list API keys: id (as rotate, revoke and the API take it), role, status, prefix, created, last used (to within a minute), expiry, tenants, name')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON, with who created each key and when it was rotated or revoked')
    .action((opts: { all?: boolean; json?: boolean }) => commands.keys().keysListCommand(loadConfig(), opts).then((code) => process.exit(code), fail));
  keys
    .command('rotate <id>')
    .description('give a key a new secret (same id, name, role, tenants, expiry) and print it on stdout; the old one is refused at once')
    .action((id: string) => commands.keys().keysRotateCommand(loadConfig(), id).then((code) => process.exit(code), fail));
  keys
    .command('revoke <id>')
    .description('revoke a key: it is refused from the next request on, for good')
    .action((id: string) => commands.keys().keysRevokeCommand(loadConfig(), id).then((code) => process.exit(code), fail));

  const intel = program.command('intel').description('vulnerability intelligence: CISA KEV, Microsoft CVRF, CVE JSON 5 records and EPSS scores (see README)');
  intel
    .command('import <paths...>')
    .description(
      'import intel files (the format is recognised by content; directories are walked; .gz is read): prints per file what changed. ' +
        'Importing a file again changes nothing; a file that is not valid stops the run (exit 1) with nothing of it written',
    )
    .action((paths: string[]) => commands.intel().intelImportCommand(loadConfig(), paths).then((code) => process.exit(code), fail));
  intel
    .command('fetch [feeds...]')
    .description(
      'download feeds from their official addresses and import them (optional: patchgraph never needs the network). Feeds: kev, epss, ' +
        'msrc:<YYYY-Mon> (a month\'s CVRF document), cve:<CVE id> (one CVE record); default kev epss. Addresses can be replaced by ' +
        'PATCHGRAPH_INTEL_KEV_URL, _EPSS_URL, _MSRC_URL, _CVE_URL (a mirror). A feed that fails is named and makes the exit code 1',
    )
    .option('--out <dir>', 'keep the downloaded files in this directory')
    .action((feeds: string[], opts: { out?: string }) => commands.intel().intelFetchCommand(loadConfig(), feeds, opts).then((code) => process.exit(code), fail));
  intel
    .command('status')
    .description('list the imported intel: feed, version, release date, import time, records, file')
    .option('--json', 'print JSON, with each file\'s SHA-256 and what its import changed')
    .action((opts: { json?: boolean }) => commands.intel().intelStatusCommand(loadConfig(), opts).then((code) => process.exit(code), fail));

  const audit = program.command('audit').description('the tamper-evident audit trail: verify its chains, prune history past retention');
  const repeat = (value: string, all: string[]) => [...all, value];
  audit
    .command('verify')
    .description('recompute audit chains and the Merkle roots of the sync runs they seal; names the first broken link; exits 1 if any chain is broken')
    .option('--tenant <id or name>', 'a tenant whose chain to verify: its id or exact name, or "global" for the MSP-wide chain; repeat for more', repeat, [] as string[])
    .option('--all', "every tenant's chain and the MSP-wide one")
    .option('--from <date>', 'only the audit events that occurred from this date or ISO 8601 date-time (with a zone)')
    .option('--to <date>', 'only the audit events that occurred up to this date or date-time')
    .option('--json', 'print the full result as JSON')
    .action((opts: { tenant?: string[]; all?: boolean; from?: string; to?: string; json?: boolean }) =>
      commands.audit().auditVerifyCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );
  audit
    .command('prune')
    .description(
      'the retention job: remove the audit events that occurred before --before, with the patch and posture events of the sync runs they seal, ' +
        'and record what went in each chain (the database refuses these deletes to anything else)',
    )
    .option('--before <date>', 'the cut: a date (midnight UTC) or an ISO 8601 date-time with a zone, e.g. 2019-01-01')
    .option('--tenant <id or name>', "only this tenant's chain; repeat for more (default: every tenant and the MSP-wide chain)", repeat, [] as string[])
    .option('--dry-run', 'say what would be removed; change nothing')
    .action((opts: { before?: string; tenant?: string[]; dryRun?: boolean }) =>
      commands.audit().auditPruneCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );

  const report = program.command('report').description("auditors' reports, written from the database directly and recorded in the audit trail as cli:<os user>");
  const each = (value: string, all: string[] | undefined) => [...(all ?? []), value];
  report
    .command('patch-history')
    .description('the patch history report: one row per patch event that matters in a period, as CSV, JSON Lines or PDF; the same bytes as GET /reports/patch-history.<format>')
    .option('--tenant <id or name>', 'only this tenant: its id or exact name (default every tenant)')
    .option('--from <date>', 'start of the period: a date (its start, UTC) or an ISO 8601 date-time with a zone')
    .option('--to <date>', 'end of the period, not included')
    .option('--known-at <date-time>', 'only events recorded by then (default now): regenerating with it gives the same bytes')
    .option('--site <id>', 'only assets in this site; repeat for more', each, undefined)
    .option('--asset <id>', 'only this asset; repeat for more', each, undefined)
    .option('--kb <KB>', 'only updates with this KB number; repeat or comma-separate for more', each, undefined)
    .option('--cve <CVE id>', 'only updates fixing this CVE; repeat or comma-separate for more', each, undefined)
    .option('--severity <severity>', 'only updates of this vendor severity (CRITICAL, IMPORTANT, MODERATE, LOW, UNSPECIFIED)', each, undefined)
    .option('--transition <transition>', 'only this transition (FIRST_SEEN_MISSING, INSTALLED, FIRST_SEEN_INSTALLED, FAILED, PENDING_REBOOT, ROLLED_BACK, NO_LONGER_APPLICABLE)', each, undefined)
    .option('--policy <key>', "add each row's due date under this policy (and keep only the updates it covers)")
    .option('--format <format>', 'csv, jsonl or pdf')
    .option('--out <file>', 'where to write it (- for standard output); the file appears only when complete')
    .action((opts) => commands.report().reportPatchHistoryCommand(loadConfig(), opts).then((code) => process.exit(code), fail));
  report
    .command('evidence-pack')
    .description('the evidence pack for a tenant, policy and date: a ZIP of a PDF and CSVs (compliance, findings, exceptions in force, change records, audit chain verification); the same bytes as GET /reports/evidence-pack.zip')
    .option('--tenant <id or name>', 'the tenant: its id or exact name')
    .option('--policy <key>', 'the policy, e.g. cyber-essentials-v3.3')
    .option('--date <date>', 'compliance as of this date (a date alone means its end, UTC) or an ISO 8601 date-time with a zone')
    .option('--from <date>', 'start of the period for change records and the audit chain (default: 30 days before --date)')
    .option('--known-at <date-time>', 'only what was recorded by then (default now): regenerating with it gives the same bytes')
    .option('--out <file>', 'the .zip to write; it appears only when complete')
    .action((opts) => commands.evidencePack().reportEvidencePackCommand(loadConfig(), opts).then((code) => process.exit(code), fail));
  report
    .command('verify [file]')
    .description('regenerate a recorded report from its filters and knownAt and compare: exit 0 if the bytes are identical, 1 if not (with the first differing line of a CSV or JSON Lines file)')
    .option('--digest <sha256>', "the report's SHA-256, instead of the file")
    .action((file: string | undefined, opts: { digest?: string }) => commands.report().reportVerifyCommand(loadConfig(), file, opts).then((code) => process.exit(code), fail));

  program
    .command('schema')
    .description('write schema/schema.graphql from the code')
    .action(() => {
      try {
        commands.schema().schema();
      } catch (err) {
        fail(err);
      }
    });

  program.parseAsync(argv).catch(fail);
}
