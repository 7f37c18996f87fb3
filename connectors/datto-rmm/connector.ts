/**
 * The Datto RMM connector: sites and devices from API v2, identifiers from each device's audit (fetched only when
 * the audit changed), and device-level patch posture. Datto has no per-update patch data in its API, so this
 * connector yields no updates and no patch states: WSUS or Intune give the per-KB view of the same machines.
 */
import type { ConnectionCheck, Connector, ConnectorContext, DeviceRecord, StreamRequest, UpdateRecord, PatchStateRecord } from '../sdk/contract';
import { ConnectorError, dattoPasswordGrant, MalformedResponseError, HttpClient, OAuth2TokenProvider, pageMaxPaging } from '../sdk/http';
import type { DattoRmmConfig } from './config';
import { BACKOFF_SECONDS, PAGE_SIZE, READS_PER_MINUTE, STALE_AFTER_DAYS } from './config';
import { auditPartOf, DattoAudit, DattoDevice, factsKnown, factsOfAudit, hasDeviceAudit, isGone, revisionOf, toDeviceRecord } from './datto-device';

const DEVICES = '/api/v2/account/devices';
const auditPath = (uid: string) => `/api/v2/audit/device/${encodeURIComponent(uid)}`;

export function createDattoRmmConnector(config: DattoRmmConfig, context: ConnectorContext): Connector {
  return new DattoRmmConnector(config, context);
}

class DattoRmmConnector implements Connector {
  private readonly client: HttpClient;
  private readonly pageSize: number;
  private readonly staleAfterDays: number;

  constructor(
    config: DattoRmmConfig,
    private readonly context: ConnectorContext,
  ) {
    const origin = new URL(config.apiUrl).origin;
    const tokenProvider = new OAuth2TokenProvider({
      grant: dattoPasswordGrant({ apiUrl: origin, apiKey: config.apiKey, apiSecret: config.apiSecret }),
      vendor: 'Datto RMM',
      log: context.log,
      observer: context.observer,
      clock: context.clock,
      cache: context.tokens,
      // Tokens last 100 hours; refreshing an hour early is plenty and costs nothing.
      refreshBeforeExpiryMs: 3_600_000,
    });
    const backoffMs = (config.backoffOn429Seconds ?? BACKOFF_SECONDS.default) * 1000;
    this.client = new HttpClient({
      baseUrl: origin,
      vendor: 'Datto RMM',
      tokenProvider,
      log: context.log,
      observer: context.observer,
      clock: context.clock,
      sleep: context.sleep,
      // Datto sends no Retry-After with 429; its clients wait a fixed, long time, because pressing on gets the IP
      // blocked for minutes. random → 1 makes the wait exactly the configured time.
      rateLimitBackoff: { baseMs: backoffMs, maxMs: backoffMs, random: () => 1 },
      // The limit is per account: every instance with this API key shares one window.
      rateLimit: { key: `datto-rmm:${origin}:${config.apiKey}`, registry: context.rateLimiters, maxRequests: config.readsPerMinute ?? READS_PER_MINUTE.default, windowMs: 60_000 },
    });
    this.pageSize = config.pageSize ?? PAGE_SIZE.default;
    this.staleAfterDays = config.staleAfterDays ?? STALE_AFTER_DAYS.default;
  }

  async testConnection(options: { signal?: AbortSignal } = {}): Promise<ConnectionCheck> {
    const account = await this.client.get<{ name?: string; devicesStatus?: { numberOfDevices?: number } }>('/api/v2/account', { signal: options.signal });
    const rate = await this.client.get<{ accountCount?: number; accountRateLimit?: number }>('/api/v2/system/request_rate', { signal: options.signal });
    const devices = account?.devicesStatus?.numberOfDevices;
    return {
      message: `Reached Datto RMM account "${account?.name ?? 'unnamed'}"${devices === undefined ? '' : ` with ${devices} devices`}; ` +
        `${rate?.accountCount ?? '?'} of ${rate?.accountRateLimit ?? 600} reads used in the last minute.`,
    };
  }

  /**
   * Datto cannot list "devices changed since", so every run lists every device (a page holds 250). What changes is
   * the cost per device: its audit is fetched only when Datto's lastAuditDate moved, and an incremental run
   * reports only devices whose listing changed.
   */
  async *devices(request: StreamRequest): AsyncGenerator<DeviceRecord> {
    // lastSeen is not part of the revision (it moves constantly), so a device going quiet is noticed by the full
    // runs the scheduler makes daily, which is when `inactive` can change for an otherwise unchanged device.
    const incremental = request.mode === 'incremental' && request.known !== undefined;
    const pages = pageMaxPaging<DattoDevice>(this.client, DEVICES, 'devices', { query: { max: this.pageSize }, signal: request.signal });
    for await (const page of pages) {
      for (const device of page.items) {
        if (typeof device?.uid !== 'string' || !device.uid) throw new MalformedResponseError('a Datto device has no uid');
        const known = request.known?.(device.uid);
        const revision = revisionOf(device);
        if (incremental && known?.revision === revision) continue;
        const auditUnchanged = known !== undefined && auditPartOf(known.revision) === auditPartOf(revision);
        // A deleted device, or one of a site that is not imported (unmapped or ignored), is yielded so the engine can
        // account for it, but its audit would spend the account's read budget on a record that is never imported.
        const imported = !isGone(device) && (request.siteImported?.(device.siteUid ?? '') ?? true);
        const facts = auditUnchanged
          ? factsKnown(known)
          : factsOfAudit(imported && hasDeviceAudit(device) ? await this.audit(device.uid, request.signal) : null);
        yield toDeviceRecord(device, facts, { now: this.context.clock.now(), staleAfterDays: this.staleAfterDays });
      }
    }
    request.setCursor(JSON.stringify({ v: 1, listedAt: this.context.clock.now().toISOString() }));
  }

  async *updates(): AsyncGenerator<UpdateRecord> {
    // Datto's API has no per-update data: see the class comment.
  }

  async *patchStates(): AsyncGenerator<PatchStateRecord> {
    // As above: posture is carried on each device record instead.
  }

  /** A device without an audit yet (new to Datto) answers 404: it simply has no audited identifiers. */
  private async audit(uid: string, signal?: AbortSignal): Promise<DattoAudit | null> {
    try {
      return await this.client.get<DattoAudit>(auditPath(uid), { signal });
    } catch (err) {
      if (err instanceof ConnectorError && err.status === 404) return null;
      throw err;
    }
  }
}
