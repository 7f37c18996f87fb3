/**
 * An inventory feed (the file-import connector's HTTP protocol) whose answers the test holds back: a stand-in for a
 * vendor API that is slow, so a sync can be caught in the middle of its read. Each /devices request is numbered;
 * `plan(n)` says what the n-th one answers (one device named after it) and how long it waits first, or that it
 * never answers (the sync stays stuck reading until it is cancelled).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedAnswer {
  /** Devices on the page (externalId and hostname). */
  devices: string[];
  delayMs?: number;
  /** Answer with a link to a second page that never answers. */
  thenHang?: boolean;
}

export interface SlowFeed {
  url: string;
  /** Paths of requests received so far, in order. */
  requests: string[];
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSlowFeed(plan: (deviceRequest: number) => FeedAnswer): Promise<SlowFeed> {
  const requests: string[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let deviceRequests = 0;
  let origin = '';
  const send = (res: ServerResponse, body: unknown) => {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    requests.push(url.pathname + url.search);
    for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
    if (url.pathname === '/hang') return; // never answered: the client gives up only when its sync is cancelled
    if (url.pathname !== '/devices') return send(res, { items: [], next: null, cursor: null });
    const answer = plan(++deviceRequests);
    const body = { items: answer.devices.map((d) => ({ externalId: d, hostname: d })), next: answer.thenHang ? `${origin}/hang` : null, cursor: null };
    setTimeout(() => send(res, body), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    received: (count) => new Promise<void>((resolve) => (requests.length >= count ? resolve() : waiters.push({ count, resolve }))),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
