import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { PatchStateValue } from '../../entities/enums';

const MAX_IDS = 500;

@InputType({ description: 'Filters for audit events; all given filters must match' })
export class AuditEventFilterInput {
  @Field(() => [ID], { nullable: true, description: "Only events of these tenants' chains" })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: "true: only the MSP-wide chain's events (keys, policies, advisories, MSP-wide runs); false: only tenants' chains" })
  @IsOptional()
  mspWide?: boolean | null;

  @Field(() => [String], { nullable: true, description: 'Only these actions, e.g. "sync.run", "tenant.rename", "apiKey.revoked"' })
  @IsOptional()
  @ArrayMaxSize(100)
  @MaxLength(64, { each: true })
  actions?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Part of the actor, case-insensitive, e.g. "api-key:portal" or "cli:"' })
  @IsOptional()
  @MaxLength(255)
  actorContains?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events about objects of this kind, e.g. "Tenant", "SyncRun", "ApiKey"' })
  @IsOptional()
  @MaxLength(64)
  targetType?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only events about this object: its global id, or its key as targetId shows it' })
  @IsOptional()
  @MaxLength(1024)
  targetId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events that occurred at or after this time' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only events that occurred at or before this time' })
  @IsOptional()
  to?: Date | null;
}

@InputType({ description: 'Filters for patch events; all given filters must match' })
export class PatchEventFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only events of these tenants' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  tenantIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only events of these assets' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  assetIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only events these source devices reported' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  sourceDeviceIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only events of these updates' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  updateIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only events of updates with these KB numbers, e.g. "KB5075912"' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  @MaxLength(32, { each: true })
  kbs?: string[] | null;

  @Field(() => [PatchStateValue], { nullable: true, description: 'Only transitions from these states' })
  @IsOptional()
  @ArrayMaxSize(10)
  fromStates?: PatchStateValue[] | null;

  @Field(() => [PatchStateValue], { nullable: true, description: 'Only transitions to these states, e.g. [INSTALLED]' })
  @IsOptional()
  @ArrayMaxSize(10)
  toStates?: PatchStateValue[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only first observations (fromState null); false: only changes of a known state' })
  @IsOptional()
  firstSeen?: boolean | null;

  @Field(() => [ID], { nullable: true, description: 'Only events these sync runs wrote' })
  @IsOptional()
  @ArrayMaxSize(MAX_IDS)
  syncRunIds?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Only events observed at or after this time' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only events observed at or before this time' })
  @IsOptional()
  to?: Date | null;
}
