/**
 * Which reads may be answered by a MySQL/MariaDB read replica (PATCHGRAPH_DATABASE_READ_URLS).
 *
 * TypeORM sends every SELECT made outside a transaction to a replica once replication is configured
 * (`replication.defaultMode` "slave"). That is wrong for most of patchgraph: the sync engine compares what it
 * just wrote, leases and audit chain heads are read to be advanced, a mutation returns the object it changed, an
 * API key created a moment ago must authenticate. A replica lags, so those reads would see the past.
 *
 * So the primary is the default for everything, and a read goes to a replica only inside a scope that opened
 * itself to it: a GraphQL request once its operation is known to be a query. A lost async context, a
 * transaction, a write or a locking read all fall back to the primary, the safe side.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ReplicationMode } from 'typeorm';

interface ReadScope {
  replica: boolean;
  /** The replica this scope reads from, once it has read from one. */
  pinned?: number;
}

const scopes = new AsyncLocalStorage<ReadScope>();

/** Runs fn in a scope that reads from the primary until allowReplicaReads() opens it to a replica. */
export function withReadScope<T>(fn: () => T): T {
  return scopes.run({ replica: false }, fn);
}

/**
 * Lets the rest of the current scope read from a replica. A scope is an object shared by everything that runs
 * in it, so the decision taken in one step of a request (Apollo's didResolveOperation) holds for the later ones.
 */
export function allowReplicaReads(): void {
  const scope = scopes.getStore();
  if (scope) scope.replica = true;
}

/** Where a read made now outside a transaction goes. */
export function readMode(): ReplicationMode {
  return scopes.getStore()?.replica ? 'slave' : 'master';
}

/**
 * The replica the current scope reads from, chosen by `choose` on its first read and kept for the rest: replicas
 * lag by different amounts, and statements of one request spread over two could see a later state before an
 * earlier one (an audit chain's head ahead of its events reads as a chain with events deleted). One replica
 * applies the primary's commits in order, so what one scope reads from it never goes back in time.
 */
export function pinnedReplica(choose: () => number): number {
  const scope = scopes.getStore();
  if (!scope) return choose();
  scope.pinned ??= choose();
  return scope.pinned;
}

/**
 * A raw statement a replica can answer: a SELECT (or a WITH … SELECT) that takes no lock and writes nothing.
 * Anything else, including a write hidden in a CTE, goes to the primary.
 */
export function isReplicaSafeRead(sql: string): boolean {
  const text = sql.trimStart();
  if (/^with\b/i.test(text)) {
    if (/\b(insert|update|delete|replace)\b/i.test(text)) return false;
  } else if (!/^\(?\s*select\b/i.test(text)) {
    return false;
  }
  // Named locks are the server's, and a replica's are not the primary's.
  return !/\bfor\s+update\b|\bfor\s+share\b|\block\s+in\s+share\s+mode\b|\binto\s+@|\binto\s+(out|dump)file\b|\b(get|release|is_free|is_used)_lock\s*\(/i.test(text);
}
