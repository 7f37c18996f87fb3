/**
 * The auditor's page, server-rendered, no script: GET /reports shows the sign-in form or the report form;
 * POST /reports/session signs in with an API key (checked by the Authenticator, failures counted and rate-limited as
 * on /graphql); POST /reports/session/delete signs out; GET /reports/download checks the form and sends the browser on
 * to /reports/patch-history.<format>, which accepts the session cookie (report-routes.ts), or shows the report's
 * typed error on the page.
 */
import express, { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PatchHistoryAccess } from '../../access/patch-history';
import { TenantFinder } from '../../access/tenant.finder';
import { Authenticator } from '../../auth/authenticator';
import { KeyRefusedError } from '../../auth/api-keys';
import { roleMay } from '../../auth/permissions';
import { Principal } from '../../auth/principal';
import { PatchgraphError } from '../../errors';
import { toGlobalId } from '../../graphql/types/global-id';
import { clientAddress, RateLimitRefusal, RateLimits } from '../../server/rate-limit';
import { Clock } from '../../util/clock';
import { REPORT_FORMATS, ReportFormat } from '../formats/report-format';
import { HTTP_FIELDS, parseTextRequest, TextParams } from '../patch-history-request';
import { reportRoute } from '../report-routes';
import { FormValues, Notice, refusalPage, reportPage, signInPage, TenantChoice } from './page-views';
import { PAGE_CSS } from './page-style';
import { ReportSession, ReportSessions } from './report-sessions';
import { sentFromThisOrigin } from './same-site-form';
import { SESSION_COOKIE, SESSION_LIFETIME_MS, SESSION_PATH } from './session-cookie';

export interface ReportPageDeps {
  dataSource: DataSource;
  clock: Clock;
  authenticator: Authenticator;
  rateLimits: RateLimits;
  sessions: ReportSessions;
  logger: Logger;
}

/** Stricter than the server-wide policy: this page runs no script at all and loads only its style sheet. */
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const STATUS: Record<PatchgraphError['code'], number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, FORBIDDEN: 403, UNAUTHENTICATED: 401, CONFLICT: 409 };
/** The most tenants the form lists; a principal with more picks "All my tenants" or uses the API. */
const MAX_TENANTS = 1000;

/** A role may sign in here when the permission matrix lets it download the report in some format. */
export const mayReadReports = (role: Principal['role']) => REPORT_FORMATS.some((f) => roleMay(role, reportRoute(f)));

export function reportPageRoutes(deps: ReportPageDeps): Router {
  const router = Router();
  const page = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    // Under helmet's no-referrer, Chromium sends a form POST's Origin as "null"; same-origin lets the CSRF check
    // see this page's own origin and still tells other sites nothing.
    res.set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store', 'Referrer-Policy': 'same-origin' });
    fn(req, res).catch((err) => {
      if (err instanceof RateLimitRefusal) {
        res.setHeader('retry-after', String(err.retryAfterSeconds));
        sendHtml(res, err.status, refusalPage('Too many requests', { code: err.code, message: err.message }));
        return;
      }
      (req.log ?? deps.logger).error({ err }, 'auditor page failed');
      if (!res.headersSent) sendHtml(res, 500, refusalPage('Something went wrong', { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }));
    });
  };

  router.get('/reports/page.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'no-cache').send(PAGE_CSS);
  });
  router.get('/reports', page(async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    sendHtml(res, 200, await reportForm(session, defaultValues(deps.clock.now()), null));
  }));
  router.post('/reports/session', express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), page((req, res) => signIn(req, res)));
  router.post('/reports/session/delete', page(async (req, res) => {
    if (!sentFromThisOrigin(req)) return refuseCrossSite(res);
    clearSession(req, res);
    res.redirect(303, '/reports');
  }));
  router.get('/reports/download', page(async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    const values = formValues(req.query as Record<string, unknown>);
    const format = values.format as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) {
      sendHtml(res, 400, await reportForm(session, values, { code: 'BAD_USER_INPUT', message: 'format: choose CSV, JSON Lines or PDF' }));
      return;
    }
    const params = reportParams(values);
    try {
      const request = parseTextRequest(params, HTTP_FIELDS);
      await new PatchHistoryAccess(deps.dataSource, session.principal.scope, deps.clock).resolve(request, HTTP_FIELDS);
    } catch (err) {
      if (!(err instanceof PatchgraphError)) throw err;
      sendHtml(res, STATUS[err.code], await reportForm(session, values, { code: err.code, message: err.message }));
      return;
    }
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) for (const v of [value ?? []].flat()) query.append(name, v);
    res.redirect(303, `/reports/patch-history.${format}?${query}`);
  }));
  return router;

  async function signIn(req: Request, res: Response): Promise<void> {
    if (!sentFromThisOrigin(req)) return refuseCrossSite(res);
    const address = clientAddress(req);
    await deps.rateLimits.checkAddress(address);
    const body = req.body as Record<string, unknown> | undefined;
    const key = typeof body?.apiKey === 'string' ? body.apiKey.trim() : '';
    if (key === '') {
      sendHtml(res, 400, signInPage({ code: 'BAD_USER_INPUT', message: 'apiKey: paste your API key' }));
      return;
    }
    let principal: Principal;
    try {
      principal = await deps.authenticator.authenticate(`Bearer ${key}`);
    } catch (err) {
      if (!(err instanceof PatchgraphError)) throw err;
      await deps.rateLimits.authenticationFailed(address);
      const message = err instanceof KeyRefusedError ? err.message : 'The API key is unknown or revoked';
      sendHtml(res, 401, signInPage({ code: err.code, message }));
      return;
    }
    if (principal.kind !== 'api-key') {
      sendHtml(res, 401, signInPage({ code: 'UNAUTHENTICATED', message: 'Sign in here with an API key (pgk_…), not a token' }));
      return;
    }
    await deps.rateLimits.admitPrincipal(principal);
    if (!mayReadReports(principal.role)) {
      sendHtml(res, 403, signInPage({ code: 'FORBIDDEN', message: `Your role (${principal.role}) may not read reports` }));
      return;
    }
    const session = await deps.sessions.issue(principal);
    // Max-Age, not an Expires date from this server's clock: the browser counts the 8 hours by its own. The server
    // checks the expiry signed into the value either way.
    res.cookie(SESSION_COOKIE, session.value, {
      httpOnly: true, sameSite: 'strict', path: SESSION_PATH, secure: req.secure, maxAge: SESSION_LIFETIME_MS, encode: (v: string) => v,
    });
    res.redirect(303, '/reports');
  }

  /** The request's session, or null after answering with the sign-in form (and why, if a session was refused). */
  async function signedIn(req: Request, res: Response): Promise<ReportSession | null> {
    const address = clientAddress(req);
    await deps.rateLimits.checkAddress(address);
    const value = deps.sessions.cookieOf(req);
    if (value === undefined) {
      sendHtml(res, req.path === '/reports' ? 200 : 401, signInPage(req.path === '/reports' ? null : { code: 'UNAUTHENTICATED', message: 'Sign in first' }));
      return null;
    }
    let session: ReportSession;
    try {
      session = await deps.sessions.check(value);
    } catch (err) {
      if (!(err instanceof KeyRefusedError)) throw err;
      clearSession(req, res);
      await deps.rateLimits.authenticationFailed(address);
      sendHtml(res, 401, signInPage({ code: err.code, message: err.message }));
      return null;
    }
    await deps.rateLimits.admitPrincipal(session.principal);
    if (!mayReadReports(session.principal.role)) {
      clearSession(req, res);
      sendHtml(res, 403, signInPage({ code: 'FORBIDDEN', message: `Your role (${session.principal.role}) may not read reports` }));
      return null;
    }
    return session;
  }

  async function reportForm(session: ReportSession, values: FormValues, problem: Notice | null): Promise<string> {
    const finder = new TenantFinder({ dataSource: deps.dataSource, scope: session.principal.scope, limits: { defaultPageSize: MAX_TENANTS, maxPageSize: MAX_TENANTS } });
    const { rows } = await finder.page({}, { first: MAX_TENANTS });
    const tenants: TenantChoice[] = rows.map((t) => ({ id: toGlobalId('Tenant', t.id), name: t.name }));
    return reportPage({ principal: session.principal, expiresAt: session.expiresAt, tenants, values, problem });
  }
}

function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).type('text/html; charset=utf-8').send(body);
}

function refuseCrossSite(res: Response): void {
  sendHtml(res, 403, refusalPage('Refused', { code: 'FORBIDDEN', message: 'This form must be sent from the reports page of this server' }));
}

function clearSession(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: SESSION_PATH, secure: req.secure });
}

/** The first day of last month to the first day of this one, in UTC: last month's report. */
function defaultValues(now: Date): FormValues {
  const day = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  return { from: day(now.getUTCFullYear(), now.getUTCMonth() - 1), to: day(now.getUTCFullYear(), now.getUTCMonth()), format: 'csv' };
}

const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
const list = (v: unknown) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** The form's fields from the query string, for checking and for showing the form again as it was sent. */
function formValues(q: Record<string, unknown>): FormValues {
  return {
    tenant: text(q.tenant), from: text(q.from), to: text(q.to), knownAt: text(q.knownAt), format: text(q.format),
    kb: text(q.kb), cve: text(q.cve), policy: text(q.policy), severity: list(q.severity), transition: list(q.transition),
  };
}

/** The report's query parameters: an empty field means "not given" (an empty list would filter everything out). */
function reportParams(v: FormValues): TextParams {
  const params: TextParams = {};
  const set = (name: keyof TextParams, value: string | string[] | undefined) => {
    if (value === undefined) return;
    const kept = [value].flat().map((x) => x.trim()).filter((x) => x !== '');
    if (kept.length > 0) params[name] = Array.isArray(value) ? kept : kept[0];
  };
  set('tenant', v.tenant);
  set('from', v.from);
  set('to', v.to);
  set('knownAt', v.knownAt);
  set('kb', v.kb);
  set('cve', v.cve);
  set('severity', v.severity);
  set('transition', v.transition);
  set('policy', v.policy);
  return params;
}
