/**
 * A vendor's API on 127.0.0.1:0 from a route table: node:http and a tiny path matcher, because a simulator needs
 * exact control of every status, header and byte it sends (a framework's own 404s, 415s and body parsers would put
 * answers on the wire the vendor never gives). Handlers are synchronous: a simulator's data lives in memory.
 */
import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimRequest {
  method: string;
  /** Path and query as sent (what a simulator's `requests()` reports). */
  url: string;
  /** The path as sent, still percent-encoded. */
  path: string;
  /** The query string as sent, with its "?" ("" when none): for vendors that read it their own way (OData's "+"). */
  search: string;
  query: URLSearchParams;
  /** The path pattern's `:name` segments (decoded) or the RegExp's named groups. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The body as text ("" when none). */
  body: string;
  /** The body read as an HTML form (application/x-www-form-urlencoded). */
  form(): URLSearchParams;
  /** The body as JSON; throws on a body that is not JSON. */
  json(): unknown;
  /** The client's address, for limits kept per caller. */
  remoteAddress: string;
  /** http://127.0.0.1:PORT, for the absolute links (next pages, token URLs) a vendor puts in its answers. */
  origin: string;
}

export interface SimResponse {
  status: number;
  /** A string is sent as it is (a malformed page); anything else as JSON; undefined sends no body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: SimRequest) => SimResponse;
/** Runs around a handler: answer by itself (a 401, a fault) or call `next()` and change or pass on its answer. */
export type Middleware = (req: SimRequest, next: () => SimResponse) => SimResponse;

export interface Route {
  /** An HTTP method, a list of them, or '*' for any. */
  method: string | readonly string[];
  /**
   * '/v2/devices/:id' (each `:name` is one path segment, given decoded in `params`), or a RegExp matched against
   * the whole path (its named groups become `params`, as sent).
   */
  path: string | RegExp;
  handle: Handler;
}

/** `middleware` around `handler`, the first one outermost. */
export function compose(middleware: readonly Middleware[], handler: Handler): Handler {
  return middleware.reduceRight<Handler>((next, step) => (req) => step(req, () => next(req)), handler);
}

/** The first route matching the request's method and path answers; `fallback` answers when none does. */
export function router(routes: readonly Route[], fallback: Handler, options: { decodePath?: boolean; ignoreCase?: boolean } = {}): Handler {
  const compiled = routes.map((route) => ({ route, pattern: compilePath(route.path, options.ignoreCase ?? false) }));
  return (req) => {
    const path = options.decodePath ? safeDecode(req.path) : req.path;
    for (const { route, pattern } of compiled) {
      if (!methodMatches(route.method, req.method)) continue;
      const m = pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(m.groups ?? {})) {
        if (value !== undefined) params[name] = typeof route.path === 'string' ? safeDecode(value) : value;
      }
      return route.handle({ ...req, params });
    }
    return fallback(req);
  };
}

export interface VendorSimulatorOptions {
  routes: readonly Route[];
  /** Answers a request no route matches; default 404 `{ error: 'not_found' }`. */
  fallback?: Handler;
  /** Runs around every request, matched or not: headers the vendor puts on every answer, ids, a block list. */
  around?: readonly Middleware[];
  /** Match routes against the decoded path (OData's managedDevices('id') sent as %27id%27); default false. */
  decodePath?: boolean;
  /** Match routes ignoring case, as IIS and Graph do; default false. */
  ignoreCase?: boolean;
  /** Content-Type of answers that set none; default 'application/json'. */
  contentType?: string;
  /** Answers a handler that threw; default 500 `{ error: 'internal', message }`. */
  onError?: (req: SimRequest, error: unknown) => SimResponse;
}

export interface VendorSimulatorServer {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  close(): Promise<void>;
}

const notFound: Handler = (req) => ({ status: 404, body: { error: 'not_found', message: `No route for ${req.method} ${req.path}` } });
const internalError = (_req: SimRequest, error: unknown): SimResponse => ({ status: 500, body: { error: 'internal', message: (error as Error)?.message ?? String(error) } });

export async function startVendorSimulator(options: VendorSimulatorOptions): Promise<VendorSimulatorServer> {
  const contentType = options.contentType ?? 'application/json';
  const onError = options.onError ?? internalError;
  const handle = compose(options.around ?? [], router(options.routes, options.fallback ?? notFound, options));
  let origin = '';

  const server = createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const url = incoming.url ?? '/';
      const q = url.indexOf('?');
      const body = Buffer.concat(chunks).toString();
      const req: SimRequest = {
        method: incoming.method ?? 'GET',
        url,
        path: q < 0 ? url : url.slice(0, q),
        search: q < 0 ? '' : url.slice(q),
        query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        params: {},
        headers: incoming.headers,
        body,
        form: () => new URLSearchParams(body),
        json: () => JSON.parse(body) as unknown,
        remoteAddress: incoming.socket.remoteAddress ?? 'unknown',
        origin,
      };
      let answer: SimResponse;
      try {
        answer = handle(req);
      } catch (error) {
        answer = onError(req, error);
      }
      const headers: Record<string, string> = { 'content-type': contentType };
      for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
      const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, headers).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function methodMatches(wanted: string | readonly string[], method: string): boolean {
  if (wanted === '*') return true;
  return typeof wanted === 'string' ? wanted.toUpperCase() === method : wanted.some((m) => m.toUpperCase() === method);
}

function compilePath(path: string | RegExp, ignoreCase: boolean): RegExp {
  if (path instanceof RegExp) return ignoreCase && !path.flags.includes('i') ? new RegExp(path.source, `${path.flags}i`) : path;
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? `(?<${segment.slice(1)}>[^/]+)` : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}

/** A path segment as sent when it is not valid percent-encoding, as servers that tolerate it do. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
