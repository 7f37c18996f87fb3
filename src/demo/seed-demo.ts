import { DataSource } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { inTransaction } from '../db/transaction';
import { Asset, ConnectorInstance, PatchEvent, PatchState, Site, SourceDevice, Tenant } from '../entities';
import { AssetStatus, EvidenceKind, PatchStateValue } from '../entities/enums';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { loadCatalog, MICROSOFT_CATALOG } from './catalog';
import { buildAtLeast, seededRandom, WINDOWS_RELEASES } from './fleet';
import { insertRows } from '../db/insert-rows';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface DemoTenant {
  name: string;
  code: string;
  domain: string;
  sites: string[];
  /** Which tools manage this client's devices. */
  tools: Array<'intune' | 'wsus' | 'datto-rmm'>;
  devices: number;
}

const DEMO_TENANTS: DemoTenant[] = [
  { name: 'Contoso Academy Trust', code: 'CAT', domain: 'contoso-academy.example', sites: ['Hillside Primary', 'Riverside Secondary'], tools: ['intune', 'wsus'], devices: 16 },
  { name: 'Fabrikam Logistics', code: 'FAB', domain: 'fabrikam.example', sites: ['Head Office', 'Warehouse'], tools: ['intune', 'datto-rmm'], devices: 12 },
  { name: 'Northwind Dental', code: 'NWD', domain: 'northwind-dental.example', sites: ['Leeds Surgery', 'York Surgery'], tools: ['datto-rmm', 'wsus'], devices: 10 },
];

const CONNECTOR_NAMES = { intune: 'Microsoft Intune (demo)', wsus: 'WSUS (demo)', 'datto-rmm': 'Datto RMM (demo)' } as const;

/** True when the database holds no tenants yet: the only time the demo loads. */
export async function isEmpty(dataSource: DataSource): Promise<boolean> {
  return (await dataSource.getRepository(Tenant).count()) === 0;
}

/**
 * Loads a realistic sample: the real Microsoft cumulative updates of Aug/Sep 2024 and Feb 2026 with their CVEs,
 * three client tenants, and a fleet at mixed patch levels seen by one or two tools each. Patch states are
 * derived from each device's build the way the Intune connector will, or reported per KB as WSUS does.
 */
export async function seedDemo(dataSource: DataSource, clock: Clock): Promise<{ tenants: number; assets: number; patchStates: number }> {
  const now = clock.now();
  const rand = seededRandom(20240813);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

  return inTransaction(dataSource, async (m) => {
    const { updates } = await loadCatalog(m, now);
    const updatesByProduct = new Map<string, Array<{ id: string; fixedBuild: string; releasedAt: Date }>>();
    for (const u of MICROSOFT_CATALOG.updates) {
      for (const [product, fixedBuild] of Object.entries(u.fixedBuilds)) {
        const list = updatesByProduct.get(product) ?? [];
        list.push({ id: updates.get(u.kb)!.id, fixedBuild, releasedAt: new Date(u.releasedAt) });
        updatesByProduct.set(product, list);
      }
    }

    let assetCount = 0;
    let stateCount = 0;
    for (const t of DEMO_TENANTS) {
      const tenant = Object.assign(new Tenant(), { id: newId(), name: t.name, createdAt: now, updatedAt: now });
      await insertRows(m, Tenant, [tenant]);
      const sites = t.sites.map((name) => Object.assign(new Site(), { id: newId(), tenantId: tenant.id, name, createdAt: now, updatedAt: now }));
      await insertRows(m, Site, sites);
      const connectors = Object.fromEntries(
        t.tools.map((kind) => [
          kind,
          Object.assign(new ConnectorInstance(), {
            id: newId(), tenantId: tenant.id, kind, name: CONNECTOR_NAMES[kind], config: JSON.stringify({ demo: true }),
            secretsCiphertext: null, syncIntervalSeconds: null, enabled: false, cursors: null, createdAt: now, updatedAt: now,
          }),
        ]),
      ) as Record<string, ConnectorInstance>;
      await insertRows(m, ConnectorInstance, Object.values(connectors));

      const assets: Asset[] = [];
      const sources: SourceDevice[] = [];
      const states: PatchState[] = [];
      const events: PatchEvent[] = [];
      for (let i = 1; i <= t.devices; i++) {
        const server = i % 6 === 0;
        const release = server ? WINDOWS_RELEASES[3] : pick(WINDOWS_RELEASES.slice(0, 3));
        const r = rand();
        const level = r < 0.5 ? 3 : r < 0.7 ? 2 : r < 0.85 ? 1 : 0;
        const build = release.levels[level];
        const hostname = `${t.code}-${server ? 'SRV' : pick(['LT', 'PC'])}-${String(i).padStart(3, '0')}`;
        const stale = i === t.devices; // one device per client has not checked in for weeks
        const lastSeenAt = new Date(now.getTime() - (stale ? 45 * DAY : Math.floor(rand() * 72) * HOUR));
        const serial = `${pick(['5CD', 'PF3', 'CZC', 'MXL'])}${Math.floor(rand() * 36 ** 6).toString(36).toUpperCase().padStart(6, '0')}`;
        const asset = Object.assign(new Asset(), {
          id: newId(), tenantId: tenant.id, siteId: sites[i % sites.length].id, hostname,
          fqdn: `${hostname.toLowerCase()}.${t.domain}`, serialNumber: serial, osName: release.osName, osVersion: release.osVersion,
          osBuild: build, status: stale ? AssetStatus.STALE : AssetStatus.ACTIVE, lastSeenAt, createdAt: now, updatedAt: now,
        });
        assets.push(asset);

        // Servers sit in WSUS (and the RMM); workstations in Intune and, for some clients, WSUS as well.
        const tools = t.tools.filter((k) => (server ? k !== 'intune' : k !== 'wsus' || rand() < 0.5));
        for (const kind of tools) {
          const source = Object.assign(new SourceDevice(), {
            id: newId(), tenantId: tenant.id, connectorInstanceId: connectors[kind].id, assetId: asset.id,
            externalId: newId(),
            hostname, fqdn: kind === 'wsus' ? asset.fqdn : null, serialNumber: kind === 'wsus' ? null : serial,
            azureAdDeviceId: kind === 'intune' ? newId() : null, smbiosUuid: null, macAddresses: [],
            osName: release.osName, osVersion: `10.0.${build}`, osBuild: build, lastCheckInAt: lastSeenAt,
            vendorSite: kind === 'datto-rmm' ? t.name : null, payloadDigest: null,
            matchedBy: tools.length > 1 ? (kind === 'wsus' ? 'hostname' : 'serialNumber') : null,
            stale, firstSeenAt: now, lastSeenAt: now,
          });
          sources.push(source);
          if (kind === 'datto-rmm') continue; // Datto's API reports device-level posture only, never per KB
          for (const u of updatesByProduct.get(release.product) ?? []) {
            let state = buildAtLeast(build, u.fixedBuild) ? PatchStateValue.INSTALLED : PatchStateValue.MISSING;
            if (kind === 'wsus' && state === PatchStateValue.MISSING) {
              const x = rand();
              if (x < 0.15) state = PatchStateValue.FAILED;
              else if (x < 0.3) state = PatchStateValue.PENDING_REBOOT;
            }
            const missingSince = new Date(Math.max(u.releasedAt.getTime() + 2 * DAY, now.getTime() - 30 * DAY));
            const ps = Object.assign(new PatchState(), {
              id: newId(), tenantId: tenant.id, assetId: asset.id, sourceDeviceId: source.id, updateId: u.id, state,
              evidence: kind === 'wsus' ? EvidenceKind.REPORTED : EvidenceKind.DERIVED,
              firstSeenMissingAt: state === PatchStateValue.INSTALLED ? null : missingSince,
              installedAt: state === PatchStateValue.INSTALLED ? now : null,
              changedAt: now, observedAt: now,
            });
            states.push(ps);
            events.push(Object.assign(new PatchEvent(), {
              id: newId(), tenantId: tenant.id, assetId: asset.id, sourceDeviceId: source.id, updateId: u.id, syncRunId: null,
              fromState: null, toState: state, reportedAt: null, observedAt: now,
            }));
          }
        }
      }
      await insertRows(m, Asset, assets);
      await insertRows(m, SourceDevice, sources);
      await insertRows(m, PatchState, states);
      await insertRows(m, PatchEvent, events);
      await appendAudit(m, {
        tenantId: tenant.id, actor: 'system', action: 'demo.load', targetType: 'Tenant', targetId: tenant.id,
        data: { assets: assets.length, sources: sources.length, patchStates: states.length }, occurredAt: now,
      });
      assetCount += assets.length;
      stateCount += states.length;
    }
    return { tenants: DEMO_TENANTS.length, assets: assetCount, patchStates: stateCount };
  });
}
