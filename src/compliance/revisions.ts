/**
 * The revisions kept compliance answers (kept-answers.ts) follow: asset.revision, raised whenever anything a
 * compliance answer reads of an asset, its sources or their states may have changed, and tenant.assetsRevision,
 * raised with any of its assets' and when one is added or removed. Every writer of those calls these: refreshAssets
 * (the funnel of every change to sources, their freshness and their states) and the asset's compliance settings.
 */
import { EntityManager, In } from 'typeorm';
import { Asset, Tenant } from '../entities';

/** Statements of raiseAssetRevisions: far under SQLite's 32,766 parameters, and short turns of the writer. */
const REVISIONS_PER_STATEMENT = 500;

/** Raises the revision of each of the tenant's assets named, and the tenant's. */
export async function raiseAssetRevisions(m: EntityManager, tenantId: string, assetIds: readonly string[]): Promise<void> {
  const revision = m.connection.driver.escape('revision');
  for (let i = 0; i < assetIds.length; i += REVISIONS_PER_STATEMENT) {
    await m.createQueryBuilder().update(Asset).set({ revision: () => `${revision} + 1` })
      .where({ id: In(assetIds.slice(i, i + REVISIONS_PER_STATEMENT)) }).execute();
  }
  await raiseTenantRevision(m, tenantId);
}

/** Raises tenant.assetsRevision: covers the assets added and removed, whose own revisions say nothing. */
async function raiseTenantRevision(m: EntityManager, tenantId: string): Promise<void> {
  const column = m.connection.driver.escape('assetsRevision');
  await m.createQueryBuilder().update(Tenant).set({ assetsRevision: () => `${column} + 1` }).where({ id: tenantId }).execute();
}
