import { ArrayMaxSize, IsInt, IsOptional, Length, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { SyncRunStatus } from '../../entities/enums';
import { DisplayName } from './display-name';

const MAX_IDS = 500;
// Shorter than an hour's fraction would hammer vendor APIs; longer than a week is no schedule.
const MIN_INTERVAL = 300;
const MAX_INTERVAL = 7 * 24 * 3600;

@InputType({ description: 'Input of createConnectorInstance' })
export class CreateConnectorInstanceInput {
  @Field(() => ID, {
    nullable: true,
    description: "Tenant whose devices the instance reads; null for an MSP-wide instance (one vendor account serving many clients, e.g. Datto RMM) whose vendor sites are mapped to tenants with mapVendorSite",
  })
  tenantId?: string | null;

  @Field({ description: 'Connector kind, one of connectorKinds' })
  @Length(1, 64)
  kind: string;

  @Field({ description: 'Display name of the instance, trimmed; the character rules of CreateTenantInput.name apply' })
  @DisplayName()
  name: string;

  @Field(() => GraphQLJSONObject, { description: "Settings as the connector kind lists them, secrets included; secrets are stored encrypted and never returned" })
  settings: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: 'Seconds between scheduled syncs (300 to 604800); null syncs only when triggered' })
  @IsOptional()
  @IsInt()
  @Min(MIN_INTERVAL)
  @Max(MAX_INTERVAL)
  syncIntervalSeconds?: number | null;

  @Field({ nullable: true, description: 'Whether scheduled syncs run; defaults to true' })
  enabled?: boolean;
}

@InputType({ description: 'Input of updateConnectorInstance; omitted fields keep their value' })
export class UpdateConnectorInstanceInput {
  @Field(() => ID, { description: 'The instance to change' })
  id: string;

  @Field(() => String, { nullable: true, description: 'New display name, with the rules of CreateConnectorInstanceInput.name' })
  @IsOptional()
  @DisplayName()
  name?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Settings to change, merged into the stored ones; a null value removes a setting. Changing settings resets incremental cursors' })
  settings?: Record<string, unknown> | null;

  @Field(() => Int, { nullable: true, description: 'Seconds between scheduled syncs (300 to 604800); null stops scheduling' })
  @IsOptional()
  @IsInt()
  @Min(MIN_INTERVAL)
  @Max(MAX_INTERVAL)
  syncIntervalSeconds?: number | null;

  @Field({ nullable: true, description: 'Whether scheduled syncs run' })
  enabled?: boolean;
}

@InputType({ description: 'Input of triggerSync' })
export class TriggerSyncInput {
  @Field(() => ID, { description: 'The instance to sync' })
  connectorInstanceId: string;

  @Field({ nullable: true, description: 'Read everything, ignoring incremental cursors; only a full sync marks missing devices stale' })
  full?: boolean;

  @Field({ nullable: true, description: 'Answer only when the run has finished (for scripts); by default answer at once with the RUNNING run' })
  wait?: boolean;
}

@InputType({ description: 'Filters for connector instances' })
export class ConnectorInstanceFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only instances of these tenants' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only instances of these connector kinds' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  kinds?: string[] | null;
}

@InputType({ description: 'Filters for sync runs' })
export class SyncRunFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only runs of these tenants' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only runs of these connector instances' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  connectorInstanceIds?: string[] | null;

  @Field(() => [SyncRunStatus], { nullable: true, description: 'Only runs in these states' })
  @IsOptional()
  statuses?: SyncRunStatus[] | null;
}

@InputType({ description: 'Input of mergeAssets' })
export class MergeAssetsInput {
  @Field(() => ID, { description: 'The asset that remains' })
  targetAssetId: string;

  @Field(() => [ID], { description: 'Assets whose source devices move onto the target; they are removed' })
  @ArrayMaxSize(100)
  assetIds: string[];
}

@InputType({ description: 'Input of splitAsset' })
export class SplitAssetInput {
  @Field(() => ID, { description: 'The asset to split' })
  assetId: string;

  @Field(() => [ID], { description: 'Source devices of the asset that move onto a new asset' })
  @ArrayMaxSize(100)
  sourceDeviceIds: string[];
}
