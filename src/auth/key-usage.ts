import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { isLockContention } from '../db/lock-contention';
import { inTransaction } from '../db/transaction';
import { ApiKey } from '../entities';
import { Clock } from '../util/clock';

/** Why a request's credentials were refused, as counted in `auth.failures` audit events. */
export type AuthFailureReason = 'missingHeader' | 'badHeader' | 'unknownKey' | 'revokedKey' | 'expiredKey' | 'oidc'
  /** An auditor's page session cookie that is forged, tampered with or past its expiry (reports/page/). */
  | 'badSession';

/** What the Authenticator reports about each request; implementations must not do I/O on the caller's path. */
export interface AuthEvents {
  keyUsed(keyId: string, at: Date): void;
  keyUsedAfterExpiry(keyId: string, name: string): void;
  refused(reason: AuthFailureReason): void;
}

/** The last use of a key that a running server has seen but not yet written. */
export interface PendingKeyUse {
  pendingLastUse(keyId: string): Date | undefined;
}

export interface KeyUsageRecorderDeps {
  dataSource: DataSource;
  clock: Clock;
  logger: Logger;
  /** How often to write what was recorded; 60 s, so stored lastUsedAt lags by at most about a minute. */
  intervalMs?: number;
}

/** Who the flush's audit events name as their actor: the server itself, not any principal. */
const SERVER_ACTOR = 'patchgraph';

/**
 * Keeps authentication off the database's write path. A request that authenticates only reads; the last use of
 * each key and the refused attempts are remembered in memory and written every minute (and at shutdown). A write
 * that meets a lock (SQLite's single writer busy, an InnoDB lock wait) keeps its values for the next flush, so a
 * long sync or a stuck writer can delay lastUsedAt but never fail a request.
 */
export class KeyUsageRecorder implements AuthEvents, PendingKeyUse {
  private readonly lastUse = new Map<string, Date>();
  private failures = new Map<AuthFailureReason, number>();
  private expiredUses = new Map<string, { name: string; attempts: number }>();
  private windowStart: Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: KeyUsageRecorderDeps) {
    this.windowStart = deps.clock.now();
  }

  keyUsed(keyId: string, at: Date): void {
    const known = this.lastUse.get(keyId);
    if (!known || known < at) this.lastUse.set(keyId, at);
  }

  keyUsedAfterExpiry(keyId: string, name: string): void {
    const known = this.expiredUses.get(keyId);
    this.expiredUses.set(keyId, { name, attempts: (known?.attempts ?? 0) + 1 });
  }

  refused(reason: AuthFailureReason): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  pendingLastUse(keyId: string): Date | undefined {
    return this.lastUse.get(keyId);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.deps.intervalMs ?? 60_000);
    // A pending flush must not keep a CLI process or a test alive; stop() writes what is left.
    this.timer.unref();
  }

  /** Stops the timer and writes what is left; call before the database closes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes what was recorded. Never throws: whatever could not be written stays for the next flush. */
  async flush(): Promise<void> {
    // One flush at a time; a caller arriving during one waits for it and then writes what came in meanwhile.
    while (this.running) await this.running;
    this.running = this.write().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async write(): Promise<void> {
    if (!this.deps.dataSource.isInitialized) return;
    if (!(await this.writeLastUses())) return;
    await this.writeFailures();
  }

  /** One small UPDATE per key. False when the database was locked, so the caller leaves the rest for next time. */
  private async writeLastUses(): Promise<boolean> {
    for (const [keyId, at] of [...this.lastUse]) {
      try {
        // The condition keeps a slower server (or an older pending value) from moving lastUsedAt backwards.
        await this.deps.dataSource
          .createQueryBuilder()
          .update(ApiKey)
          .set({ lastUsedAt: at })
          .where('id = :keyId', { keyId })
          .andWhere('(lastUsedAt IS NULL OR lastUsedAt < :at)', { at })
          .execute();
        if (this.lastUse.get(keyId)?.getTime() === at.getTime()) this.lastUse.delete(keyId);
      } catch (err) {
        return this.deferred(err, 'lastUsedAt');
      }
    }
    return true;
  }

  private async writeFailures(): Promise<void> {
    if (this.failures.size === 0 && this.expiredUses.size === 0) return;
    const failures = this.failures;
    const expiredUses = this.expiredUses;
    const from = this.windowStart;
    const to = this.deps.clock.now();
    this.failures = new Map();
    this.expiredUses = new Map();
    try {
      await inTransaction(this.deps.dataSource, async (m) => {
        if (failures.size > 0) {
          const counts = Object.fromEntries([...failures].sort(([a], [b]) => a.localeCompare(b)));
          await appendAudit(m, {
            tenantId: null, actor: SERVER_ACTOR, action: 'auth.failures', targetType: 'Authentication', targetId: null,
            data: { counts, from: from.toISOString(), to: to.toISOString() }, occurredAt: to,
          });
        }
        for (const [keyId, { name, attempts }] of expiredUses) {
          await appendAudit(m, {
            tenantId: null, actor: SERVER_ACTOR, action: 'apiKey.usedAfterExpiry', targetType: 'ApiKey', targetId: keyId,
            data: { keyId, name, attempts, from: from.toISOString(), to: to.toISOString() }, occurredAt: to,
          });
        }
      });
      this.windowStart = to;
    } catch (err) {
      // Put the counts back, adding what arrived while the write was tried; the window keeps its start.
      for (const [reason, n] of failures) this.failures.set(reason, (this.failures.get(reason) ?? 0) + n);
      for (const [keyId, { name, attempts }] of expiredUses) {
        this.expiredUses.set(keyId, { name, attempts: (this.expiredUses.get(keyId)?.attempts ?? 0) + attempts });
      }
      this.deferred(err, 'authentication failures');
    }
  }

  private deferred(err: unknown, what: string): false {
    if (isLockContention(err)) this.deps.logger.debug({ err }, `database locked: ${what} will be written at the next flush`);
    else this.deps.logger.warn({ err }, `could not write ${what}; will try again at the next flush`);
    return false;
  }
}
