/**
 * GET /reports/patch-history.csv|jsonl|pdf — the patch history report over HTTP, with the same API keys (or OIDC
 * tokens), rate limits, permission matrix and tenant scope as /graphql. The body is the report's content alone and is
 * streamed as it is generated, with backpressure, in constant memory. What is known before the first byte travels in
 * X-Patchgraph-* response headers; the row count, the content's SHA-256 and the id of the report.generated audit
 * event, known only at the end, travel as HTTP trailers. A report is recorded only when it was sent whole; a client
 * that goes away mid-way leaves no record, and a report that cannot be recorded is cut off rather than completed.
 */
import { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PatchHistoryAccess } from '../access/patch-history';
import { PatchgraphError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { errorBody } from '../server/http-errors';
import { Clock } from '../util/clock';
import { CONTENT_TYPES, REPORT_FORMATS, ReportFormat } from './formats/report-format';
import { presentFilter, loadFilter } from './patch-history-filter';
import { PatchHistoryReport } from './patch-history-report';
import { HTTP_FIELDS, parseTextRequest, TextParams } from './patch-history-request';
import { authenticateDownload, DownloadAuthDeps, headerValue, roleRefusal, sendTypedError } from './report-http';
import { recordReport, ReportHeader, reportHeader } from './report-record';

export interface ReportRouteDeps extends DownloadAuthDeps {
  dataSource: DataSource;
  clock: Clock;
  logger: Logger;
}

/** The route key of each format in the permission matrix. */
export const reportRoute = (format: ReportFormat) => `GET /reports/patch-history.${format}`;

export const TRAILERS = ['X-Patchgraph-Row-Count', 'X-Patchgraph-Content-SHA256', 'X-Patchgraph-Report-Id'];

export function metadataHeaders(h: ReportHeader): Record<string, string> {
  return {
    'X-Patchgraph-Report': h.report,
    'X-Patchgraph-Generated-At': h.generatedAt.toISOString(),
    'X-Patchgraph-Generated-By': headerValue(h.generatedBy),
    'X-Patchgraph-Known-At': h.filter.knownAt,
    'X-Patchgraph-Filters': headerValue(JSON.stringify(presentFilter(loadFilter(h.filter)))),
    ...(h.policyVersion ? { 'X-Patchgraph-Policy-Version': h.policyVersion } : {}),
    'X-Patchgraph-Audit-Chain-Heads': h.chainHeads.map((c) => `${c.chainKey}:${c.seq}:${c.hash}`).join(', '),
    'X-Patchgraph-Generator': `patchgraph/${h.generator.patchgraph} pdfkit/${h.generator.pdfkit}`,
  };
}

/** Resolves when the response can take more, or is gone; leaves no listener behind (one pause per 64 KB chunk). */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function reportRoutes(deps: ReportRouteDeps): Router {
  const router = Router();
  for (const format of REPORT_FORMATS) {
    router.get(`/reports/patch-history.${format}`, (req, res) => {
      servePatchHistory(req, res, format, deps).catch((err) => {
        (req.log ?? deps.logger).error({ err }, 'patch history report failed');
        if (res.headersSent) res.destroy();
        else res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
      });
    });
  }
  return router;
}

async function servePatchHistory(req: Request, res: Response, format: ReportFormat, deps: ReportRouteDeps): Promise<void> {
  const principal = await authenticateDownload(req, res, deps);
  if (!principal) return;
  const refused = roleRefusal(principal, reportRoute(format));
  if (refused) {
    sendTypedError(res, refused);
    return;
  }
  let report: PatchHistoryReport;
  let header: ReportHeader;
  try {
    const request = parseTextRequest(req.query as TextParams, HTTP_FIELDS);
    const { filter, policy } = await new PatchHistoryAccess(deps.dataSource, principal.scope, deps.clock).resolve(request, HTTP_FIELDS);
    report = await PatchHistoryReport.open(deps.dataSource, filter, policy, format);
    header = await reportHeader(report, deps.clock.now(), principal.label);
  } catch (err) {
    if (!(err instanceof PatchgraphError)) throw err;
    sendTypedError(res, err);
    return;
  }
  const day = (iso: string) => iso.slice(0, 10);
  res.status(200);
  res.set({
    'Content-Type': CONTENT_TYPES[format],
    'Content-Disposition': `attachment; filename="patch-history_${day(header.filter.from)}_${day(header.filter.to)}.${format}"`,
    'Cache-Control': 'no-store',
    Trailer: TRAILERS.join(', '),
    ...metadataHeaders(header),
  });
  let gone = false;
  res.once('close', () => {
    gone = true;
  });
  // A chunk is given back once the socket has sent it (the write's callback, which comes after the chunk's bytes are
  // in the kernel), never on a failed write: the socket may still hold it.
  const sent = (chunk: Buffer) => (err?: Error | null) => {
    if (!err) report.reuse(chunk);
  };
  for await (const chunk of report.content()) {
    if (gone) return;
    if (!res.write(chunk, sent(chunk))) await drainedOrClosed(res);
    if (gone) return;
  }
  const { event } = await recordReport(deps.dataSource, header, report, deps.clock.now());
  res.addTrailers({
    'X-Patchgraph-Row-Count': String(report.rowCount),
    'X-Patchgraph-Content-SHA256': report.sha256,
    'X-Patchgraph-Report-Id': toGlobalId('AuditEvent', event.id),
  });
  res.end();
}
