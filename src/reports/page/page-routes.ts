/**
 * The auditor's page, server-rendered, no script: GET /reports shows the sign-in form or the report form;
 * POST /reports/session signs in with an API key (checked by the Authenticator, failures counted and rate-limited as
 * on /graphql); POST /reports/session/delete signs out; GET /reports/download checks the form and sends the browser on
 * to /reports/patch-history.<format>, which accepts the session cookie (report-routes.ts), or shows the report's
 * typed error on the page; GET /reports/download-pack does the same for the evidence pack form (shown to the roles
 * that may download packs), checked by resolvePackRequest and sent on to /reports/evidence-pack.zip.
 */
import express, { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PatchHistoryAccess } from '../../access/patch-history';
import { PolicyVersions } from '../../access/policy-versions';
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
import { PACK_HTTP_FIELDS, PackParams, resolvePackRequest } from '../evidence-pack/request';
import { EVIDENCE_PACK_ROUTE } from '../evidence-pack/routes';
import { httpStatusOf, roleRefusal } from '../report-http';
import { reportRoute } from '../report-routes';
import { FormValues, Notice, PackFormValues, refusalPage, reportPage, signInPage, TenantChoice } from './page-views';
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
    sendHtml(res, 200, await reportForm(session, {}));
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
      sendHtml(res, 400, await reportForm(session, { values, problem: { code: 'BAD_USER_INPUT', message: 'format: choose CSV, JSON Lines or PDF' } }));
      return;
    }
    const params = reportParams(values);
    try {
      const request = parseTextRequest(params, HTTP_FIELDS);
      await new PatchHistoryAccess(deps.dataSource, session.principal.scope, deps.clock).resolve(request, HTTP_FIELDS);
    } catch (err) {
      if (!(err instanceof PatchgraphError)) throw err;
      sendHtml(res, httpStatusOf(err), await reportForm(session, { values, problem: { code: err.code, message: err.message } }));
      return;
    }
    res.redirect(303, `/reports/patch-history.${format}?${queryOf(params)}`);
  }));
  router.get('/reports/download-pack', page(async (req, res) => {
    const session = await signedIn(req, res);
    if (!session) return;
    const { principal } = session;
    const refused = roleRefusal(principal, EVIDENCE_PACK_ROUTE);
    if (refused) {
      sendHtml(res, httpStatusOf(refused), refusalPage('Refused', { code: refused.code, message: refused.message }));
      return;
    }
    const values = packValues(req.query as Record<string, unknown>);
    const params = presentParams(values) as PackParams;
    try {
      await resolvePackRequest(deps.dataSource, principal.scope, deps.clock, params, PACK_HTTP_FIELDS);
    } catch (err) {
      if (!(err instanceof PatchgraphError)) throw err;
      sendHtml(res, httpStatusOf(err), await reportForm(session, { packValues: values, packProblem: { code: err.code, message: err.message } }));
      return;
    }
    res.redirect(303, `/reports/evidence-pack.zip?${queryOf(params)}`);
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

  /** The signed-in page: each form as it was sent with its problem, or with its defaults. */
  async function reportForm(
    session: ReportSession,
    shown: { values?: FormValues; problem?: Notice; packValues?: PackFormValues; packProblem?: Notice },
  ): Promise<string> {
    const { principal } = session;
    const now = deps.clock.now();
    const finder = new TenantFinder({ dataSource: deps.dataSource, scope: principal.scope, limits: { defaultPageSize: MAX_TENANTS, maxPageSize: MAX_TENANTS } });
    const { rows } = await finder.page({}, { first: MAX_TENANTS });
    const tenants: TenantChoice[] = rows.map((t) => ({ id: toGlobalId('Tenant', t.id), name: t.name }));
    // Every principal may read every policy (policy-versions.ts): the pack's choice is the presets and the custom ones.
    const pack = roleMay(principal.role, EVIDENCE_PACK_ROUTE)
      ? {
        policies: (await new PolicyVersions(deps.dataSource).list()).map((v) => ({ key: v.key, name: v.definition.name, builtIn: v.builtIn })),
        values: shown.packValues ?? { date: now.toISOString().slice(0, 10) },
        problem: shown.packProblem ?? null,
      }
      : null;
    return reportPage({ principal, expiresAt: session.expiresAt, tenants, values: shown.values ?? defaultValues(now), problem: shown.problem ?? null, pack });
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

/** The evidence pack form's fields from the query string. */
function packValues(q: Record<string, unknown>): PackFormValues {
  return { tenant: text(q.tenant), policy: text(q.policy), date: text(q.date), from: text(q.from), knownAt: text(q.knownAt) };
}

const REPORT_PARAMS = ['tenant', 'from', 'to', 'knownAt', 'kb', 'cve', 'severity', 'transition', 'policy'] as const;

/** A form's query parameters: an empty field means "not given" (an empty list would filter everything out). */
function presentParams(v: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(v)) {
    if (value === undefined) continue;
    const kept = [value].flat().map((x) => x.trim()).filter((x) => x !== '');
    if (kept.length > 0) params[name] = Array.isArray(value) ? kept : kept[0];
  }
  return params;
}

/** The patch history report's parameters, in the order its address has always had them. */
function reportParams(v: FormValues): TextParams {
  const present = presentParams(v);
  return Object.fromEntries(REPORT_PARAMS.filter((n) => n in present).map((n) => [n, present[n]])) as TextParams;
}

function queryOf(params: Record<string, string | string[] | undefined>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value ?? []].flat()) query.append(name, v);
  return query;
}
