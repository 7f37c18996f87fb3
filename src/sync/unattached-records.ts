/**
 * The records of a run that did not become source devices, kept with the reason (unattached_record), so that an
 * auditor can account for every record a source returned. A device imported before and deleted at the source since
 * is not repeated here: it stays a source device, marked.
 */
import { EntityManager, In } from 'typeorm';
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { insertRows, updateRows } from '../db/insert-rows';
import { ConnectorInstance, UnattachedRecord } from '../entities';
import { UnattachedReason } from '../entities/enums';
import { newId } from '../util/ids';
import { SourceRead } from './read-source';
import type { RunStates } from './run-states';

export interface UnattachedEntry {
  record: DeviceRecord;
  reason: UnattachedReason;
}

const clip = (v: string | null | undefined): string | null => {
  const t = typeof v === 'string' ? v.trim() : '';
  return t ? t.slice(0, 255) : null;
};

type Said = Pick<UnattachedRecord, 'tenantId' | 'hostname' | 'vendorSiteId' | 'vendorSite' | 'reason'>;
const SAID: ReadonlyArray<keyof Said> = ['tenantId', 'hostname', 'vendorSiteId', 'vendorSite', 'reason'];

/**
 * Brings the instance's unattached records in line with this run. A record of `entries` is added, or rewritten if
 * what it says changed; a stored one the run listed without an entry was imported (or is a held device the run
 * marked) and goes; one the run did not list goes only after a complete full read, since an incremental read
 * proves nothing about what it left out.
 */
export async function writeUnattached(m: EntityManager, ctx: { instance: ConnectorInstance; read: SourceRead; entries: UnattachedEntry[]; now: Date }): Promise<void> {
  const { instance, read, entries, now } = ctx;
  const stored = await m.getRepository(UnattachedRecord).findBy({ connectorInstanceId: instance.id });
  const byExternalId = new Map(stored.map((r) => [r.externalId, r]));
  const wanted = new Set<string>();
  const created: UnattachedRecord[] = [];
  const changed: UnattachedRecord[] = [];
  for (const { record, reason } of entries) {
    wanted.add(record.externalId);
    const said: Said = { tenantId: instance.tenantId, hostname: clip(record.hostname), vendorSiteId: clip(record.vendorSiteId), vendorSite: clip(record.vendorSite), reason };
    const row = byExternalId.get(record.externalId);
    if (!row) {
      created.push(Object.assign(new UnattachedRecord(), { id: newId(), connectorInstanceId: instance.id, externalId: record.externalId, ...said, firstSeenAt: now, lastSeenAt: now }));
    } else if (SAID.some((k) => row[k] !== said[k])) {
      changed.push(Object.assign(row, said, { lastSeenAt: now }));
    }
  }
  const listed = new Set(read.devices.map((d) => d.externalId));
  const removed = stored.filter((r) => !wanted.has(r.externalId) && (listed.has(r.externalId) || read.fullDeviceRead)).map((r) => r.id);
  await insertRows(m, UnattachedRecord, created);
  await updateRows(m, UnattachedRecord, changed, [...SAID, 'lastSeenAt']);
  for (let i = 0; i < removed.length; i += 500) await m.getRepository(UnattachedRecord).delete({ id: In(removed.slice(i, i + 500)) });
}

/**
 * Splits a run's patch states into those of devices the run imports and those it drops: states of devices it
 * does not import (listed as deleted, or in an unmapped or ignored vendor site) are counted, never written.
 */
export function withoutStatesOf(read: SourceRead, notImported: ReadonlySet<string>): { states: RunStates; dropped: number } {
  const states = read.patchStates.whereDevice((externalId) => !notImported.has(externalId));
  return { states, dropped: read.patchStates.length - states.length };
}
