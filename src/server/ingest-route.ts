/**
 * POST /ingest/:instanceId — where a push source uploads a snapshot, for any connector kind whose definition has an
 * ingest hook (connectors/sdk/contract.ts, IngestHook). POST /ingest/wsus/:instanceId, where the WSUS collector
 * script posts, is the same route limited to WSUS instances, answering exactly as it always has.
 *
 * The credential is the instance's own ingest key (a secret setting), never an API key: a host can upload to its
 * instance and do nothing else. Every failure answers { error: { code, message } } with a status the sender can act
 * on, and leaves the graph as it was: the snapshot is checked in full before the sync engine applies it, all or
 * nothing. The kind decides only what its hook says: the key's setting, the media types, and how to read the body.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { createGunzip } from 'node:zlib';
import { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { connectorDefinition } from '../../connectors/registry';
import type { AcceptedUpload, ConnectorDefinition, IngestHook } from '../../connectors/sdk/contract';
import { UploadRejectedError } from '../../connectors/sdk/errors';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncRunStatus, SyncTrigger } from '../entities/enums';
import { decodeGlobalId, toGlobalId } from '../graphql/types/global-id';
import { SecretBox } from '../secrets/secret-box';
import { rawSettings } from '../sync/instance-config';
import { parseCounts } from '../sync/run-counts';
import { RunOptions, SyncEngine } from '../sync/sync-engine';
import { SyncInProgressError } from '../sync/sync-lock';
import { Clock } from '../util/clock';
import { ArrayCollectors, JsonLimitError, JsonSyntaxError, parseBoundedJson } from './bounded-json';
import { clientAddress, RateLimitRefusal, RateLimits } from './rate-limit';

export interface IngestLimits {
  /** Largest upload accepted, as sent (compressed). */
  maxUploadBytes: number;
  /** Largest snapshot accepted once decompressed: a small upload must not inflate into memory exhaustion. */
  maxSnapshotBytes: number;
  /** Deepest nesting of arrays and objects in a snapshot. */
  maxJsonDepth: number;
  /** Most JSON values and keys in a snapshot: what bounds the memory its parsed form takes. */
  maxJsonElements: number;
  /** Longest string (or number) in a snapshot, in characters. */
  maxJsonStringChars: number;
  /** How far past the server's clock a snapshot's generatedAt may be (collector clocks drift). */
  maxFutureSkewMs: number;
}

/** The setting behind each limit, named in its refusal so an operator knows what to raise. */
const LIMIT_SETTINGS = {
  maxBytes: 'PATCHGRAPH_INGEST_MAX_SNAPSHOT_MB',
  maxDepth: 'PATCHGRAPH_INGEST_MAX_JSON_DEPTH',
  maxElements: 'PATCHGRAPH_INGEST_MAX_JSON_ELEMENTS',
  maxStringChars: 'PATCHGRAPH_INGEST_MAX_JSON_STRING_CHARS',
};

export interface IngestDeps {
  dataSource: DataSource;
  secrets: SecretBox;
  sync: SyncEngine;
  logger?: Logger;
  limits: IngestLimits;
  /** The server's "now": a snapshot dated past it (plus the skew allowed) is refused. */
  clock: Clock;
  /** Uploads per instance, and wrong ingest keys per address (counted with the API's failed authentications). */
  rateLimits?: RateLimits;
}

class IngestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sameSecret = (given: string, expected: string): boolean => {
  // Hashing first makes the comparison constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
};

function instanceKey(param: string): string | null {
  if (/^[0-9a-f-]{36}$/i.test(param)) return param.toLowerCase();
  try {
    const decoded = decodeGlobalId(param, 'instanceId');
    return decoded.type === 'ConnectorInstance' ? decoded.key : null;
  } catch {
    return null;
  }
}

/** Which instances a route takes: any kind with an ingest hook, or (the WSUS alias) one kind only. */
interface RouteScope {
  /** The alias's kind: an instance of another kind answers like a wrong key, as the alias always has. */
  kind?: string;
  /** The alias never checked Content-Type, and the collectors in the field rely on nothing more. */
  checkMediaType: boolean;
}

interface Accepted {
  instance: ConnectorInstance;
  hook: IngestHook<any>;
}

async function authenticate(req: Request, deps: IngestDeps, scope: RouteScope): Promise<Accepted> {
  const unauthorized = new IngestError(401, 'UNAUTHENTICATED', 'the ingest key is missing or wrong for this instance');
  const key = instanceKey(String(req.params.instanceId));
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  // Unknown instance, another kind, or a wrong key all answer the same: the caller learns nothing about instances.
  const instance = key ? await deps.dataSource.getRepository(ConnectorInstance).findOneBy({ id: key }) : null;
  if (!instance || (scope.kind !== undefined && instance.kind !== scope.kind)) throw unauthorized;
  const definition: ConnectorDefinition<any> | undefined = connectorDefinition(instance.kind);
  const hook = definition?.ingest;
  if (!hook) {
    // Only the generic route gets here. Its ids are random UUIDs, so naming the kind tells a prober nothing it can
    // use; the refusal still counts as a failed authentication, so guessing ids stays throttled.
    throw new IngestError(404, 'INGEST_NOT_SUPPORTED', `connector kind "${instance.kind}" does not accept pushed snapshots; its instances sync by reading their source`);
  }
  if (!bearer) throw unauthorized;
  const expected = hook.ingestKey(rawSettings(instance, deps.secrets));
  if (typeof expected !== 'string' || !sameSecret(bearer, expected)) throw unauthorized;
  if (!instance.enabled) throw new IngestError(403, 'INSTANCE_DISABLED', `this ${hook.instanceNoun} instance is disabled; enable it to accept snapshots`);
  return { instance, hook };
}

/** A declared media type the hook does not list is refused before the body is read; none declared reads as JSON. */
function checkMediaType(req: Request, hook: IngestHook<any>): void {
  const declared = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (declared === '' || hook.contentTypes.some((t) => t.toLowerCase() === declared)) return;
  throw new IngestError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${declared} is not accepted here; send ${hook.contentTypes.join(' or ')}`);
}

/** Bytes of inflated text the parser is handed at a time. */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/**
 * The snapshot, decompressed and parsed as a stream under the limits: neither the inflated text nor an unbounded
 * value is ever built, so a gzip bomb or a pathological document is refused instead of exhausting the process.
 * The arrays the hook collects (IngestHook.collectArrays) never exist as arrays: a WSUS snapshot's rows are most of it.
 */
async function decode(body: Buffer, req: Request, limits: IngestLimits, collectors?: ArrayCollectors): Promise<unknown> {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new IngestError(400, 'MALFORMED_UPLOAD', 'the upload is empty; send the gzip-compressed snapshot as the body');
  const gzipped = body[0] === 0x1f && body[1] === 0x8b;
  if (!gzipped && /gzip/i.test(String(req.headers['content-encoding'] ?? ''))) throw new IngestError(400, 'MALFORMED_UPLOAD', 'Content-Encoding says gzip but the body is not gzip data');
  // The inflater's default 16 KB output chunk made a 30 MB snapshot about 2,000 turns of the async iterator, each a
  // round of promises; 256 KB chunks make it about 120 and still never hold the inflated text whole. The body is
  // already in memory, so it is written to the inflater at once instead of piped through a stream of its own.
  const gunzip = gzipped ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : null;
  gunzip?.end(body);
  const text: AsyncIterable<Buffer> | Iterable<Buffer> = gunzip ?? [body];
  try {
    return await parseBoundedJson(text, { maxBytes: limits.maxSnapshotBytes, maxDepth: limits.maxJsonDepth, maxElements: limits.maxJsonElements, maxStringChars: limits.maxJsonStringChars }, LIMIT_SETTINGS, collectors);
  } catch (err) {
    if (err instanceof JsonLimitError) throw new IngestError(err.code === 'SNAPSHOT_TOO_LARGE' ? 413 : 422, err.code, err.message);
    if (err instanceof JsonSyntaxError) throw new IngestError(400, 'MALFORMED_UPLOAD', `the snapshot is not JSON: ${err.message}`);
    const code = (err as { code?: string }).code;
    if (gunzip && typeof code === 'string' && code.startsWith('Z_')) {
      throw new IngestError(400, 'MALFORMED_UPLOAD', `the upload is not a complete gzip stream (${code === 'Z_BUF_ERROR' ? 'it ends early: truncated?' : 'corrupt data'})`);
    }
    throw err;
  } finally {
    // A refusal stops reading mid-stream: free the inflater's memory now rather than when it is collected.
    gunzip?.destroy();
  }
}

/** The last applied snapshot's time, from the instance's cursor: an older upload is refused before any work. */
function lastApplied(instance: ConnectorInstance): number | null {
  try {
    const at = (JSON.parse(instance.cursors ?? '{}') as { devices?: string }).devices;
    return at ? Date.parse(at) : null;
  } catch {
    return null;
  }
}

/** The hook's reading of the upload; a refusal it gives is the route's 422 with the hook's code. */
async function acceptUpload(hook: IngestHook<any>, parsed: unknown): Promise<AcceptedUpload> {
  let accepted: AcceptedUpload;
  try {
    accepted = await hook.accept(parsed);
  } catch (err) {
    if (err instanceof UploadRejectedError) throw new IngestError(422, err.code, err.message);
    throw err;
  }
  // Fail closed: a hook that returns no usable date must not slip past the skew and watermark checks.
  if (!(accepted?.generatedAt instanceof Date) || Number.isNaN(accepted.generatedAt.getTime())) throw new Error(`the ingest hook gave no valid generatedAt for this upload`);
  return accepted;
}

/**
 * The upload decoded, read by its kind's hook and dated: the options of the run that applies it. It returns before
 * the run starts, so that no frame of this route holds the parsed upload while it runs: the engine lets go of it
 * once it is read, and a 2,000 x 300 WSUS snapshot's parsed form would otherwise stay through the whole apply.
 */
async function pushedRun(req: Request, { instance, hook }: Accepted, body: Buffer, deps: IngestDeps): Promise<RunOptions> {
  const parsed = await decode(body, req, deps.limits, hook.collectArrays);
  const upload = await acceptUpload(hook, parsed);
  const generatedAt = upload.generatedAt.getTime();
  // A snapshot from the future would become the watermark and make every real one after it look stale.
  const latest = deps.clock.now().getTime() + deps.limits.maxFutureSkewMs;
  if (generatedAt > latest) {
    throw new IngestError(422, 'SNAPSHOT_FROM_THE_FUTURE', `this snapshot says it was generated at ${upload.generatedAt.toISOString()}, later than this server's time allows (${new Date(latest).toISOString()}, PATCHGRAPH_INGEST_MAX_FUTURE_SKEW_MINUTES); check the ${hook.host}'s clock`);
  }
  const applied = lastApplied(instance);
  if (applied !== null && generatedAt < applied) {
    throw new IngestError(409, 'STALE_SNAPSHOT', `this snapshot was generated at ${upload.generatedAt.toISOString()}, before the last one applied (${new Date(applied).toISOString()}); it was not applied`);
  }
  return { trigger: SyncTrigger.PUSH, triggeredBy: `${hook.sender} on ${upload.sentFrom}`, payload: upload.payload };
}

/** Runs the upload and answers. Not async: an async function's frame would keep `options`, and so the upload, until the run ends. */
function runPushed({ instance }: Accepted, options: RunOptions, res: Response, deps: IngestDeps): Promise<void> {
  return deps.sync.run(instance.id, options).then(
    (run) => answerRun(run, res),
    (err: unknown) => {
      if (err instanceof SyncInProgressError) throw new IngestError(409, 'SYNC_IN_PROGRESS', 'a sync of this instance is running; upload again when it has finished');
      throw err;
    },
  );
}

function answerRun(run: SyncRun, res: Response): void {
  const summary = { id: toGlobalId('SyncRun', run.id), status: run.status, mode: run.mode, counts: parseCounts(run), errorKind: run.errorKind, errorMessage: run.errorMessage };
  if (run.status === SyncRunStatus.SUCCEEDED) {
    res.status(200).json({ syncRun: summary });
    return;
  }
  const status = run.errorKind === 'malformed_response' ? 422 : run.errorKind === 'fatal' && /older than the last one applied/.test(run.errorMessage ?? '') ? 409 : 500;
  const code = status === 422 ? 'SCHEMA_VIOLATION' : status === 409 ? 'STALE_SNAPSHOT' : 'SYNC_FAILED';
  res.status(status).json({ error: { code, message: run.errorMessage ?? 'the snapshot could not be applied' }, syncRun: summary });
}

/**
 * Both routes: the generic one for every kind with an ingest hook, and the WSUS collector's, kept as it was (a public
 * interface: collectors in the field post to it). One handler serves both.
 */
export function ingestRouter(deps: IngestDeps): Router {
  const router = Router();
  router.post('/ingest/wsus/:instanceId', ingestHandler(deps, { kind: 'wsus', checkMediaType: false }));
  router.post('/ingest/:instanceId', ingestHandler(deps, { checkMediaType: true }));
  return router;
}

function ingestHandler(deps: IngestDeps, scope: RouteScope): (req: Request, res: Response) => void {
  return (req, res) => {
    const refuse = (err: unknown) => {
      if (err instanceof RateLimitRefusal) {
        // This endpoint's own error shape, which the collector reads; Retry-After as on /graphql.
        res.setHeader('retry-after', String(err.retryAfterSeconds));
        res.status(err.status).json({ error: { code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds } });
        return;
      }
      if (err instanceof IngestError) {
        res.status(err.status).json({ error: { code: err.code, message: err.message } });
        return;
      }
      deps.logger?.error({ err }, 'ingest failed');
      res.status(500).json({ error: { code: 'INTERNAL', message: 'the snapshot could not be processed; the server log has the details' } });
    };
    // The key is checked from the headers before any byte of the body is read: a caller without it costs the
    // server neither memory nor the time to receive what it sends.
    const limits = deps.rateLimits;
    const address = clientAddress(req);
    let keyAccepted = false;
    Promise.resolve(limits?.checkAddress(address))
      .then(() =>
        authenticate(req, deps, scope).catch(async (err: unknown) => {
          if (err instanceof IngestError && (err.status === 401 || err.code === 'INGEST_NOT_SUPPORTED')) await limits?.authenticationFailed(address);
          throw err;
        }),
      )
      .then(async (accepted) => {
        keyAccepted = true;
        const { instance } = accepted;
        // Counted once the key is accepted: anyone else's uploads must not use up the collector's budget.
        await limits?.admitIngest(instance.id);
        if (scope.checkMediaType) checkMediaType(req, accepted.hook);
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > deps.limits.maxUploadBytes) throw uploadTooLarge(deps.limits.maxUploadBytes);
        return readBody(req, deps.limits.maxUploadBytes)
          .then((body) => pushedRun(req, accepted, body, deps))
          .then((options) => runPushed(accepted, options, res, deps));
      })
      .catch((err: unknown) => {
        // The holder of the key is answered and its rest read off the wire; anyone else is cut off.
        if (!req.complete) (keyAccepted ? discardAfterAnswer(res) : closeUnread(res));
        refuse(err);
      });
  };
}

/** How much of a refused upload's rest is read and discarded after the answer, at most. */
const DISCARD_MAX_BYTES = 128 * 1_048_576;
/** And for how long, at most. */
const DISCARD_MAX_MS = 30_000;

/**
 * Answers the key's holder (an upload too large, a bad envelope, a rate limit) at once and lets Node read the rest
 * of its body off the wire and discard it, the connection kept as for any answered request. Closed instead, the
 * connection was reset while the collector was still sending, and a reset makes the client's system discard the
 * answer before a client that reads only once it has sent everything (.NET's HttpClient, the collector's) reads it:
 * a 65 MB upload sent on a busy machine got a reset, not 413. Bounded: a client still sending past
 * DISCARD_MAX_BYTES or DISCARD_MAX_MS is cut off.
 */
function discardAfterAnswer(res: Response): void {
  const req = res.req;
  res.once('finish', () => {
    if (req.complete) return;
    let discarded = 0;
    const cutOff = () => req.socket?.destroy();
    const timer = setTimeout(cutOff, DISCARD_MAX_MS).unref();
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_MAX_BYTES) cutOff();
    });
    req.once('close', () => clearTimeout(timer));
  });
}

/** How long a refused upload's connection stays half-open after the answer, for the client to read it. */
const LINGER_MS = 2_000;

/**
 * For a caller without the key: answers without waiting for the rest of the body, then closes the connection instead
 * of keeping it for another request (which would mean reading the body to its end). Closing at once would reset the
 * connection while the client is still sending, and a reset can destroy the answer before the client reads it; so
 * the server's side is closed first and the socket destroyed shortly after (a "lingering close", as web servers do),
 * whatever the client still sends in between being discarded, never kept.
 */
function closeUnread(res: Response): void {
  res.setHeader('Connection', 'close');
  const socket = res.req.socket as Socket & { destroySoon?: () => void };
  // Node ends a `Connection: close` response with socket.destroySoon(): end our side, destroy once flushed.
  socket.destroySoon = function lingeringClose(this: Socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

const uploadTooLarge = (limit: number) =>
  new IngestError(413, 'UPLOAD_TOO_LARGE', `the upload is larger than ${Math.round(limit / 1048576)} MB (PATCHGRAPH_INGEST_MAX_UPLOAD_MB)`);

/**
 * The body as sent, compressed or not: decompression is decode's, under its own limit. Reading stops at `limit`
 * so an oversized upload never sits in memory whole.
 */
function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        reject(uploadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => refused || resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
