import { DataSource } from 'typeorm';
import { CveFactsReader } from './cve-facts';
import { CveFact } from './patch-history-row';

export interface UpdateFacts {
  kb: string | null;
  title: string;
  classification: string;
  severity: string;
  cves: CveFact[];
}

export interface ConnectorFacts {
  kind: string;
  name: string;
}

/**
 * What the report's rows name besides their events, looked up by id and kept for the life of one report: tenants,
 * sites, connector instances and catalog entries are few (hundreds at most) and named by row after row, so reading
 * them once keeps the per-row statement narrow (the per-row cost of a report is the values the database hands over)
 * and gives every row the same strings. The caches are bounded by the catalog and the fleet's sites, not by rows.
 */
export class ReportLookups {
  private readonly tenants = new Map<string, string>();
  private readonly sites = new Map<string, string>();
  private readonly connectors = new Map<string, ConnectorFacts>();
  private readonly updates = new Map<string, UpdateFacts>();
  private readonly cves: CveFactsReader;

  constructor(private readonly dataSource: DataSource, knownAt: Date) {
    this.cves = new CveFactsReader(dataSource, knownAt);
  }

  tenant(id: string): string {
    return this.tenants.get(id) ?? '';
  }

  site(id: string | null): string | null {
    return id === null ? null : (this.sites.get(id) ?? null);
  }

  connector(id: string | null): ConnectorFacts {
    return (id !== null && this.connectors.get(id)) || { kind: '', name: '' };
  }

  update(id: string): UpdateFacts {
    return this.updates.get(id) ?? { kb: null, title: '', classification: '', severity: '', cves: [] };
  }

  /** Reads whatever a batch names that is not cached yet. */
  async load(batch: { tenantIds: Iterable<string>; siteIds: Iterable<string | null>; connectorIds: Iterable<string | null>; updateIds: Iterable<string> }): Promise<void> {
    await this.fill(this.tenants, batch.tenantIds, 'SELECT id, name FROM tenant WHERE id IN', (r) => String(r.name));
    await this.fill(this.sites, batch.siteIds, 'SELECT id, name FROM site WHERE id IN', (r) => String(r.name));
    await this.fill(this.connectors, batch.connectorIds, 'SELECT id, kind, name FROM connector_instance WHERE id IN', (r) => ({ kind: String(r.kind), name: String(r.name) }));
    const newUpdates = unseen(this.updates, batch.updateIds);
    if (newUpdates.length === 0) return;
    const cves = await this.cves.forUpdates(newUpdates);
    await this.fill(this.updates, newUpdates, 'SELECT id, kb, title, classification, severity FROM software_update WHERE id IN', (r) => ({
      kb: r.kb === null || r.kb === undefined ? null : String(r.kb), title: String(r.title), classification: String(r.classification), severity: String(r.severity),
      cves: cves.get(String(r.id)) ?? [],
    }));
  }

  private async fill<V>(cache: Map<string, V>, ids: Iterable<string | null>, select: string, value: (r: Record<string, unknown>) => V): Promise<void> {
    const missing = unseen(cache, ids);
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows: Array<Record<string, unknown>> = await this.dataSource.query(`${select} (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const r of rows) cache.set(String(r.id), value(r));
    }
  }
}

function unseen(cache: Map<string, unknown>, ids: Iterable<string | null>): string[] {
  const out = new Set<string>();
  for (const id of ids) if (id !== null && !cache.has(id)) out.add(id);
  return [...out];
}
