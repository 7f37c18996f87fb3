/**
 * The Intune connector: devices from Graph managedDevices, updates from the cumulative-update catalog, patch
 * states derived from each Windows device's build. One instance reads one client tenant.
 */
import type { ConnectionCheck, Connector, ConnectorContext, DeviceRecord, PatchStateRecord, StreamRequest, UpdateRecord } from '../sdk/contract';
import { AuthError, ConnectorError, followNextLink, HttpClient, OAuth2TokenProvider, graphClientCredentials } from '../sdk/http';
import type { IntuneConfig } from './config';
import { PAGE_SIZE, STALE_AFTER_DAYS } from './config';
import { BuildIndex } from './derive-states';
import { decodeCursor, encodeCursor, incrementalFilters } from './device-cursor';
import { MANAGED_DEVICE_FIELDS, ReadDevice, toDeviceRecord } from './managed-device';
import { bundledCatalog, catalogFingerprint, CumulativeUpdate, fromGraphItems, mergeCatalogs, toUpdateRecord } from './update-catalog';

const MANAGED_DEVICES = '/v1.0/deviceManagement/managedDevices';
const CATALOG_ITEMS = '/beta/deviceManagement/windowsUpdateCatalogItems';
const CATALOG_PERMISSION = 'DeviceManagementConfiguration.Read.All';
/** Intune allows 2,000 requests per 20 s per app per tenant; stay a little under so other tools of the MSP fit. */
const RATE_LIMIT = { maxRequests: 1800, windowMs: 20_000 };

interface LoadedCatalog {
  updates: CumulativeUpdate[];
  index: BuildIndex;
  fingerprint: string;
  /** Where it came from, for the operator. */
  source: string;
}

export function createIntuneConnector(config: IntuneConfig, context: ConnectorContext): Connector {
  return new IntuneConnector(config, context);
}

class IntuneConnector implements Connector {
  private readonly client: HttpClient;
  private readonly pageSize: number;
  private readonly staleAfterDays: number;
  private catalog?: Promise<LoadedCatalog>;
  /** Devices read by this run's device stream; the patch-state stream derives from exactly these. */
  private devicesRead?: ReadDevice[];

  constructor(
    private readonly config: IntuneConfig,
    private readonly context: ConnectorContext,
  ) {
    const graph = new URL(config.graphBaseUrl ?? 'https://graph.microsoft.com');
    const tokenProvider = new OAuth2TokenProvider({
      grant: graphClientCredentials({
        tenantId: config.tenantId,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        authorityUrl: config.authorityHost,
        // The app's application permissions on this cloud's Graph (national clouds have their own host), unless the
        // operator names the resource Graph is reached through (an egress proxy registered as its own app).
        scope: config.tokenScope ?? `${graph.origin}/.default`,
      }),
      vendor: 'Microsoft Entra ID',
      log: context.log,
      observer: context.observer,
      clock: context.clock,
      cache: context.tokens,
    });
    this.client = new HttpClient({
      baseUrl: graph.origin,
      vendor: 'Microsoft Graph',
      tokenProvider,
      log: context.log,
      observer: context.observer,
      clock: context.clock,
      sleep: context.sleep,
      rateLimit: { key: `intune:${config.tenantId.toLowerCase()}:${config.clientId.toLowerCase()}`, registry: context.rateLimiters, ...RATE_LIMIT },
    });
    this.pageSize = config.pageSize ?? PAGE_SIZE.default;
    this.staleAfterDays = config.staleAfterDays ?? STALE_AFTER_DAYS.default;
  }

  async testConnection(options: { signal?: AbortSignal } = {}): Promise<ConnectionCheck> {
    await this.client.get(MANAGED_DEVICES, { query: { $top: 1, $select: 'id' }, signal: options.signal });
    const catalog = await this.loadCatalog(options.signal);
    return {
      message: `Reached Microsoft Graph for tenant ${this.config.tenantId}: managed devices are readable; ` +
        `${catalog.updates.length} cumulative updates known (${catalog.source}).`,
    };
  }

  async *devices(request: StreamRequest): AsyncGenerator<DeviceRecord> {
    const read: ReadDevice[] = [];
    for await (const device of this.listDevices(request)) {
      read.push(device);
      yield device.record;
    }
    this.devicesRead = read;
  }

  async *updates(request: StreamRequest): AsyncGenerator<UpdateRecord> {
    const catalog = await this.loadCatalog(request.signal);
    for (const update of catalog.updates) yield toUpdateRecord(update);
  }

  async *patchStates(request: StreamRequest): AsyncGenerator<PatchStateRecord> {
    const catalog = await this.loadCatalog(request.signal);
    if (!this.devicesRead) {
      // Called without the device stream (not how the engine runs): derive for every device, as a full read.
      const all: ReadDevice[] = [];
      for await (const d of this.listDevices({ mode: 'full', cursor: null, setCursor: () => undefined, signal: request.signal })) all.push(d);
      this.devicesRead = all;
    }
    for (const device of this.devicesRead) {
      if (device.windows) yield* catalog.index.deriveStates(device.record.externalId, device.windows);
    }
  }

  /**
   * Full when there is no cursor or the catalog changed since it was written (every device's states may differ);
   * otherwise only the devices that checked in, or went quiet, since. Each query is paged by following
   * @odata.nextLink verbatim.
   */
  private async *listDevices(request: StreamRequest): AsyncGenerator<ReadDevice> {
    const catalog = await this.loadCatalog(request.signal);
    const now = this.context.clock.now();
    const previous = request.mode === 'incremental' ? decodeCursor(request.cursor) : null;
    const incremental = previous !== null && previous.catalog === catalog.fingerprint;
    const filters = incremental ? incrementalFilters(previous, now, this.staleAfterDays) : [undefined];

    let lastSync = previous?.lastSync ?? null;
    const seen = new Set<string>();
    for (const filter of filters) {
      const pages = followNextLink<unknown>(this.client, MANAGED_DEVICES, {
        query: { $select: MANAGED_DEVICE_FIELDS.join(','), $top: this.pageSize, $filter: filter },
        signal: request.signal,
      });
      for await (const page of pages) {
        for (const raw of page.items) {
          const device = toDeviceRecord(raw, now, this.staleAfterDays, (build) => catalog.index.knows(build));
          // The two incremental queries can overlap (a device that went quiet and then checked in): once is enough.
          if (seen.has(device.record.externalId)) continue;
          seen.add(device.record.externalId);
          const synced = (raw as { lastSyncDateTime?: string }).lastSyncDateTime;
          if (device.record.lastCheckInAt && synced && (lastSync === null || device.record.lastCheckInAt.getTime() > Date.parse(lastSync))) lastSync = synced;
          yield device;
        }
      }
    }
    if (lastSync !== null) request.setCursor(encodeCursor({ v: 1, lastSync, checkedAt: now.toISOString(), catalog: catalog.fingerprint }));
  }

  /** Once per run: the streams and testConnection share it. */
  private loadCatalog(signal?: AbortSignal): Promise<LoadedCatalog> {
    this.catalog ??= this.readCatalog(signal);
    return this.catalog;
  }

  private async readCatalog(signal?: AbortSignal): Promise<LoadedCatalog> {
    const bundled = bundledCatalog();
    let graph: CumulativeUpdate[] = [];
    let source = 'bundled Microsoft data only';
    if (this.config.updateCatalog !== 'bundled') {
      try {
        const items: unknown[] = [];
        const pages = followNextLink<unknown>(this.client, CATALOG_ITEMS, { query: { $filter: "isof('microsoft.graph.windowsQualityUpdateCatalogItem')" }, signal });
        for await (const page of pages) items.push(...page.items);
        graph = fromGraphItems(items);
        source = `the tenant's Windows update catalog (${graph.length} entries) and the bundled Microsoft data`;
      } catch (err) {
        const unavailable = err instanceof ConnectorError && (err.status === 403 || err.status === 400 || err.status === 404);
        if (!unavailable) throw err;
        const why = err.status === 403 ? `the app lacks ${CATALOG_PERMISSION}` : 'this cloud has no Windows update catalog';
        if (this.config.updateCatalog === 'graph') {
          throw new AuthError(`Microsoft Graph: the Windows update catalog cannot be read (${why}) and updateCatalog is 'graph'`, { status: err.status, vendorCode: err.vendorCode });
        }
        source = `bundled Microsoft data only: ${why}`;
      }
    }
    const updates = mergeCatalogs(graph, bundled);
    return { updates, index: new BuildIndex(updates), fingerprint: catalogFingerprint(updates), source };
  }
}
