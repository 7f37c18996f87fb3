import { ArrayMaxSize, IsNumber, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { Field, Float, ID, InputType } from 'type-graphql';
import { AssetStatus, EvidenceKind, PatchStateValue, Severity, UpdateClassification } from '../../entities/enums';
import { OrderDirection, PatchStateView } from '../types/enums';
import { AssetOrderField, PatchStateOrderField, UpdateOrderField } from './order-fields';

const MAX_IDS = 500;

@InputType({ description: 'Filters for tenants' })
export class TenantFilterInput {
  @Field(() => String, { nullable: true, description: 'Part of the tenant name, case-insensitive' })
  @IsOptional()
  @MaxLength(200)
  nameContains?: string | null;
}

@InputType({ description: 'Filters for sites' })
export class SiteFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only sites of these tenants' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Part of the site name, case-insensitive' })
  @IsOptional()
  @MaxLength(200)
  nameContains?: string | null;
}

@InputType({ description: 'Filters for assets; all given filters must match' })
export class AssetFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only assets of these tenants' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only assets in these sites' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  siteIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Part of the operating system name, e.g. "Windows 11", case-insensitive' })
  @IsOptional()
  @MaxLength(128)
  osNameContains?: string | null;

  @Field(() => String, { nullable: true, description: 'Part of the host name or FQDN, case-insensitive' })
  @IsOptional()
  @MaxLength(255)
  hostnameContains?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only assets last seen before this timestamp' })
  @IsOptional()
  lastSeenBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only assets last seen at or after this timestamp' })
  @IsOptional()
  lastSeenAfter?: Date | null;

  @Field(() => AssetStatus, { nullable: true, description: 'Only assets with this status' })
  @IsOptional()
  status?: AssetStatus | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only assets with at least one update MISSING, FAILED or PENDING_REBOOT; false: only assets with none',
  })
  @IsOptional()
  hasMissingUpdates?: boolean | null;

  @Field(() => [Severity], { nullable: true, description: 'Only assets missing at least one update of one of these severities' })
  @IsOptional()
  @ArrayMaxSize(10)
  missingSeverities?: Severity[] | null;
}

@InputType({ description: 'Ordering of assets' })
export class AssetOrderInput {
  @Field(() => AssetOrderField, { description: 'Field to order by; ties are broken by id' })
  field: AssetOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: 'Direction to order in' })
  direction: OrderDirection;
}

@InputType({ description: 'Filters for updates; all given filters must match' })
export class UpdateFilterInput {
  @Field(() => String, { nullable: true, description: 'Knowledge Base number, with or without "KB", e.g. "KB5041585"' })
  @IsOptional()
  @Matches(/^\s*(KB)?\d{4,8}\s*$/i, { message: 'kb must be a KB number such as KB5041585' })
  kb?: string | null;

  @Field(() => [UpdateClassification], { nullable: true, description: 'Only updates of these classifications' })
  @IsOptional()
  @ArrayMaxSize(20)
  classifications?: UpdateClassification[] | null;

  @Field(() => [Severity], { nullable: true, description: 'Only updates of these severities' })
  @IsOptional()
  @ArrayMaxSize(10)
  severities?: Severity[] | null;

  @Field(() => Date, { nullable: true, description: 'Only updates released at or after this timestamp' })
  @IsOptional()
  releasedAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only updates released before this timestamp' })
  @IsOptional()
  releasedBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only updates that fix this CVE, e.g. "CVE-2024-38063"' })
  @IsOptional()
  @Matches(/^\s*CVE-\d{4}-\d{4,}\s*$/i, { message: 'cveId must be a CVE id such as CVE-2024-38063' })
  cveId?: string | null;
}

@InputType({ description: 'Ordering of updates' })
export class UpdateOrderInput {
  @Field(() => UpdateOrderField, { description: 'Field to order by; ties are broken by id' })
  field: UpdateOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: 'Direction to order in' })
  direction: OrderDirection;
}

@InputType({ description: 'Filters for vulnerabilities; all given filters must match' })
export class VulnerabilityFilterInput {
  @Field(() => [String], { nullable: true, description: 'Only these CVE ids' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  @Matches(/^\s*CVE-\d{4}-\d{4,}\s*$/i, { each: true, message: 'cveIds must hold CVE ids such as CVE-2024-38063' })
  cveIds?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: "true: only CVEs in CISA's Known Exploited Vulnerabilities catalog; false: only others" })
  @IsOptional()
  knownExploited?: boolean | null;

  @Field(() => Float, { nullable: true, description: 'Only CVEs with a CVSS v3 base score of at least this' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(10)
  minCvssBaseScore?: number | null;
}

@InputType({ description: 'Filters for patch states; all given filters must match' })
export class PatchStateFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only patch states of these tenants' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only patch states of these assets' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  assetIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only patch states of these updates' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  updateIds?: string[] | null;

  @Field(() => [PatchStateValue], { nullable: true, description: 'Only patch states in these states' })
  @IsOptional()
  @ArrayMaxSize(10)
  states?: PatchStateValue[] | null;

  @Field(() => EvidenceKind, { nullable: true, description: 'Only patch states known this way' })
  @IsOptional()
  evidence?: EvidenceKind | null;

  @Field(() => PatchStateView, {
    nullable: true,
    description: "EFFECTIVE (the default): only the state that decides for each asset and update; ALL_SOURCES: every source's state",
  })
  @IsOptional()
  view?: PatchStateView | null;
}

@InputType({ description: 'Ordering of patch states' })
export class PatchStateOrderInput {
  @Field(() => PatchStateOrderField, { description: 'Field to order by; ties are broken by id' })
  field: PatchStateOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: 'Direction to order in' })
  direction: OrderDirection;
}
