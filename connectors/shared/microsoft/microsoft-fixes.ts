/**
 * What Microsoft's security update data says an update fixes, as connector records: shared by every connector
 * whose own source names no CVEs (Intune's catalog names only exploited ones, WSUS none at all).
 */
import type { SeverityValue, VulnerabilityRecord } from '../../sdk/contract';
import { SEVERITY_VALUES } from '../../sdk/contract';
import { CatalogUpdate, MICROSOFT_CATALOG, MicrosoftCatalog } from './microsoft-catalog';

/** "Critical", "important"… → the contract's value; anything else is UNSPECIFIED. */
export function severityOf(value: unknown): SeverityValue {
  const upper = String(value ?? '').trim().toUpperCase() as SeverityValue;
  return SEVERITY_VALUES.includes(upper) ? upper : 'UNSPECIFIED';
}

/** The CVEs `update` fixes, with CVSS, severity and exploitation as MSRC publishes them. */
export function fixesOf(update: CatalogUpdate, data: MicrosoftCatalog = MICROSOFT_CATALOG): VulnerabilityRecord[] {
  const vulns = new Map(data.vulnerabilities.map((v) => [v.cveId, v]));
  return update.cves.map((cveId) => {
    const v = vulns.get(cveId);
    return {
      cveId,
      title: v?.title ?? null,
      cvssBaseScore: v?.cvssBaseScore ?? null,
      cvssVector: v?.cvssVector ?? null,
      severity: severityOf(v?.severity),
      exploited: v?.exploited ?? false,
      publishedAt: v?.publishedAt ? new Date(v.publishedAt) : null,
    };
  });
}
