/**
 * GET /reports/evidence-pack.zip?tenant=…&policy=…&date=…[&from=…][&knownAt=…]: the evidence pack over HTTP, with the
 * same API keys (or OIDC tokens), rate limits, permission matrix, tenant scope and error bodies as the patch history
 * routes (report-routes.ts). A pack is one tenant's, built whole before its first byte is sent, so it is recorded
 * first and its SHA-256 and the id of its report.generated audit event travel as headers, not trailers.
 */
import { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Authenticator } from '../../auth/authenticator';
import { roleMay } from '../../auth/permissions';
import { Principal } from '../../auth/principal';
import { PatchgraphError } from '../../errors';
import { toGlobalId } from '../../graphql/types/global-id';
import { errorBody } from '../../server/http-errors';
import { clientAddress, RateLimitRefusal, RateLimits, sendRefusal } from '../../server/rate-limit';
import { Clock } from '../../util/clock';
import { buildEvidencePack, EvidencePack, packFileName, recordEvidencePack } from './evidence-pack';
import { PACK_HTTP_FIELDS, PackParams, resolvePackRequest } from './request';

export interface EvidencePackRouteDeps {
  dataSource: DataSource;
  clock: Clock;
  authenticator: Authenticator;
  rateLimits: RateLimits;
  logger: Logger;
}

/** The route's key in the permission matrix. */
export const EVIDENCE_PACK_ROUTE = 'GET /reports/evidence-pack.zip';

const STATUS: Partial<Record<PatchgraphError['code'], number>> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, FORBIDDEN: 403, UNAUTHENTICATED: 401, CONFLICT: 409 };
const headerValue = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text));

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

/** As the patch history routes authenticate: address limit, then the key, then the principal's limit. */
async function authenticate(req: Request, res: Response, deps: EvidencePackRouteDeps): Promise<Principal | null> {
  try {
    await deps.rateLimits.checkAddress(clientAddress(req));
    try {
      const principal = await deps.authenticator.authenticate(req.headers.authorization);
      await deps.rateLimits.admitPrincipal(principal);
      return principal;
    } catch (err) {
      if (!(err instanceof PatchgraphError)) throw err;
      await deps.rateLimits.authenticationFailed(clientAddress(req));
      res.setHeader('www-authenticate', 'Bearer');
      res.status(401).json(errorBody(err.code, err.message));
      return null;
    }
  } catch (err) {
    if (err instanceof RateLimitRefusal) {
      sendRefusal(res, err);
      return null;
    }
    throw err;
  }
}

async function serveEvidencePack(req: Request, res: Response, deps: EvidencePackRouteDeps): Promise<void> {
  const principal = await authenticate(req, res, deps);
  if (!principal) return;
  if (!roleMay(principal.role, EVIDENCE_PACK_ROUTE)) {
    res.status(403).json(errorBody('FORBIDDEN', `Your role (${principal.role}) may not use ${EVIDENCE_PACK_ROUTE}`));
    return;
  }
  let pack: EvidencePack;
  const generatedAt = deps.clock.now();
  try {
    const ask = await resolvePackRequest(deps.dataSource, principal.scope, deps.clock, req.query as PackParams, PACK_HTTP_FIELDS);
    pack = await buildEvidencePack(deps.dataSource, ask, principal.label);
  } catch (err) {
    if (!(err instanceof PatchgraphError)) throw err;
    res.status(STATUS[err.code] ?? 400).json(errorBody(err.code, err.message, err.extensions()));
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
