import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, ArgsType, Ctx, Field, Float, ID, InputType, Int, ObjectType, Query, registerEnumType, Resolver } from 'type-graphql';
import { Severity } from '../../entities/enums';
import { UserInputError } from '../../errors';
import { presentFilter, loadFilter } from '../../reports/patch-history-filter';
import { MAX_LIST, checkRequest, RequestFields } from '../../reports/patch-history-request';
import { CveFact, PatchHistoryRow } from '../../reports/patch-history-row';
import { decodePosition, encodePosition } from '../../reports/patch-history-source';
import { PatchTransition } from '../../reports/patch-transition';
import { isSha256 } from '../../reports/verify-report';
import { RequestContext } from '../context';
import { Connection } from '../types/connection';
import { keyOf, keysOf, toGlobalId } from '../types/global-id';

registerEnumType(PatchTransition, {
  name: 'PatchTransition',
  description: 'What a patch event means to an auditor; changes that mean none of these are not in the patch history',
  valuesConfig: {
    FIRST_SEEN_MISSING: { description: 'The device needs the update: first reported missing, or missing after being not applicable or unknown' },
    INSTALLED: { description: 'Installed, after being missing, failed, pending a restart, not applicable or unknown' },
    FIRST_SEEN_INSTALLED: { description: 'Already installed when the source first reported the update on the device' },
    FAILED: { description: 'An installation was attempted and failed' },
    PENDING_REBOOT: { description: 'Installed, waiting for a restart to take effect' },
    ROLLED_BACK: { description: 'Missing again after being installed or pending a restart' },
    NO_LONGER_APPLICABLE: { description: 'No longer applies while not installed: the need closed without an install' },
  },
});

@ObjectType('PatchHistoryCve', { description: 'A CVE the update fixes, with the facts the report shows' })
class PatchHistoryCve {
  @Field({ description: 'CVE identifier, e.g. "CVE-2024-38063"' })
  cveId: string;

  @Field(() => Float, { nullable: true, description: 'CVSS base score' })
  cvss: number | null;

  @Field(() => String, { nullable: true, description: 'Date (YYYY-MM-DD) CISA added the CVE to the Known Exploited Vulnerabilities catalog; null when not in it' })
  kevDateAdded: string | null;

  @Field(() => Float, { nullable: true, description: 'EPSS probability of exploitation in the next 30 days (0 to 1)' })
  epss: number | null;
}

const time = (iso: string | null) => (iso === null ? null : new Date(iso));

@ObjectType('PatchHistoryRow', { description: 'One row of the patch history report: one patch event that matters, with what an auditor needs to read it on its own. The CSV, JSON Lines and PDF forms have the same rows' })
export class PatchHistoryRowType {
  @Field(() => ID, { description: 'The patch event' })
  eventId: string;

  @Field({ description: 'Name of the tenant' })
  tenant: string;

  @Field(() => String, { nullable: true, description: 'Name of the asset\'s site' })
  site: string | null;

  @Field(() => ID, { nullable: true, description: 'The asset the event\'s source device belongs to; null when it belongs to none now' })
  assetId: string | null;

  @Field(() => String, { nullable: true, description: 'Host name of the asset (of the source device when it belongs to no asset)' })
  hostname: string | null;

  @Field(() => String, { nullable: true, description: 'Serial number of the asset' })
  serialNumber: string | null;

  @Field(() => String, { nullable: true, description: 'Knowledge Base article number of the update' })
  kb: string | null;

  @Field({ description: 'Title of the update' })
  updateTitle: string;

  @Field({ description: 'Classification of the update' })
  classification: string;

  @Field({ description: 'Vendor\'s severity rating of the update' })
  severity: string;

  @Field(() => [PatchHistoryCve], { description: 'The CVEs the update fixes, by CVE id' })
  cves: CveFact[];

  @Field(() => PatchTransition, { description: 'What the event means' })
  transition: string;

  @Field(() => String, { nullable: true, description: 'The state before, as the source reported it; null when the source first reported the update' })
  fromState: string | null;

  @Field({ description: 'The state after, as the source reported it' })
  toState: string;

  @Field(() => Date, { nullable: true, description: 'Timestamp the source tool reported for the change, when it reported one' })
  reportedAt: Date | null;

  @Field({ description: 'Timestamp patchgraph observed the change' })
  observedAt: Date;

  @Field({ description: 'Kind of the connector that saw the change, e.g. "wsus"' })
  sourceTool: string;

  @Field({ description: 'Name of the connector instance that saw the change' })
  connectorName: string;

  @Field(() => ID, { nullable: true, description: 'The sync run that recorded the change' })
  syncRunId: string | null;

  @Field({ description: 'How the state is known: REPORTED per update, or DERIVED from the OS build' })
  evidence: string;

  @Field(() => String, { nullable: true, description: 'Reference of the change record the event belongs to (its update, on one of its targets, observed while the change ran, as known at knownAt); null when none' })
  changeRecord: string | null;

  @Field(() => Date, { nullable: true, description: 'With a policy: timestamp the fix was due on the asset (the earliest of the rules covering it); null when no rule covers it' })
  policyDueAt: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'With a policy: whether the fix was installed by its due time; null when not known (first seen installed only after it, or not yet due at knownAt and not installed)' })
  policyDueMet: boolean | null;

  static of(r: PatchHistoryRow): PatchHistoryRowType {
    return Object.assign(new PatchHistoryRowType(), {
      ...r,
      cves: r.cves.map((c) => Object.assign(new PatchHistoryCve(), c)),
      reportedAt: time(r.reportedAt), observedAt: new Date(r.observedAt), policyDueAt: time(r.policyDueAt),
    });
  }
}

export const PatchHistoryRowConnection = Connection(PatchHistoryRowType, 'PatchHistoryRow');

const FIELDS: RequestFields = {
  tenant: 'filter.tenantId', from: 'filter.from', to: 'filter.to', knownAt: 'filter.knownAt', site: 'filter.siteIds', asset: 'filter.assetIds', kb: 'filter.kbs',
  cve: 'filter.cveIds', severity: 'filter.severities', transition: 'filter.transitions', policy: 'filter.policy',
};

@InputType({ description: 'What a patch history report covers; every given filter must match' })
class PatchHistoryFilterInput {
  @Field(() => ID, { nullable: true, description: 'Only this tenant; default every tenant the caller sees' })
  tenantId?: string | null;

  @Field({ description: 'Start of the period (included), on the event\'s time: the vendor-reported time, or the observed time when none or later' })
  from: Date;

  @Field({ description: 'End of the period (not included)' })
  to: Date;

  @Field(() => Date, { nullable: true, description: 'Only events patchgraph had recorded by then; default now. Pages of one report share it: the cursors carry it' })
  knownAt?: Date | null;

  @Field(() => [ID], { nullable: true, description: 'Only assets in these sites' })
  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  siteIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only these assets' })
  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  assetIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only updates with these KB numbers, e.g. "KB5041585"' })
  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  kbs?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only updates that fix one of these CVEs' })
  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  cveIds?: string[] | null;

  @Field(() => [Severity], { nullable: true, description: 'Only updates of these vendor severities' })
  @IsOptional()
  severities?: Severity[] | null;

  @Field(() => [PatchTransition], { nullable: true, description: 'Only these transitions' })
  @IsOptional()
  transitions?: PatchTransition[] | null;

  @Field(() => String, { nullable: true, description: 'A policy key: adds each row\'s due time under the policy and keeps only the updates it covers' })
  @IsOptional()
  @MaxLength(64)
  policy?: string | null;
}

@ArgsType()
class PatchHistoryArgs {
  @Field(() => PatchHistoryFilterInput, { description: 'What the report covers' })
  filter: PatchHistoryFilterInput;

  @Field(() => Int, { nullable: true, description: 'Number of rows to return; default and maximum as for every connection' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return rows after this cursor (endCursor of the previous page)' })
  @IsOptional()
  @MaxLength(1024)
  after?: string | null;
}

@ObjectType({ description: 'The head of one audit chain when a report was generated' })
class AuditChainHeadState {
  @Field({ description: 'The chain: a tenant\'s key, or "global"' })
  chainKey: string;

  @Field(() => Int, { description: 'Sequence number of its latest event' })
  seq: number;

  @Field({ description: 'Hash of its latest event' })
  hash: string;
}

@ObjectType({ description: 'A recorded report regenerated from its filters and knownAt, and compared with what was recorded' })
class ReportVerification {
  @Field({ description: 'SHA-256 of the report\'s content, as recorded' })
  sha256: string;

  @Field({ description: 'Indicates regenerating the report gave exactly the recorded bytes' })
  identical: boolean;

  @Field({ description: 'The report\'s format: csv, jsonl or pdf' })
  format: string;

  @Field(() => GraphQLJSONObject, { description: 'The filters the report was generated with (tenant, site and asset ids as global ids)' })
  filters: Record<string, unknown>;

  @Field({ description: 'The report\'s knownAt: only events recorded by then are in it' })
  knownAt: Date;

  @Field({ description: 'Timestamp the report was generated' })
  generatedAt: Date;

  @Field({ description: 'Who generated it' })
  generatedBy: string;

  @Field(() => Int, { description: 'Rows the report had' })
  rowCount: number;

  @Field(() => Int, { description: 'Rows regenerating gives' })
  regeneratedRowCount: number;

  @Field({ description: 'SHA-256 of the regenerated content' })
  regeneratedSha256: string;

  @Field(() => [AuditChainHeadState], { description: 'The heads of the audit chains of its tenants when it was generated' })
  auditChainHeads: AuditChainHeadState[];

  @Field(() => ID, { description: 'The report.generated audit event that recorded it' })
  reportId: string;
}

@Resolver()
export class PatchHistoryResolver {
  @Query(() => PatchHistoryRowConnection, {
    description: 'The patch history report: one row per patch event that matters (installed, failed, first seen missing…) in a period, in report order (tenant, observed time, event), as recorded by knownAt. The same rows as GET /reports/patch-history.csv, .jsonl and .pdf',
  })
  async patchHistory(@Args() args: PatchHistoryArgs, @Ctx() { access, config }: RequestContext) {
    const f = args.filter;
    const first = args.first ?? config.defaultPageSize;
    if (!Number.isInteger(first) || first < 0 || first > config.maxPageSize) throw new UserInputError('first', `must be between 0 and ${config.maxPageSize}`);
    const cursor = args.after ? decodePosition(args.after, 'after') : null;
    if (cursor && f.knownAt && f.knownAt.getTime() !== cursor.knownAt.getTime()) throw new UserInputError('after', 'was issued for another knownAt; request the first page again');
    const request = checkRequest({
      tenantId: f.tenantId ? keyOf('Tenant', f.tenantId, FIELDS.tenant) : null,
      from: f.from, to: f.to, knownAt: f.knownAt ?? cursor?.knownAt ?? null,
      siteIds: keysOf('Site', f.siteIds, FIELDS.site), assetIds: keysOf('Asset', f.assetIds, FIELDS.asset),
      kbs: f.kbs ?? null, cveIds: f.cveIds ?? null, severities: f.severities ?? null, transitions: f.transitions ?? null, policy: f.policy ?? null,
    }, FIELDS);
    const { filter, policy } = await access.patchHistory.resolve(request, FIELDS);
    const source = await access.patchHistory.source(filter, policy, first + 1);
    const rows: Array<{ row: PatchHistoryRowType; cursor: string }> = [];
    if (first > 0) {
      for await (const { row, position } of source.rows(cursor?.position ?? null)) {
        rows.push({ row: PatchHistoryRowType.of(row), cursor: encodePosition(position, filter.knownAt) });
        if (rows.length > first) break;
      }
    }
    const page = rows.slice(0, first);
    const cursors = new Map(page.map((r) => [r.row, r.cursor]));
    return PatchHistoryRowConnection.of(
      { rows: page.map((r) => r.row), cursorOf: (row) => cursors.get(row)!, hasNextPage: rows.length > first, hasPreviousPage: cursor !== null },
      () => source.count(),
    );
  }

  @Query(() => ReportVerification, {
    description: 'Proves a report: finds the report recorded with this SHA-256, regenerates it from its recorded filters and knownAt, and says whether the bytes are identical. NOT_FOUND for a report never recorded or covering tenants the caller does not see',
  })
  async verifyReport(
    @Arg('sha256', { description: 'SHA-256 of the report\'s content, in hex (the X-Patchgraph-Content-SHA256 trailer, or sha256sum of the file)' }) sha256: string,
    @Ctx() { access }: RequestContext,
  ): Promise<ReportVerification> {
    const digest = sha256.trim().toLowerCase();
    if (!isSha256(digest)) throw new UserInputError('sha256', 'must be 64 hexadecimal digits');
    const v = await access.patchHistory.verify(digest);
    return Object.assign(new ReportVerification(), {
      sha256: v.sha256, identical: v.identical, format: v.record.format, filters: presentFilter(loadFilter(v.record.filter)),
      knownAt: new Date(v.record.filter.knownAt), generatedAt: new Date(v.record.generatedAt), generatedBy: v.record.generatedBy,
      rowCount: v.record.rowCount, regeneratedRowCount: v.regenerated.rowCount, regeneratedSha256: v.regenerated.sha256,
      auditChainHeads: v.record.chainHeads.map((h) => Object.assign(new AuditChainHeadState(), h)),
      reportId: toGlobalId('AuditEvent', v.auditEventId),
    });
  }
}
