/**
 * `patchgraph intel import <file|dir>...` and `patchgraph intel status`. Import prints one line per file on stdout
 * saying what changed; progress goes to stderr, and only on a terminal. A file that is not valid input stops the
 * run with one line naming it (exit 1); files before it stay imported, each having been written whole or not at all.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Config } from '../config/config';
import { IntelSource } from '../entities';
import { IntelFormatError } from '../intel/intel-error';
import { expandPaths, importIntelFile } from '../intel/import-intel';
import { downloadFeed, FeedRequest, feedRequest, FetchRequestError } from '../intel/fetch-intel';
import { createLogger } from '../server/logger';
import { Clock, systemClock } from '../util/clock';
import { cliActor } from './keys.command';
import { openDatabase } from './open-database';

type Out = NodeJS.WriteStream | Writable;

export interface IntelIo {
  out?: Out;
  err?: Out & { isTTY?: boolean };
  clock?: Clock;
}

/** A file the user named that is not intel at all is an error; one met while walking a directory is skipped. */
export async function intelImportCommand(config: Config, paths: string[], io: IntelIo = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const clock = io.clock ?? systemClock;
  if (paths.length === 0) {
    err.write('patchgraph: intel import: name at least one file or directory\n');
    return 1;
  }
  let files: ReturnType<typeof expandPaths>;
  try {
    files = expandPaths(paths);
  } catch (e) {
    err.write(`patchgraph: intel import: ${(e as Error).message}\n`);
    return 1;
  }
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  const tty = Boolean(err.isTTY);
  const progress = (text: string) => tty && err.write(`\r\x1b[K${text}`);
  try {
    let imported = 0;
    for (const [i, file] of files.entries()) {
      progress(`intel import: ${i + 1}/${files.length} ${file.path}`);
      try {
        const outcome = await importIntelFile(dataSource, file.path, clock.now(), { actor: cliActor() });
        progress('');
        if (!outcome) {
          if (!file.fromDirectory) throw new IntelFormatError(file.path, null, 'not a KEV catalog, MSRC CVRF document, CVE JSON 5 record or EPSS file');
          out.write(`${file.path}: skipped, not an intel file\n`);
          continue;
        }
        if (outcome.status === 'imported') imported += 1;
        out.write(`${outcome.message}\n`);
      } catch (e) {
        progress('');
        if (!(e instanceof IntelFormatError)) throw e;
        err.write(`patchgraph: intel import: ${e.message}; nothing from this file was written${imported ? ` (${imported} file(s) before it were imported)` : ''}\n`);
        return 1;
      }
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

/**
 * `patchgraph intel fetch [feeds...]`: downloads feeds from their official addresses (src/intel/fetch-intel.ts) and
 * imports them as `intel import` does. A feed that cannot be downloaded is named on stderr and makes the exit code
 * 1; the others are still imported. Downloads go to `--out` when given (kept), else to a temporary directory.
 */
export async function intelFetchCommand(config: Config, feeds: string[], options: { out?: string }, io: IntelIo = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  let requests: FeedRequest[];
  try {
    requests = (feeds.length ? feeds : ['kev', 'epss']).map((f) => feedRequest(f));
  } catch (e) {
    err.write(`patchgraph: intel fetch: ${(e as Error).message}\n`);
    return 1;
  }
  const dir = options.out ?? mkdtempSync(join(tmpdir(), 'patchgraph-intel-'));
  mkdirSync(dir, { recursive: true });
  const tty = Boolean(err.isTTY);
  try {
    const fetched: string[] = [];
    let failed = 0;
    for (const request of requests) {
      if (tty) err.write(`\r\x1b[Kintel fetch: ${request.url}`);
      try {
        const { path, bytes } = await downloadFeed(request, dir);
        if (tty) err.write('\r\x1b[K');
        out.write(`fetched ${request.url}: ${bytes} bytes\n`);
        fetched.push(path);
      } catch (e) {
        if (tty) err.write('\r\x1b[K');
        if (!(e instanceof FetchRequestError)) throw e;
        err.write(`patchgraph: intel fetch: ${e.message}; nothing from it was imported\n`);
        failed += 1;
      }
    }
    const code = fetched.length ? await intelImportCommand(config, fetched, io) : 0;
    return failed ? 1 : code;
  } finally {
    if (!options.out) rmSync(dir, { recursive: true, force: true });
  }
}

export async function intelStatusCommand(config: Config, options: { json?: boolean }, out: Out = process.stdout): Promise<number> {
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  try {
    const sources = await dataSource.getRepository(IntelSource).find({ order: { kind: 'ASC', releasedAt: 'ASC', importedAt: 'ASC' } });
    if (options.json) {
      out.write(`${JSON.stringify(sources.map(({ kind, version, releasedAt, importedAt, sha256, fileName, records, summary }) => ({ kind, version, releasedAt, importedAt, sha256, fileName, records, summary })), null, 2)}\n`);
      return 0;
    }
    if (sources.length === 0) {
      out.write('no intel imported yet (patchgraph intel import <file|dir>; serve imports intel/baseline on start)\n');
      return 0;
    }
    // CVE records come one per file; a line each would bury the feeds, so they are counted with the newest.
    const records = sources.filter((s) => s.kind === 'CVE_JSON5');
    const rows = sources.filter((s) => s.kind !== 'CVE_JSON5').map((s) => [s.kind, s.version, s.releasedAt?.toISOString().slice(0, 10) ?? '-', s.importedAt.toISOString(), String(s.records), s.fileName]);
    if (records.length) {
      const newest = records.reduce((a, b) => ((a.releasedAt ?? a.importedAt) > (b.releasedAt ?? b.importedAt) ? a : b));
      rows.push(['CVE_JSON5', `${records.length} records`, newest.releasedAt?.toISOString().slice(0, 10) ?? '-', newest.importedAt.toISOString(), String(records.length), `newest: ${newest.version.split(' ')[0]}`]);
    }
    const header = ['KIND', 'VERSION', 'RELEASED', 'IMPORTED', 'RECORDS', 'FILE'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [header, ...rows]) out.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
