/**
 * Webhooks that let a PSA follow change records: registering one (its secret generated here, shown once, stored
 * encrypted), listing and removing them, and queueing a delivery for each matching webhook inside the transaction
 * of every change create and transition (so an event goes out if and only if its change committed).
 */
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { fileImportPolicy } from '../../connectors/file-import/policy';
import { urlHostProblem } from '../../connectors/file-import/address-guard';
import { appendAudit } from '../audit/audit-log';
import { inTransaction } from '../db/transaction';
import { insertRows } from '../db/insert-rows';
import { ChangeRequest, ChangeWebhook, Tenant, WebhookDelivery } from '../entities';
import { ForbiddenError, NotFoundError, UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { TenantScope } from './tenant-scope';

/** What a webhook's secret is bound to when encrypted, so a ciphertext copied to another row does not decrypt. */
export const webhookSecretBinding = (webhookId: string) => `change_webhook:${webhookId}`;

/** Queues the event for every webhook of the change's tenant and every all-tenants webhook. */
export async function queueWebhookDeliveries(
  m: EntityManager, change: ChangeRequest, audited: { action: string; seq: number }, transition: Record<string, unknown>, at: Date,
): Promise<void> {
  const event = audited.action;
  const hooks = await m.find(ChangeWebhook, { where: [{ tenantId: change.tenantId }, { tenantId: IsNull() }] });
  if (hooks.length === 0) return;
  const rows = hooks.map((hook) => {
    const id = newId();
    const payload = JSON.stringify({
      id, event, sequence: audited.seq, occurredAt: at.toISOString(),
      change: {
        id: toGlobalId('ChangeRequest', change.id), reference: change.reference, tenantId: toGlobalId('Tenant', change.tenantId), type: change.type,
        state: change.state, title: change.title, plannedStart: change.plannedStart.toISOString(), plannedEnd: change.plannedEnd.toISOString(),
        externalTickets: change.externalTickets,
      },
      transition,
    });
    return Object.assign(new WebhookDelivery(), {
      id, webhookId: hook.id, changeId: change.id, event, sequence: audited.seq, payload, attempts: 0, nextAttemptAt: at, deliveredAt: null, failedAt: null, lastError: null, createdAt: at,
    });
  });
  await insertRows(m, WebhookDelivery, rows);
}

/**
 * Re-encrypts every webhook's secret from one key to another, inside the caller's transaction (secrets rotate-key).
 * A secret the old key cannot decrypt stops the rotation, naming the webhook, before anything is committed.
 */
export async function reencryptWebhookSecrets(m: EntityManager, oldBox: SecretBox, newBox: SecretBox): Promise<number> {
  const hooks = await m.find(ChangeWebhook, { order: { id: 'ASC' } });
  for (const hook of hooks) {
    let secret: Record<string, unknown>;
    try {
      secret = oldBox.decrypt(hook.secretCiphertext, webhookSecretBinding(hook.id));
    } catch {
      throw new Error(`nothing was changed: the signing secret of change webhook ${toGlobalId('ChangeWebhook', hook.id)} (${hook.url}) does not decrypt with the current key; delete it with deleteChangeWebhook and register it again, then rotate`);
    }
    await m.update(ChangeWebhook, { id: hook.id }, { secretCiphertext: newBox.encrypt(secret, webhookSecretBinding(hook.id)) });
  }
  return hooks.length;
}

export class ChangeWebhookAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
  ) {}

  /** Registers a webhook; the secret is returned this once. tenantId null: every tenant (an all-tenants principal only). */
  async create(tenantId: string | null, rawUrl: string, actor: { label: string }): Promise<{ webhook: ChangeWebhook; secret: string }> {
    const url = checkUrl(rawUrl);
    if (tenantId === null && !this.scope.all) throw new ForbiddenError('Only a principal with access to all tenants can register a webhook for every tenant');
    const now = this.clock.now();
    const secret = randomBytes(32).toString('base64url');
    return inTransaction(this.dataSource, async (m) => {
      if (tenantId !== null) {
        const tenant = await m.findOneBy(Tenant, { id: tenantId });
        if (!tenant || !this.scope.allows(tenant.id)) throw new NotFoundError('Tenant', tenantId);
      }
      const id = newId();
      const webhook = Object.assign(new ChangeWebhook(), {
        id, tenantId, url, secretCiphertext: this.secrets.encrypt({ secret }, webhookSecretBinding(id)), createdAt: now, createdBy: actor.label,
      });
      await insertRows(m, ChangeWebhook, [webhook]);
      // The URL is audited; the secret never is.
      await appendAudit(m, { tenantId, actor: actor.label, action: 'change_webhook.create', targetType: 'ChangeWebhook', targetId: id, data: { url }, occurredAt: now });
      return { webhook, secret };
    });
  }

  list(): Promise<ChangeWebhook[]> {
    const qb = this.dataSource.createQueryBuilder(ChangeWebhook, 'wh');
    if (!this.scope.all) qb.where('wh.tenantId IN (:...whTenants)', { whTenants: this.scope.allowedIds().length ? this.scope.allowedIds() : ['-'] });
    return qb.orderBy('wh.createdAt', 'ASC').addOrderBy('wh.id', 'ASC').getMany();
  }

  /** Removes a webhook and the deliveries it has not sent. */
  async remove(id: string, actor: { label: string }): Promise<ChangeWebhook> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const hook = await m.findOneBy(ChangeWebhook, { id });
      if (!hook || (hook.tenantId === null ? !this.scope.all : !this.scope.allows(hook.tenantId))) throw new NotFoundError('ChangeWebhook', id);
      await m.delete(WebhookDelivery, { webhookId: id, deliveredAt: IsNull() });
      await m.delete(ChangeWebhook, { id });
      await appendAudit(m, { tenantId: hook.tenantId, actor: actor.label, action: 'change_webhook.delete', targetType: 'ChangeWebhook', targetId: id, data: { url: hook.url }, occurredAt: now });
      return hook;
    });
  }

  /** Deliveries of the webhook, newest first (at most 50): what the PSA was sent, and what failed. */
  deliveries(webhookId: string): Promise<WebhookDelivery[]> {
    return this.dataSource.getRepository(WebhookDelivery).find({ where: { webhookId }, order: { createdAt: 'DESC', id: 'DESC' }, take: 50 });
  }
}

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UserInputError('input.url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UserInputError('input.url', 'must be an http(s) URL');
  if (url.username || url.password) throw new UserInputError('input.url', 'must not carry credentials: the signature authenticates patchgraph to the receiver');
  if (url.href.length > 2000) throw new UserInputError('input.url', 'must be at most 2000 characters');
  // Internal addresses are refused as file-import feeds are (PATCHGRAPH_ALLOW_PRIVATE_URLS); names are checked again at each delivery.
  const problem = urlHostProblem(url.href, fileImportPolicy().addresses);
  if (problem) throw new UserInputError('input.url', problem);
  return url.href;
}
