/**
 * One device's patch states as two parallel lists, for the `patchStates` stream. A source that holds its states as
 * rows (a WSUS snapshot: 240,000 of them at 2,000 computers) hands each device's over as one item: the engine puts
 * them in its columns without a record object per state. Yielding `deviceStates(id, keys, states)` is yielding the
 * records `{ deviceExternalId: id, updateKey: keys[i], state: states[i], evidence }` (no times) in order, checked
 * one by one exactly as those would be; opened by `recordsOf` like any batch.
 */
import type { Evidence, PatchStateRecord, PatchStateValue } from './contract';
import { RECORD_BATCH, type RecordBatch } from './record-batch';

const DEVICE_STATES: unique symbol = Symbol.for('patchgraph.connector-sdk.device-states') as never;

/** What `deviceStates` holds: the lists as given, read and never changed. */
export interface DeviceStateList {
  readonly deviceExternalId: string;
  readonly updateKeys: readonly string[];
  readonly states: readonly PatchStateValue[];
  readonly evidence: Evidence;
}

export interface DeviceStatesBatch extends RecordBatch<PatchStateRecord> {
  readonly [DEVICE_STATES]: DeviceStateList;
}

/**
 * A device's states without times: `states[i]` is the state of the update `updateKeys[i]`. The lists are read, never
 * copied or changed: do not change them afterwards. Lists of different lengths are refused here.
 */
export function deviceStates(deviceExternalId: string, updateKeys: readonly string[], states: readonly PatchStateValue[], evidence: Evidence = 'REPORTED'): DeviceStatesBatch {
  if (!Array.isArray(updateKeys) || !Array.isArray(states) || updateKeys.length !== states.length) {
    throw new TypeError('deviceStates() takes two arrays of the same length: the update keys and their states');
  }
  const list: DeviceStateList = { deviceExternalId, updateKeys, states, evidence };
  return {
    [DEVICE_STATES]: list,
    // As records, for whatever opens it as a batch (recordsOf, the contract kit): made on demand.
    get [RECORD_BATCH](): readonly PatchStateRecord[] {
      return updateKeys.map((updateKey, i) => ({ deviceExternalId, updateKey, state: states[i], evidence }));
    },
  } as DeviceStatesBatch;
}

/** The device's lists when a stream's item is a `deviceStates` batch; undefined for anything else. */
export function deviceStateListOf(item: unknown): DeviceStateList | undefined {
  return typeof item === 'object' && item !== null ? (item as Partial<DeviceStatesBatch>)[DEVICE_STATES] : undefined;
}
