/**
 * Copies SQLite's write-ahead log back into the database file from a worker thread, so the server's thread never
 * does it.
 *
 * SQLite checkpoints on the committing connection once the log passes 1,000 pages: after a large sync that is the
 * whole run copied a second time, seconds during which the one thread that answers requests does nothing else. With
 * the checkpointer running, the main connection never checkpoints (wal_autocheckpoint = 0), and a thread holding a
 * connection of its own runs PASSIVE checkpoints every second: they copy what is committed and no reader still
 * needs, never wait for the writer, and let the next transaction start the log from its beginning again.
 */
import { startReadyWorker } from './ready-worker';

const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let timer = null;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // SQLITE_BUSY: another checkpoint or a recovery holds the log; the next tick tries again.
  }
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage('stopped');
  parentPort.close();
});
timer = setInterval(checkpoint, workerData.everyMs);
parentPort.postMessage('ready');
`;

export interface WalCheckpointer {
  /** Stops the thread after a last checkpoint. */
  stop(): Promise<void>;
}

/**
 * Starts the checkpointer for the database file; resolves once it runs, after which `mainConnection` stops
 * checkpointing itself. Resolves null when no thread could be started (the main connection then keeps its
 * automatic checkpoints, as before).
 */
export async function startWalCheckpointer(file: string, mainConnection: { pragma(sql: string): unknown }, everyMs = 1_000): Promise<WalCheckpointer | null> {
  const worker = await startReadyWorker(CHECKPOINTER, { file, module: require.resolve('better-sqlite3'), everyMs });
  if (!worker) return null;
  worker.on('error', () => {
    // The thread died: checkpoints go back to the main connection.
    mainConnection.pragma('wal_autocheckpoint = 1000');
  });
  worker.unref();
  mainConnection.pragma('wal_autocheckpoint = 0');
  return {
    async stop() {
      const stopped = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('stop');
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await worker.terminate().catch(() => undefined);
    },
  };
}
