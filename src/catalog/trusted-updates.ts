/**
 * Catalog facts patchgraph trusts for every tenant: Microsoft's own data, bundled with the code. A connector's
 * report about an update names the update; for an update this data knows, the facts (title, products, dates, the
 * CVEs it fixes) come from here, whatever a tenant-controlled source (a WSUS collector, an inventory file) said.
 */
import type { ClassificationValue, UpdateRecord } from '../../connectors/sdk/contract';
import { CLASSIFICATION_VALUES } from '../../connectors/sdk/contract';
import { MICROSOFT_CATALOG, MicrosoftCatalog } from '../../connectors/shared/microsoft/microsoft-catalog';
import { fixesOf, severityOf } from '../../connectors/shared/microsoft/microsoft-fixes';

const classificationOf = (value: string): ClassificationValue =>
  CLASSIFICATION_VALUES.includes(value as ClassificationValue) ? (value as ClassificationValue) : 'OTHER';

/** The trusted record for each update key Microsoft's data holds ("microsoft:KB5041585"). */
export function trustedUpdates(data: MicrosoftCatalog = MICROSOFT_CATALOG): Map<string, UpdateRecord> {
  return new Map(
    data.updates.map((u): [string, UpdateRecord] => [
      `microsoft:${u.kb}`,
      {
        key: `microsoft:${u.kb}`, kb: u.kb, title: u.title, vendor: 'Microsoft', products: u.products, classification: classificationOf(u.classification),
        severity: severityOf(u.severity), releasedAt: new Date(u.releasedAt), supersedes: u.supersedes, fixes: fixesOf(u, data),
      },
    ]),
  );
}

export const TRUSTED_UPDATES = trustedUpdates();
