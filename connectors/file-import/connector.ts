/**
 * The file-import connector: one Connector over either source. Which source is decided by the configuration
 * (path or url, never both), once, here.
 */
import type { ConnectionCheck, Connector, ConnectorContext, StreamRequest } from '../sdk/contract';
import type { FileImportConfig } from './config';
import { InventoryFeed } from './feed-source';
import { LocalInventory } from './file-source';
import { StreamName, StreamRecords } from './format';
import { selectSince } from './incremental';

type Streams = Pick<Connector, 'devices' | 'updates' | 'patchStates'>;

/** Expects a validated configuration (see parseFileImportConfig in index.ts). */
export function createFileImportConnector(config: FileImportConfig, context: ConnectorContext): Connector {
  return config.url ? feedConnector(new InventoryFeed({ ...config, url: config.url }, context)) : fileConnector(new LocalInventory(config.path!));
}

function streams(read: <S extends StreamName>(stream: S, request: StreamRequest) => AsyncIterable<StreamRecords[S]>): Streams {
  return {
    devices: (request) => read('devices', request),
    updates: (request) => read('updates', request),
    patchStates: (request) => read('patchStates', request),
  };
}

function feedConnector(feed: InventoryFeed): Connector {
  return {
    testConnection: async (options): Promise<ConnectionCheck> => ({ message: await feed.check(options?.signal) }),
    ...streams((stream, request) => feed.records(stream, request)),
  };
}

function fileConnector(inventory: LocalInventory): Connector {
  return {
    async testConnection(): Promise<ConnectionCheck> {
      const n = await inventory.counts();
      return {
        message: `Read ${count(n.devices, 'device')}, ${count(n.updates, 'update')}, ${count(n.patchStates, 'patch state')} from ${inventory.path}`,
      };
    },
    ...streams(async function* <S extends StreamName>(stream: S, request: StreamRequest) {
      // The whole file is read and checked before the first record is yielded: a bad row late in the file fails
      // the run before the engine has seen any of it.
      const { rows, cursor } = selectSince(await inventory.rows(stream), request.mode === 'incremental' ? request.cursor : null);
      for (const row of rows) {
        request.signal?.throwIfAborted();
        yield row.record;
      }
      if (cursor !== null) request.setCursor(cursor);
    }),
  };
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-GB')} ${noun}${n === 1 ? '' : 's'}`;
}
