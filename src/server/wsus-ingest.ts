/**
 * POST /ingest/wsus/:instanceId — where the WSUS collector uploads a snapshot. The credential is the instance's
 * own ingest key (a secret setting), never an API key: a WSUS host can upload to its instance and do nothing else.
 * Every failure answers { error: { code, message } } with a status the collector can act on, and leaves the graph
 * as it was: the snapshot is checked in full before the sync engine applies it, all or nothing.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { checkEnvelope, EnvelopeError } from '../../connectors/wsus';
import { ConnectorInstance } from '../entities';
import { SyncRunStatus, SyncTrigger } from '../entities/enums';
import { decodeGlobalId, toGlobalId } from '../graphql/types/global-id';
import { SecretBox } from '../secrets/secret-box';
import { rawSettings } from '../sync/instance-config';
import { parseCounts, SyncEngine } from '../sync/sync-engine';
import { SyncInProgressError } from '../sync/sync-lock';

const gunzipAsync = promisify(gunzip);

export interface IngestLimits {
  /** Largest upload accepted, as sent (compressed). */
  maxUploadBytes: number;
  /** Largest snapshot accepted once decompressed: a small upload must not inflate into memory exhaustion. */
  maxSnapshotBytes: number;
}

export interface IngestDeps {
  dataSource: DataSource;
  secrets: SecretBox;
  sync: SyncEngine;
  logger?: Logger;
  limits: IngestLimits;
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

async function authenticate(req: Request, deps: IngestDeps): Promise<ConnectorInstance> {
  const unauthorized = new IngestError(401, 'UNAUTHENTICATED', 'the ingest key is missing or wrong for this instance');
  const key = instanceKey(String(req.params.instanceId));
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  // Unknown instance, another kind, or a wrong key all answer the same: the caller learns nothing about instances.
  const instance = key ? await deps.dataSource.getRepository(ConnectorInstance).findOneBy({ id: key }) : null;
  if (!instance || instance.kind !== 'wsus' || !bearer) throw unauthorized;
  const settings = rawSettings(instance, deps.secrets);
  if ((settings.source ?? 'collector') !== 'collector' || typeof settings.ingestKey !== 'string' || !sameSecret(bearer, settings.ingestKey)) throw unauthorized;
  if (!instance.enabled) throw new IngestError(403, 'INSTANCE_DISABLED', 'this WSUS instance is disabled; enable it to accept snapshots');
  return instance;
}

async function decode(body: Buffer, req: Request, limits: IngestLimits): Promise<unknown> {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new IngestError(400, 'MALFORMED_UPLOAD', 'the upload is empty; send the gzip-compressed snapshot as the body');
  const gzipped = body[0] === 0x1f && body[1] === 0x8b;
  if (!gzipped && /gzip/i.test(String(req.headers['content-encoding'] ?? ''))) throw new IngestError(400, 'MALFORMED_UPLOAD', 'Content-Encoding says gzip but the body is not gzip data');
  let text: Buffer = body;
  if (gzipped) {
    try {
      text = await gunzipAsync(body, { maxOutputLength: limits.maxSnapshotBytes });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        throw new IngestError(413, 'SNAPSHOT_TOO_LARGE', `the snapshot is larger than ${Math.round(limits.maxSnapshotBytes / 1048576)} MB uncompressed (PATCHGRAPH_INGEST_MAX_SNAPSHOT_MB)`);
      }
      throw new IngestError(400, 'MALFORMED_UPLOAD', `the upload is not a complete gzip stream (${code === 'Z_BUF_ERROR' ? 'it ends early: truncated?' : 'corrupt data'})`);
    }
  } else if (text.length > limits.maxSnapshotBytes) {
    throw new IngestError(413, 'SNAPSHOT_TOO_LARGE', `the snapshot is larger than ${Math.round(limits.maxSnapshotBytes / 1048576)} MB`);
  }
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new IngestError(400, 'MALFORMED_UPLOAD', `the snapshot is not JSON: ${(err as Error).message.slice(0, 200)}`);
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

async function ingest(req: Request, body: Buffer, res: Response, deps: IngestDeps): Promise<void> {
  const instance = await authenticate(req, deps);
  const parsed = await decode(body, req, deps.limits);
  let envelope;
  try {
    envelope = checkEnvelope(parsed);
  } catch (err) {
    if (err instanceof EnvelopeError) throw new IngestError(422, err.code, err.message);
    throw err;
  }
  const applied = lastApplied(instance);
  if (applied !== null && Date.parse(envelope.generatedAt) < applied) {
    throw new IngestError(409, 'STALE_SNAPSHOT', `this snapshot was generated at ${new Date(envelope.generatedAt).toISOString()}, before the last one applied (${new Date(applied).toISOString()}); it was not applied`);
  }
  let run;
  try {
    run = await deps.sync.run(instance.id, { trigger: SyncTrigger.PUSH, triggeredBy: `wsus collector on ${envelope.server.name}`, payload: envelope });
  } catch (err) {
    if (err instanceof SyncInProgressError) throw new IngestError(409, 'SYNC_IN_PROGRESS', 'a sync of this instance is running; upload again when it has finished');
    throw err;
  }
  const summary = { id: toGlobalId('SyncRun', run.id), status: run.status, mode: run.mode, counts: parseCounts(run), errorKind: run.errorKind, errorMessage: run.errorMessage };
  if (run.status === SyncRunStatus.SUCCEEDED) {
    res.status(200).json({ syncRun: summary });
    return;
  }
  const status = run.errorKind === 'malformed_response' ? 422 : run.errorKind === 'fatal' && /older than the last one applied/.test(run.errorMessage ?? '') ? 409 : 500;
  const code = status === 422 ? 'SCHEMA_VIOLATION' : status === 409 ? 'STALE_SNAPSHOT' : 'SYNC_FAILED';
  res.status(status).json({ error: { code, message: run.errorMessage ?? 'the snapshot could not be applied' }, syncRun: summary });
}

export function wsusIngestRouter(deps: IngestDeps): Router {
  const router = Router();
  router.post('/ingest/wsus/:instanceId', (req, res) => {
    readBody(req, deps.limits.maxUploadBytes)
      .then((body) => ingest(req, body, res, deps))
      .catch((err: unknown) => {
        if (err instanceof IngestError) {
          res.status(err.status).json({ error: { code: err.code, message: err.message } });
          return;
        }
        deps.logger?.error({ err }, 'WSUS ingest failed');
        res.status(500).json({ error: { code: 'INTERNAL', message: 'the snapshot could not be processed; the server log has the details' } });
      });
  });
  return router;
}

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
        reject(new IngestError(413, 'UPLOAD_TOO_LARGE', `the upload is larger than ${Math.round(limit / 1048576)} MB (PATCHGRAPH_INGEST_MAX_UPLOAD_MB)`));
        // Stop reading but let the client finish sending, so it gets the answer instead of a reset connection.
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => refused || resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
