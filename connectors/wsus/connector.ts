/**
 * The WSUS connector. Its source is a snapshot of SUSDB's PUBLIC_VIEWS: uploaded by the collector on the WSUS host
 * (the default; the ingest endpoint hands it over as the run's payload), or read by patchgraph itself from a full
 * SQL Server (source: sqlserver). Either way the same mapping turns it into records.
 */
import type { ApprovalRecord, ConnectionCheck, Connector, ConnectorContext, DeviceRecord, PatchStateRecord, StreamRequest, UpdateRecord } from '../sdk/contract';
import { FatalError } from '../sdk/errors';
import { batch, type Streamed } from '../sdk/record-batch';
import type { WsusConfig } from './config';
import { STALE_AFTER_DAYS } from './config';
import { checkEnvelope, WsusEnvelope } from './envelope';
import { MappedSnapshot, mapSnapshot } from './mapping';
import { readSusdb, testSusdb } from './susdb-reader';

/** A snapshot older than the last one accepted: applying it would roll the graph back. */
export class StaleSnapshotError extends FatalError {
  readonly code = 'STALE_SNAPSHOT';
}

/** The streams a run reads; once all of them have been read to the end, the mapped records are let go. */
const STREAMS = 4;

export function createWsusConnector(config: WsusConfig, context: ConnectorContext): Connector {
  // One check and mapping per run, shared by the streams even when they ask at once (both take turns of the loop).
  let mapped: Promise<MappedSnapshot> | undefined;
  let streamsRead = 0;
  const snapshot = (signal?: AbortSignal): Promise<MappedSnapshot> => {
    mapped ??= (async () => {
      const envelope = (config.source ?? 'collector') === 'sqlserver' ? await readSusdb(config, context.clock.now(), signal) : await pushed(context.payload);
      return mapSnapshot(envelope, { targetGroups: config.targetGroups ?? 'sites', staleAfterDays: config.staleAfterDays ?? STALE_AFTER_DAYS.default });
    })().catch((err: unknown) => {
      mapped = undefined;
      throw err;
    });
    return mapped;
  };
  // The engine keeps the connector until the run's transaction ends, and has what the streams yielded by then:
  // holding the mapping too would keep its records (and a plan of states never read) through the whole apply. A
  // later read maps again.
  const streamRead = () => {
    if (++streamsRead < STREAMS) return;
    streamsRead = 0;
    mapped = undefined;
  };

  return {
    async testConnection(options): Promise<ConnectionCheck> {
      if ((config.source ?? 'collector') === 'sqlserver') return { message: await testSusdb(config, options?.signal) };
      return { message: 'This instance receives snapshots from the WSUS collector (POST /ingest/wsus/<instance id>); it has nothing to reach.' };
    },
    // Every list is in memory once mapped: yielded in batches, not a promise per record (a snapshot has 240,000 states).
    async *devices(request: StreamRequest): AsyncGenerator<Streamed<DeviceRecord>> {
      const s = await snapshot(request.signal);
      // The cursor is the time of the last snapshot applied: an older one arriving late is refused, the same one
      // again is applied (and changes nothing).
      if (request.cursor && s.generatedAt.getTime() < Date.parse(request.cursor)) {
        throw new StaleSnapshotError(`snapshot generated at ${s.generatedAt.toISOString()} is older than the last one applied (${new Date(request.cursor).toISOString()}); it was not applied`);
      }
      yield batch(s.devices);
      request.setCursor(s.generatedAt.toISOString());
      streamRead();
    },
    async *updates(request: StreamRequest): AsyncGenerator<Streamed<UpdateRecord>> {
      yield batch((await snapshot(request.signal)).updates);
      streamRead();
    },
    async *patchStates(request: StreamRequest): AsyncGenerator<Streamed<PatchStateRecord>> {
      // A computer's states as one item (deviceStates): no record object per state.
      yield* (await snapshot(request.signal)).stateLists;
      streamRead();
    },
    async *approvals(request: StreamRequest): AsyncGenerator<Streamed<ApprovalRecord>> {
      yield batch((await snapshot(request.signal)).approvals);
      streamRead();
    },
  };
}

function pushed(payload: unknown): Promise<WsusEnvelope> {
  if (payload === undefined) {
    throw new FatalError('this WSUS instance syncs when its collector uploads a snapshot (POST /ingest/wsus/<instance id>); it cannot be synced on its own');
  }
  // Checked again because the engine must never trust its caller; the envelope the ingest endpoint's check returned
  // is known to checkEnvelope, which passes it at once.
  return checkEnvelope(payload);
}
