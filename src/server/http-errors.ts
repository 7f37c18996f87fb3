import { ErrorRequestHandler, RequestHandler } from 'express';
import { Logger } from 'pino';

/**
 * Every error patchgraph answers over HTTP has the GraphQL error shape, on /graphql and elsewhere, so a client
 * parses one shape: `{"errors":[{"message":"…","extensions":{"code":"…"}}]}`.
 */
export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

/**
 * body-parser's errors, by their `type`. Their own messages are not passed on or logged: a JSON syntax error's
 * message quotes the body around the fault, and the error object carries the whole raw body (a mutation's
 * clientSecret, say).
 */
const BODY_REFUSALS: Record<string, (err: { limit?: number }) => Refusal> = {
  'entity.parse.failed': () => ({ status: 400, code: 'BAD_REQUEST', message: 'The request body is not valid JSON' }),
  'entity.verify.failed': () => ({ status: 400, code: 'BAD_REQUEST', message: 'The request body was refused' }),
  'entity.too.large': (err) => ({
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: `The request body is larger than ${typeof err.limit === 'number' ? `${err.limit} bytes` : 'the limit'}`,
  }),
  'encoding.unsupported': () => ({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The Content-Encoding of the request body is not supported' }),
  'charset.unsupported': () => ({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The charset of the request body is not supported; send UTF-8' }),
  'request.aborted': () => ({ status: 400, code: 'BAD_REQUEST', message: 'The request body was not received completely' }),
  'request.size.invalid': () => ({ status: 400, code: 'BAD_REQUEST', message: 'The request body does not match its Content-Length' }),
};

/** POST /graphql takes JSON only; anything else would reach Apollo without a parsed body. */
export function requireJsonPost(): RequestHandler {
  return (req, res, next) => {
    // Apollo answers other methods with 405 but the code BAD_REQUEST; the README promises METHOD_NOT_ALLOWED.
    if (req.method !== 'POST' && req.method !== 'GET') {
      methodNotAllowed('GET, POST')(req, res, next);
      return;
    }
    if (req.method === 'POST' && !req.is('application/json')) {
      res.status(415).json(errorBody('UNSUPPORTED_MEDIA_TYPE', 'Send the GraphQL request as JSON with Content-Type: application/json'));
      return;
    }
    // body-parser decodes any utf-* charset, so a UTF-16 body used to fail as malformed JSON (400) instead.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (req.method === 'POST' && charset !== undefined && charset !== 'utf-8') {
      res.status(415).json(errorBody('UNSUPPORTED_MEDIA_TYPE', 'The charset of the request body is not supported; send UTF-8'));
      return;
    }
    // Apollo's Express integration answers a plain-text 500 when no body parser ran (a GET): a GET has no body.
    if (!('body' in req)) (req as { body?: unknown }).body = undefined;
    next();
  };
}

/** A known path asked with a method it does not serve. */
export function methodNotAllowed(allowed: string): RequestHandler {
  return (req, res) => {
    res.setHeader('allow', allowed);
    res.status(405).json(errorBody('METHOD_NOT_ALLOWED', `${req.method} is not supported here; use ${allowed}`));
  };
}

export function notFound(): RequestHandler {
  return (_req, res) => {
    res.status(404).json(errorBody('NOT_FOUND', 'No such route; the API is at POST /graphql'));
  };
}

/**
 * Replaces Express's default error handler, which answers HTML with a stack trace and absolute paths (unless
 * NODE_ENV=production) and prints the error, raw body included, to stderr.
 */
export function jsonErrorHandler(logger: Logger, options: { development: boolean }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bodyRefusal = typeof err?.type === 'string' ? BODY_REFUSALS[err.type] : undefined;
    const refusal: Refusal | undefined = bodyRefusal
      ? bodyRefusal(err)
      : typeof err?.status === 'number' && err.status >= 400 && err.status < 500
        ? { status: err.status, code: 'BAD_REQUEST', message: 'The request could not be understood' }
        : undefined;
    if (res.headersSent) {
      // Half an answer is out: the only honest end is to cut the connection.
      logger.error({ err: describe(err), url: req.path }, 'error after the response started; connection closed');
      req.socket.destroy();
      return;
    }
    if (refusal) {
      (req.log ?? logger).info({ refused: refusal.code, type: err?.type, status: refusal.status }, 'request refused');
      res.status(refusal.status).json(errorBody(refusal.code, refusal.message));
      return;
    }
    (req.log ?? logger).error({ err: describe(err) }, 'unexpected error while handling a request');
    const message = options.development && err instanceof Error ? err.message : 'Internal server error';
    res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', message));
  };
}

/** What is worth logging of an unexpected error: never its attached request data (body-parser's `body`, say). */
function describe(err: unknown) {
  if (!(err instanceof Error)) return { message: String(err) };
  return { type: err.name, message: err.message, stack: err.stack };
}
