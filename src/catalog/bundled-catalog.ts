import { EntityManager } from 'typeorm';
import { Update } from '../entities';
import { MICROSOFT_CATALOG } from '../../connectors/shared/microsoft/microsoft-catalog';
import { writeSharedCatalog } from './shared-catalog';

export { MICROSOFT_CATALOG };

export interface BundledCatalog {
  updates: Map<string, Update>;
}

/** Writes the bundled catalog's updates, vulnerabilities and their links as shared entries (those missing only). */
export async function loadBundledCatalog(m: EntityManager, now: Date, data = MICROSOFT_CATALOG): Promise<BundledCatalog> {
  const { updates } = await writeSharedCatalog(m, data, now, { refresh: false, vendorSourceId: null });
  return { updates };
}
