import type { Connector } from '../../../connectors/sdk/contract';
import { rejectionOf } from '../../../connectors/sdk/testkit/run';

export type StreamKey = 'devices' | 'updates' | 'patchStates';

/** Reads one stream to the end, with the cursors it reported. */
export async function read<T = Record<string, unknown>>(connector: Connector, stream: StreamKey, cursor: string | null = null) {
  const cursors: string[] = [];
  const records: T[] = [];
  for await (const r of connector[stream]({ mode: cursor === null ? 'full' : 'incremental', cursor, setCursor: (c) => cursors.push(c) })) records.push(r as T);
  return { records, cursors };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  return (await rejectionOf(promise, 'the call')) as Error;
}
