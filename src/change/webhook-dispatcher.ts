/**
 * Sends queued webhook deliveries: each due one is POSTed with its signature; a 2xx answer marks it delivered,
 * anything else (or no answer within the timeout) schedules the next attempt after a backoff that doubles from
 * 30 seconds to at most an hour, and after MAX_ATTEMPTS the delivery is marked failed and left for inspection.
 * Connections go through the file-import address guard, so a webhook cannot be aimed at internal addresses
 * unless the operator allows them (PATCHGRAPH_ALLOW_PRIVATE_URLS), a name's addresses checked at each attempt.
 */
import { Logger } from 'pino';
import { DataSource, IsNull, LessThanOrEqual } from 'typeorm';
import { guardedFetch } from '../../connectors/file-import/address-guard';
import { fileImportPolicy } from '../../connectors/file-import/policy';
import { webhookSecretBinding } from '../access/change-webhooks';
import { ChangeWebhook, WebhookDelivery } from '../entities';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';

export const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 3_600_000;
const TIMEOUT_MS = 10_000;
const BATCH = 50;

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
    const due = await dataSource.getRepository(WebhookDelivery).find({
      where: { deliveredAt: IsNull(), failedAt: IsNull(), nextAttemptAt: LessThanOrEqual(clock.now()) },
      order: { nextAttemptAt: 'ASC', sequence: 'ASC', id: 'ASC' }, take: BATCH,
    });
    const hooks = new Map<string, ChangeWebhook | null>();
    for (const d of due) {
      if (!hooks.has(d.webhookId)) hooks.set(d.webhookId, await dataSource.getRepository(ChangeWebhook).findOneBy({ id: d.webhookId }));
      await this.attempt(d, hooks.get(d.webhookId) ?? null);
    }
    return due.length;
  }

  private async attempt(d: WebhookDelivery, hook: ChangeWebhook | null): Promise<void> {
    const { dataSource, clock, secrets } = this.deps;
    const repo = dataSource.getRepository(WebhookDelivery);
    if (!hook) {
      await repo.update({ id: d.id }, { failedAt: clock.now(), lastError: 'the webhook was removed' });
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
      await repo.update({ id: d.id }, { attempts, deliveredAt: now, lastError: null });
    } else if (attempts >= MAX_ATTEMPTS) {
      await repo.update({ id: d.id }, { attempts, failedAt: now, lastError: error.slice(0, 1000) });
      this.deps.logger?.warn({ delivery: d.id, webhook: hook.id, error }, 'webhook delivery failed for good');
    } else {
      await repo.update({ id: d.id }, { attempts, nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)), lastError: error.slice(0, 1000) });
    }
  }
}
