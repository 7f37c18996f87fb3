/**
 * The evidence pack's size limit. A pack is built whole in memory (its SHA-256 and its audit record come before its
 * first byte), so what it gathers is counted as it is read and the build stops at the limit: a tenant too large for
 * one pack is refused before its PDF and ZIP are made, and nothing is recorded.
 */
import { EVIDENCE_PACK_MAX_ROWS_VAR } from '../../config/config';
import { PatchgraphError } from '../../errors';
import { HttpStatusOverride } from '../report-http';

/** A report past its size limit: the request is well-formed, but the answer would be too large to build. */
export class ReportTooLargeError extends PatchgraphError implements HttpStatusOverride {
  readonly code = 'BAD_USER_INPUT';
  readonly httpStatus = 413;
  constructor(readonly limit: number, readonly setting: string, message: string) {
    super(message);
  }
  extensions() {
    return { code: 'REPORT_TOO_LARGE', limit: this.limit, setting: this.setting };
  }
}

/** Counts a pack's rows as they are gathered and refuses the first one past the limit. */
export class PackBudget {
  private readonly counts = { assets: 0, findings: 0, exceptions: 0, changeRecords: 0 };
  private rows = 0;

  constructor(readonly maxRows: number) {}

  take(what: keyof PackBudget['counts'], n: number): void {
    this.counts[what] += n;
    this.rows += n;
    if (this.rows <= this.maxRows) return;
    const { assets, findings, exceptions, changeRecords } = this.counts;
    throw new ReportTooLargeError(this.maxRows, EVIDENCE_PACK_MAX_ROWS_VAR,
      `The evidence pack would hold more than ${this.maxRows} rows (${assets} assets, ${findings} findings, ${exceptions} exceptions, ${changeRecords} change records when it stopped), `
      + `the limit ${EVIDENCE_PACK_MAX_ROWS_VAR} sets; nothing was generated or recorded. Ask for a later from (a shorter period, fewer change records) `
      + `or a policy with fewer rules, or ask the operator to raise ${EVIDENCE_PACK_MAX_ROWS_VAR}`);
  }
}
