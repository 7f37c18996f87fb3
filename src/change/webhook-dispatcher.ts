/**
 * Sends queued webhook deliveries: each due one is POSTed with its signature; a 2xx answer marks it delivered,
 * anything else (or no answer within the timeout) schedules the next attempt after a backoff that doubles from
 * 30 seconds to at most an hour, and after MAX_ATTEMPTS the delivery is marked failed and left for inspection.
 * Connections go through the file-import address guard, so a webhook cannot be aimed at internal addresses
 * unless the operator allows them (PATCHGRAPH_ALLOW_PRIVATE_URLS), a name's addresses checked at each attempt.
 *
 * Every API server runs a dispatcher over the same table, so each attempt is claimed first: one atomic UPDATE
 * takes the delivery only while nobody holds it, and whichever dispatcher's UPDATE changed the row sends it. The
 * claim is a lease: a dispatcher that dies mid-send leaves a claim that expires, and another one then sends it.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { Brackets, DataSource, WhereExpressionBuilder } from 'typeorm';
import { guardedFetch } from '../../connectors/file-import/address-guard';
import { fileImportPolicy } from '../../connectors/file-import/policy';
import { webhookSecretBinding } from '../access/change-webhooks';
import { ChangeWebhook, WebhookDelivery } from '../entities';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { sqlTime } from '../db/sql-time';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';

export const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 3_600_000;
const TIMEOUT_MS = 10_000;
const BATCH = 50;
/**
 * How long one claim holds: an attempt takes at most TIMEOUT_MS, and the margin covers the address check and the
 * write of its outcome, so a live dispatcher never loses its claim mid-send (which would let a second one send).
 */
export const CLAIM_LEASE_MS = 60_000;

/** Not delivered, not given up, due, and claimed by nobody (or by a dispatcher whose lease ran out). */
function dueAndFree(qb: WhereExpressionBuilder, now: Date): void {
  qb.andWhere('deliveredAt IS NULL AND failedAt IS NULL AND nextAttemptAt <= :now', { now: sqlTime(now) })
    .andWhere(new Brackets((free) => free.where('claimedUntil IS NULL').orWhere('claimedUntil <= :now', { now: sqlTime(now) })));
}

/** Wait before attempt `attempts + 1`, after `attempts` failed ones. */
export function backoffMs(attempts: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS);
}

export interface DispatcherDeps {
  dataSource: DataSource;
  secrets: SecretBox;
  clock: Clock;
  logger?: Logger;
  /** Tests pass their own; by default the guarded fetch under the process's address policy. */
  fetch?: typeof fetch;
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Sends every due delivery once; returns how many were attempted. Never runs twice at once in this process. */
  deliverDue(): Promise<number> {
    this.running ??= this.sendDue().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(tickMs: number): void {
    this.timer ??= setInterval(() => void this.deliverDue().catch((err) => this.deps.logger?.error({ err }, 'webhook delivery failed')), tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async sendDue(): Promise<number> {
    const { dataSource, clock } = this.deps;
    // Only a hint of what to claim: another dispatcher may take any of these first.
    const candidates: Array<{ id: string }> = await dataSource.getRepository(WebhookDelivery).createQueryBuilder('d')
      .select('d.id', 'id').where(new Brackets((qb) => dueAndFree(qb, clock.now())))
      .orderBy('d.nextAttemptAt', 'ASC').addOrderBy('d.sequence', 'ASC').addOrderBy('d.id', 'ASC').limit(BATCH).getRawMany();
    const hooks = new Map<string, ChangeWebhook | null>();
    let attempted = 0;
    for (const { id } of candidates) {
      const claimed = await this.claim(id);
      if (!claimed) continue;
      if (!hooks.has(claimed.delivery.webhookId)) hooks.set(claimed.delivery.webhookId, await dataSource.getRepository(ChangeWebhook).findOneBy({ id: claimed.delivery.webhookId }));
      await this.attempt(claimed.delivery, claimed.claim, hooks.get(claimed.delivery.webhookId) ?? null);
      attempted += 1;
    }
    return attempted;
  }

  /**
   * Takes one delivery for one attempt, if it is still due and free. The UPDATE re-checks that under the row's
   * lock (InnoDB) or the database's single writer (SQLite), so of dispatchers racing for it exactly one changes
   * the row; that one reads it back under its own claim.
   */
  private async claim(id: string): Promise<{ delivery: WebhookDelivery; claim: string } | null> {
    const { dataSource, clock } = this.deps;
    const now = clock.now();
    const claim = randomUUID();
    const { affected } = await dataSource.createQueryBuilder().update(WebhookDelivery)
      .set({ claimedBy: claim, claimedUntil: new Date(now.getTime() + CLAIM_LEASE_MS) })
      .where('id = :id', { id }).andWhere(new Brackets((qb) => dueAndFree(qb, now))).execute();
    if (affected !== 1) return null;
    const delivery = await dataSource.getRepository(WebhookDelivery).findOneBy({ id, claimedBy: claim });
    return delivery && { delivery, claim };
  }

  private async attempt(d: WebhookDelivery, claim: string, hook: ChangeWebhook | null): Promise<void> {
    const { dataSource, clock, secrets } = this.deps;
    const released = { claimedBy: null, claimedUntil: null };
    // Only while the claim is still ours: past its lease another dispatcher may have sent it and written its outcome.
    const record = async (outcome: Partial<WebhookDelivery>) => {
      const { affected } = await dataSource.getRepository(WebhookDelivery).update({ id: d.id, claimedBy: claim }, { ...outcome, ...released });
      if (affected !== 1) this.deps.logger?.warn({ delivery: d.id }, 'a webhook delivery outlived its claim; another dispatcher has taken it over');
    };
    if (!hook) {
      await record({ failedAt: clock.now(), lastError: 'the webhook was removed' });
      return;
    }
    const now = clock.now();
    let error: string | null = null;
    try {
      const { secret } = secrets.decrypt(hook.secretCiphertext, webhookSecretBinding(hook.id)) as { secret: string };
      const policy = fileImportPolicy();
      const send = this.deps.fetch ?? guardedFetch({ allowance: policy.addresses, resolve: policy.resolve, field: 'url', maxRedirects: 0 });
      const res = await send(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', 'user-agent': 'patchgraph-webhooks', [SIGNATURE_HEADER]: signatureHeader(secret, d.payload, now),
          'X-Patchgraph-Event': d.event, 'X-Patchgraph-Delivery': d.id,
        },
        body: d.payload,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const attempts = d.attempts + 1;
    if (error === null) {
      await record({ attempts, deliveredAt: now, lastError: null });
    } else if (attempts >= MAX_ATTEMPTS) {
      await record({ attempts, failedAt: now, lastError: error.slice(0, 1000) });
      this.deps.logger?.warn({ delivery: d.id, webhook: hook.id, error }, 'webhook delivery failed for good');
    } else {
      await record({ attempts, nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)), lastError: error.slice(0, 1000) });
    }
  }
}
