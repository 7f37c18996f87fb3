import { DataSource } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { AuditEvent } from '../entities';
import { inTransaction } from '../db/transaction';
import { ReportFormat } from './formats/report-format';
import { StoredFilter, storeFilter } from './patch-history-filter';
import { ChainHead, generatorVersions, PatchHistoryReport } from './patch-history-report';

export const REPORT_GENERATED = 'report.generated';
/** Audit events of reports name the report by its content's SHA-256: what verifyReport is asked with. */
export const REPORT_TARGET = 'Report';

/** What is known of a report before its first byte: sent as response headers, and recorded. */
export interface ReportHeader {
  report: 'patch-history';
  format: ReportFormat;
  generatedAt: Date;
  /** The principal's label, e.g. "api-key:auditor (…)" or "cli:alice". */
  generatedBy: string;
  filter: StoredFilter;
  /** The policy version the due dates were computed with: "builtin", or the custom policy's version at knownAt. */
  policyVersion: string | null;
  chainHeads: ChainHead[];
  generator: { patchgraph: string; pdfkit: string };
}

/** The metadata record of a generated report: the `data` of its report.generated audit event. */
export interface ReportRecord extends Omit<ReportHeader, 'generatedAt'> {
  generatedAt: string;
  rowCount: number;
  byteCount: number;
  sha256: string;
}

export async function reportHeader(report: PatchHistoryReport, generatedAt: Date, generatedBy: string): Promise<ReportHeader> {
  return {
    report: 'patch-history', format: report.format, generatedAt, generatedBy, filter: storeFilter(report.filter),
    policyVersion: report.policy?.version ?? null, chainHeads: await report.chainHeads(), generator: generatorVersions(),
  };
}

/**
 * Records a report that was read to its end as a report.generated audit event: in the chain of its one tenant, or
 * in the global chain when it covers several. The event holds everything needed to regenerate the report and compare
 * (filters, knownAt, format) and what it was (rows, bytes, SHA-256, the audit chain heads when it was made).
 */
export async function recordReport(dataSource: DataSource, header: ReportHeader, report: PatchHistoryReport, recordedAt: Date): Promise<{ event: AuditEvent; record: ReportRecord }> {
  const record: ReportRecord = {
    ...header, generatedAt: header.generatedAt.toISOString(), rowCount: report.rowCount, byteCount: report.byteCount, sha256: report.sha256,
  };
  const tenants = report.filter.tenantIds;
  const event = await inTransaction(dataSource, (m) => appendAudit(m, {
    tenantId: tenants !== null && tenants.length === 1 ? tenants[0] : null,
    actor: header.generatedBy, action: REPORT_GENERATED, targetType: REPORT_TARGET, targetId: record.sha256,
    data: record as unknown as Record<string, unknown>, occurredAt: recordedAt,
  }));
  return { event, record };
}
