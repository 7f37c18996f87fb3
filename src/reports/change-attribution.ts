import { DataSource } from 'typeorm';
import { targetAssetIds } from '../access/change-evidence';
import { ChangeRequest } from '../entities';

interface Window {
  reference: string;
  assetIds: Set<string>;
  startedAt: number;
  /** When the change finished, if it had by knownAt; else it was still running then. */
  finishedAt: number | null;
}

/**
 * Which change record a patch event belongs to, for the report's changeRecord column: a change that had started by
 * knownAt, of the event's tenant, whose updates include the event's and whose targets include its asset, with the
 * event observed between the change's start and its end (or knownAt, if it had not ended by then), as the change's
 * verification reads them (change-evidence.ts). Where changes overlap, the one that started first. Read once per
 * tenant for a report: a tenant has few changes, each indexed by its updates.
 */
export class ChangeAttribution {
  private readonly byTenant = new Map<string, Map<string, Window[]>>();

  constructor(private readonly dataSource: DataSource, private readonly knownAt: Date) {}

  async load(tenantId: string): Promise<void> {
    if (this.byTenant.has(tenantId)) return;
    const changes = await this.dataSource.getRepository(ChangeRequest).createQueryBuilder('c')
      .where('c.tenantId = :tenantId AND c.startedAt IS NOT NULL AND c.startedAt <= :knownAt', { tenantId, knownAt: this.knownAt })
      .orderBy('c.startedAt', 'ASC').addOrderBy('c.reference', 'ASC')
      .getMany();
    const byUpdate = new Map<string, Window[]>();
    for (const change of changes) {
      const finished = change.finishedAt && change.finishedAt <= this.knownAt ? change.finishedAt.getTime() : null;
      const window: Window = { reference: change.reference, assetIds: new Set(await targetAssetIds(this.dataSource.manager, change)), startedAt: change.startedAt!.getTime(), finishedAt: finished };
      for (const updateId of change.updateIds) byUpdate.set(updateId, [...(byUpdate.get(updateId) ?? []), window]);
    }
    this.byTenant.set(tenantId, byUpdate);
  }

  /** Whether any change of the tenant (loaded) names the update: most events' updates are in none, and need no time. */
  mayAttribute(tenantId: string, updateId: string): boolean {
    return this.byTenant.get(tenantId)?.has(updateId) ?? false;
  }

  /** The change's reference (e.g. CHG-2026-000042), or null when no change record stands behind the event. */
  of(tenantId: string, assetId: string | null, updateId: string, observedAt: Date): string | null {
    if (!assetId) return null;
    const at = observedAt.getTime();
    const hit = this.byTenant.get(tenantId)?.get(updateId)?.find((w) => w.assetIds.has(assetId) && at >= w.startedAt && (w.finishedAt === null || at <= w.finishedAt));
    return hit?.reference ?? null;
  }
}
