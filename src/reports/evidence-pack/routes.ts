/**
 * GET /reports/evidence-pack.zip?tenant=…&policy=…&date=…[&from=…][&knownAt=…]: the evidence pack over HTTP, with the
 * same API keys (or OIDC tokens), auditor's page session cookie, rate limits, permission matrix, tenant scope and error
 * bodies as the patch history routes (report-routes.ts, through report-http.ts). A pack is one tenant's, built whole
 * before its first byte is sent, so it is recorded first and its SHA-256 and the id of its report.generated audit
 * event travel as headers, not trailers. A pack past the size limit is refused with 413 REPORT_TOO_LARGE while it is
 * gathered (pack-limit.ts), and nothing is recorded.
 */
import { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PatchgraphError } from '../../errors';
import { toGlobalId } from '../../graphql/types/global-id';
import { errorBody } from '../../server/http-errors';
import { Clock } from '../../util/clock';
import { authenticateDownload, DownloadAuthDeps, headerValue, roleRefusal, sendTypedError } from '../report-http';
import { buildEvidencePack, EvidencePack, packFileName, recordEvidencePack } from './evidence-pack';
import { PACK_HTTP_FIELDS, PackParams, resolvePackRequest } from './request';

export interface EvidencePackRouteDeps extends DownloadAuthDeps {
  dataSource: DataSource;
  clock: Clock;
  logger: Logger;
  /** The pack's size limit in rows (config evidencePackMaxRows). */
  maxRows: number;
}

/** The route's key in the permission matrix. */
export const EVIDENCE_PACK_ROUTE = 'GET /reports/evidence-pack.zip';

export function evidencePackRoutes(deps: EvidencePackRouteDeps): Router {
  const router = Router();
  router.get('/reports/evidence-pack.zip', (req, res) => {
    serveEvidencePack(req, res, deps).catch((err) => {
      (req.log ?? deps.logger).error({ err }, 'evidence pack failed');
      if (res.headersSent) res.destroy();
      else res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
    });
  });
  return router;
}

async function serveEvidencePack(req: Request, res: Response, deps: EvidencePackRouteDeps): Promise<void> {
  const principal = await authenticateDownload(req, res, deps);
  if (!principal) return;
  const refused = roleRefusal(principal, EVIDENCE_PACK_ROUTE);
  if (refused) {
    sendTypedError(res, refused);
    return;
  }
  let pack: EvidencePack;
  const generatedAt = deps.clock.now();
  try {
    const ask = await resolvePackRequest(deps.dataSource, principal.scope, deps.clock, req.query as PackParams, PACK_HTTP_FIELDS);
    pack = await buildEvidencePack(deps.dataSource, ask, principal.label, deps.maxRows);
  } catch (err) {
    if (!(err instanceof PatchgraphError)) throw err;
    sendTypedError(res, err);
    return;
  }
  const { event } = await recordEvidencePack(deps.dataSource, pack, generatedAt, deps.clock.now());
  const { ask } = pack;
  res.status(200).set({
    'Content-Type': 'application/zip',
    'Content-Disposition': `attachment; filename="${packFileName(ask)}"`,
    'Cache-Control': 'no-store',
    'X-Patchgraph-Report': 'evidence-pack',
    'X-Patchgraph-Generated-At': generatedAt.toISOString(),
    'X-Patchgraph-Generated-By': headerValue(principal.label),
    'X-Patchgraph-Known-At': ask.knownAt.toISOString(),
    'X-Patchgraph-As-Of': ask.asOf.toISOString(),
    'X-Patchgraph-Policy-Version': `${ask.policy.key}:${ask.policy.version}`,
    'X-Patchgraph-Content-SHA256': pack.sha256,
    'X-Patchgraph-Report-Id': toGlobalId('AuditEvent', event.id),
  });
  res.end(pack.bytes);
}
