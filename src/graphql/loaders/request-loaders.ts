import DataLoader from 'dataloader';
import { RequestContext } from '../context';

// Keyed by the request's own loaders object, so an entry lives exactly as long as the request.
const perRequest = new WeakMap<object, Map<string, DataLoader<string, unknown>>>();

/**
 * A DataLoader created on first use in a request and shared by the rest of it, for fields whose loaders take an
 * argument (an asOf time, say): one loader per distinct argument, each still one query per batch. Like every
 * loader, it caches for one request only, so one principal never sees another's rows.
 */
export function requestLoader<V>(ctx: RequestContext, name: string, make: () => DataLoader<string, V>): DataLoader<string, V> {
  let loaders = perRequest.get(ctx.loaders);
  if (!loaders) perRequest.set(ctx.loaders, (loaders = new Map()));
  let loader = loaders.get(name) as DataLoader<string, V> | undefined;
  if (!loader) loaders.set(name, (loader = make()));
  return loader;
}

/** A loader of each key's list, from one query returning (key, row) pairs. */
export function groupedLoader<T>(load: (keys: readonly string[]) => Promise<Array<{ key: string; row: T }>>): DataLoader<string, T[]> {
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
      for (const { key, row } of await load(keys)) groups.get(key)?.push(row);
      return keys.map((k) => groups.get(k)!);
    },
    { maxBatchSize: 500 },
  );
}
