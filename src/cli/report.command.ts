/**
 * `patchgraph report patch-history` and `patchgraph report verify`: the patch history report on the database directly,
 * as an all-tenants caller named `cli:<os user>` in its report.generated audit event. The file appears only when it is
 * complete (written beside it, then renamed), and is recorded only then. Progress goes to stderr on a terminal.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { PatchHistoryAccess } from '../access/patch-history';
import { TenantScope } from '../access/tenant-scope';
import { Config } from '../config/config';
import { UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { REPORT_FORMATS, ReportFormat } from '../reports/formats/report-format';
import { PatchHistoryReport } from '../reports/patch-history-report';
import { CLI_FIELDS, parseTextRequest } from '../reports/patch-history-request';
import { recordReport, reportHeader } from '../reports/report-record';
import { isSha256 } from '../reports/verify-report';
import { createLogger } from '../server/logger';
import { Clock, systemClock } from '../util/clock';
import { cliActor, tenantIdOf } from './keys.command';
import { openDatabase } from './open-database';

type Out = NodeJS.WriteStream | Writable;

export interface PatchHistoryOptions {
  tenant?: string;
  from?: string;
  to?: string;
  knownAt?: string;
  site?: string[];
  asset?: string[];
  kb?: string[];
  cve?: string[];
  severity?: string[];
  transition?: string[];
  policy?: string;
  format?: string;
  out?: string;
}

async function withDatabase<T>(config: Config, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  // Warnings and errors only, on stderr: stdout may carry the report itself (--out -).
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel }, process.stderr);
  const dataSource = await openDatabase(config, logger);
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

function formatOf(value: string | undefined): ReportFormat {
  if (value === undefined) throw new UserInputError('--format', `is required: ${REPORT_FORMATS.join(', ')}`);
  const format = REPORT_FORMATS.find((f) => f === value.toLowerCase());
  if (!format) throw new UserInputError('--format', `must be one of ${REPORT_FORMATS.join(', ')}, got "${value}"`);
  return format;
}

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** One line on a terminal, rewritten in place at most four times a second; nothing when stderr is not a terminal. */
function progress(err: Out): { update(text: string): void; done(): void } {
  const tty = (err as NodeJS.WriteStream).isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (!tty || now - last < 250) return;
      last = now;
      shown = true;
      err.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown) err.write('\r\x1b[2K');
    },
  };
}

export async function reportPatchHistoryCommand(config: Config, options: PatchHistoryOptions, out: Out = process.stdout, err: Out = process.stderr, clock: Clock = systemClock): Promise<number> {
  const format = formatOf(options.format);
  if (!options.out) throw new UserInputError('--out', 'is required: the file to write, or - for standard output');
  return withDatabase(config, async (dataSource) => {
    const tenant = options.tenant === undefined ? undefined : await tenantIdOf(dataSource, options.tenant);
    const request = parseTextRequest({ ...options, tenant }, CLI_FIELDS);
    const { filter, policy } = await new PatchHistoryAccess(dataSource, TenantScope.allTenants(), clock).resolve(request, CLI_FIELDS);
    const report = await PatchHistoryReport.open(dataSource, filter, policy, format);
    const header = await reportHeader(report, clock.now(), cliActor());

    const toStdout = options.out === '-';
    const target = toStdout ? null : options.out!;
    const partial = target && join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
    const sink: Out = partial ? createWriteStream(partial, { flags: 'wx' }) : out;
    const bar = progress(err);
    try {
      for await (const chunk of report.content()) {
        if (!sink.write(chunk)) await once(sink, 'drain');
        bar.update(`patch history (${format}): ${report.rowCount.toLocaleString('en-GB')} rows, ${megabytes(report.byteCount)}`);
      }
      if (partial) {
        (sink as Writable).end();
        await once(sink, 'finish');
        renameSync(partial, target!);
      }
    } catch (e) {
      if (partial) {
        (sink as Writable).destroy();
        rmSync(partial, { force: true });
      }
      throw e;
    } finally {
      bar.done();
    }
    const { event } = await recordReport(dataSource, header, report, clock.now());
    err.write(
      `${toStdout ? 'wrote the report' : `wrote ${target}`}: ${format}, ${report.rowCount} rows, ${report.byteCount} bytes, known at ${filter.knownAt.toISOString()}\n` +
        `sha256 ${report.sha256}; recorded as report ${toGlobalId('AuditEvent', event.id)} (patchgraph report verify --digest ${report.sha256})\n`,
    );
    return 0;
  });
}

export interface VerifyOptions {
  digest?: string;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw new UserInputError('FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return hash.digest('hex');
}

/** Exit 0 when the report regenerates to the same bytes, 1 when it does not; an unknown digest is an error. */
export async function reportVerifyCommand(config: Config, file: string | undefined, options: VerifyOptions, out: Out = process.stdout): Promise<number> {
  if ((file === undefined) === (options.digest === undefined)) throw new UserInputError('--digest', 'give the report FILE or --digest <sha256>, one of them');
  const digest = options.digest?.trim().toLowerCase() ?? (await fileSha256(file!));
  if (!isSha256(digest)) throw new UserInputError('--digest', `must be 64 hexadecimal digits (a SHA-256), got "${options.digest}"`);
  return withDatabase(config, async (dataSource) => {
    const access = new PatchHistoryAccess(dataSource, TenantScope.allTenants(), systemClock);
    let v;
    try {
      v = await access.verify(digest, file ? () => createReadStream(file) : undefined);
    } catch (e) {
      if ((e as { code?: string }).code === 'NOT_FOUND') throw new UserInputError(file ? 'FILE' : '--digest', `no report with SHA-256 ${digest} was recorded`);
      throw e;
    }
    const r = v.record;
    const what = `${r.report} ${r.format}, ${r.rowCount} rows, known at ${r.filter.knownAt}, generated ${r.generatedAt} by ${r.generatedBy} (report ${toGlobalId('AuditEvent', v.auditEventId)})`;
    if (v.identical) {
      out.write(`identical: regenerating gives the same ${r.byteCount} bytes (sha256 ${digest}); ${what}\n`);
      return 0;
    }
    out.write(`DIFFERENT: regenerating gives ${v.regenerated.rowCount} rows, sha256 ${v.regenerated.sha256}; ${what}\n`);
    if (v.difference) out.write(`first difference: ${v.difference}\n`);
    return 1;
  });
}
