/**
 * What the report downloads (report-routes.ts, evidence-pack/routes.ts) and the auditor's page share over HTTP: one
 * way to authenticate a download, one HTTP status per typed error, one way to put a name into a header.
 */
import { Request, Response } from 'express';
import { Authenticator } from '../auth/authenticator';
import { Principal } from '../auth/principal';
import { roleMay } from '../auth/permissions';
import { ForbiddenError, PatchgraphError } from '../errors';
import { errorBody } from '../server/http-errors';
import { clientAddress, RateLimitRefusal, RateLimits, sendRefusal } from '../server/rate-limit';

export interface DownloadAuthDeps {
  authenticator: Authenticator;
  rateLimits: RateLimits;
  /** The auditor's page sessions (reports/page/): a request without an Authorization header may send its cookie. */
  sessions?: { principalFromCookie(req: Request): Promise<Principal | null> };
}

/** A typed error that asks for its own HTTP status (a report past its size limit is 413, not the caller's 400). */
export interface HttpStatusOverride {
  readonly httpStatus: number;
}

const STATUS: Record<PatchgraphError['code'], number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, FORBIDDEN: 403, UNAUTHENTICATED: 401, CONFLICT: 409 };

export function httpStatusOf(err: PatchgraphError): number {
  const own = (err as Partial<HttpStatusOverride>).httpStatus;
  return typeof own === 'number' ? own : STATUS[err.code];
}

/** The refusal of a route the principal's role may not use by the permission matrix; null when it may. */
export function roleRefusal(principal: Principal, route: string): ForbiddenError | null {
  return roleMay(principal.role, route) ? null : new ForbiddenError(`Your role (${principal.role}) may not use ${route}`);
}

/** Answers a typed error as the JSON error body, with its status. */
export function sendTypedError(res: Response, err: PatchgraphError): void {
  res.status(httpStatusOf(err)).json(errorBody(err.code, err.message, err.extensions()));
}

/** A header value: printable ASCII as it is, anything else percent-encoded (a key named in another script, say). */
export const headerValue = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text));

/**
 * The principal of a download, or null after answering: the address's rate limit, then the page's session cookie
 * (only when no Authorization header was sent) or the key or token, then the principal's limit. A refused credential
 * is counted with the other authentication failures and answered 401 with www-authenticate.
 */
export async function authenticateDownload(req: Request, res: Response, deps: DownloadAuthDeps): Promise<Principal | null> {
  try {
    await deps.rateLimits.checkAddress(clientAddress(req));
    try {
      const principal = (await deps.sessions?.principalFromCookie(req)) ?? (await deps.authenticator.authenticate(req.headers.authorization));
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
