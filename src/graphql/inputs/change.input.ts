import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { ChangeRisk, ChangeType, ClosureCode } from '../../change/change-kinds';
import { AssetFilterInput } from './filters.input';

@InputType({ description: 'What a change is for: at least one asset, site, deployment ring or saved filter of its tenant' })
export class ChangeTargetsInput {
  @Field(() => [ID], { defaultValue: [], description: 'Ids of assets' })
  @ArrayMaxSize(1000)
  assetIds: string[];

  @Field(() => [ID], { defaultValue: [], description: 'Ids of sites: every asset of each' })
  @ArrayMaxSize(1000)
  siteIds: string[];

  @Field(() => [ID], { defaultValue: [], description: 'Ids of deployment rings: every member of each' })
  @ArrayMaxSize(100)
  ringIds: string[];

  @Field(() => AssetFilterInput, {
    nullable: true,
    description: 'A saved filter, as the assets query takes: every asset of the change\'s tenant it matches when the change is verified, windowed or reported on, not only those matching when it was raised. tenantIds may only hold the change\'s tenant; sites must be the tenant\'s; lists must not be empty. An empty filter is refused: to target every asset of the tenant, give the change\'s tenant in tenantIds. hasMissingUpdates and missingSeverities are read then too, so an asset the change patches may stop matching; the evidence kept at completion keeps who the targets were',
  })
  filter?: AssetFilterInput | null;
}

@InputType({ description: 'A ticket in a PSA or ITSM tool' })
export class ExternalTicketInput {
  @Field({ description: 'The tool, e.g. "ConnectWise", "Autotask", "ServiceNow" (at most 64 characters)' })
  @MaxLength(200)
  system: string;

  @Field({ description: 'The ticket\'s id in that tool (at most 128 characters)' })
  @MaxLength(200)
  id: string;
}

@InputType({ description: 'Input of createChangeRequest and updateChangeRequest' })
export class ChangeRequestInput {
  @Field(() => ID, { description: 'Id of the tenant the change is for' })
  tenantId: string;

  @Field(() => ChangeType, { description: 'How the change is agreed' })
  type: ChangeType;

  @Field({ description: 'Short title (at most 500 characters)' })
  @MaxLength(2000)
  title: string;

  @Field({ description: 'What is changed and why (at most 4000 characters)' })
  @MaxLength(20000)
  description: string;

  @Field(() => [ID], { defaultValue: [], description: 'Ids of the catalog updates to deploy' })
  @ArrayMaxSize(1000)
  updateIds: string[];

  @Field(() => [String], { defaultValue: [], description: 'KB numbers to deploy, e.g. KB5075912: every catalog update with that KB the tenant may name' })
  @ArrayMaxSize(100)
  kbs: string[];

  @Field(() => ChangeTargetsInput, { description: 'What the change is for' })
  targets: ChangeTargetsInput;

  @Field(() => ChangeRisk, { description: 'Risk assessment' })
  risk: ChangeRisk;

  @Field({ description: 'Impact assessment (at most 4000 characters)' })
  @MaxLength(20000)
  impact: string;

  @Field(() => String, { nullable: true, description: 'How the updates are tested on a representative sample first' })
  @MaxLength(20000)
  testPlan?: string | null;

  @Field(() => String, { nullable: true, description: 'How the change is undone; required before a NORMAL or EMERGENCY change is submitted' })
  @MaxLength(20000)
  rollbackPlan?: string | null;

  @Field({ description: 'Timestamp the change is planned to start' })
  plannedStart: Date;

  @Field({ description: 'Timestamp the change is planned to end (at most 31 days after the start)' })
  plannedEnd: Date;

  @Field(() => [ExternalTicketInput], { defaultValue: [], description: 'PSA/ITSM tickets the change belongs to (at most 20)' })
  @ArrayMaxSize(20)
  externalTickets: ExternalTicketInput[];
}

@InputType({ description: 'Input of createMaintenanceWindow' })
export class MaintenanceWindowInput {
  @Field(() => ID, { description: 'Id of the tenant' })
  tenantId: string;

  @Field(() => ID, { nullable: true, description: 'Id of one of its sites, for a window of that site only' })
  siteId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Id of one of its deployment rings, for a window of that ring only' })
  ringId?: string | null;

  @Field({ description: 'Name, e.g. "Tuesday evenings" (at most 200 characters)' })
  @MaxLength(1000)
  name: string;

  @Field({ description: 'RFC 5545 recurrence rule body, e.g. FREQ=WEEKLY;BYDAY=TU, or FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=12,13,14,15,16,17,18 for the Saturday after Patch Tuesday' })
  @MaxLength(500)
  rrule: string;

  @Field({ description: 'Local date and time of the first occurrence, YYYY-MM-DDTHH:MM without an offset' })
  @MaxLength(32)
  firstStart: string;

  @Field({ description: 'IANA time zone the rule is read in, e.g. Europe/London' })
  @MaxLength(64)
  timeZone: string;

  @Field(() => Int, { description: 'Length of each occurrence in minutes (1 to 10080)' })
  durationMinutes: number;
}

@InputType({ description: 'Input of createDeploymentRing' })
export class DeploymentRingInput {
  @Field(() => ID, { description: 'Id of the tenant' })
  tenantId: string;

  @Field({ description: 'Name, e.g. "Pilot" (at most 200 characters)' })
  @MaxLength(1000)
  name: string;

  @Field(() => Int, { description: 'Order within the tenant, 1 (pilot) to 100; unique per tenant' })
  position: number;

  @Field(() => [ID], { description: 'Ids of the member assets (at most 1000)' })
  @ArrayMaxSize(1000)
  assetIds: string[];

  @Field(() => Float, { description: 'Share of reporting members that must have a change\'s updates installed before the next ring starts, 0 to 1' })
  minSuccessRate: number;

  @Field(() => Int, { description: 'Members that must have the updates installed before the next ring starts' })
  minDevices: number;

  @Field(() => Int, { description: 'Hours to wait after the ring\'s last install before the next ring starts (0 to 2160)' })
  soakHours: number;
}

@InputType({ description: 'Input of closeChangeRequest' })
export class CloseChangeRequestInput {
  @Field(() => ClosureCode, { nullable: true, description: 'How the change ended; by default what its state says (COMPLETED: SUCCESSFUL, FAILED: UNSUCCESSFUL, ROLLED_BACK, REJECTED)' })
  closureCode?: ClosureCode | null;

  @Field(() => String, { nullable: true, description: 'The post-implementation review; required for an EMERGENCY change' })
  @MaxLength(20000)
  review?: string | null;

  @Field(() => String, { nullable: true, description: 'A comment for the audit trail' })
  @MaxLength(20000)
  comment?: string | null;
}
