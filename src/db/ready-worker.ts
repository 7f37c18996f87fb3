import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from source text and waits for its first message, 'ready'; resolves null when the thread
 * could not start or died first (its caller then keeps the work on the main thread). The code runs as CommonJS, so
 * it loads its modules (better-sqlite3) by the path given in workerData, the same copy the main thread uses.
 */
export async function startReadyWorker(code: string, workerData: Record<string, unknown>): Promise<Worker | null> {
  let worker: Worker;
  try {
    worker = new Worker(code, { eval: true, workerData });
  } catch {
    return null;
  }
  const ready = await new Promise<boolean>((resolve) => {
    worker.once('message', (message) => resolve(message === 'ready'));
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  if (ready) return worker;
  await worker.terminate().catch(() => undefined);
  return null;
}
