import { GraphQLJSONObject } from 'graphql-scalars';
import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'Input of createPolicy' })
export class CreatePolicyInput {
  @Field({ description: 'Key of the new policy: 1 to 64 lower-case letters, digits, dots and hyphens; not a preset\'s key' })
  @MaxLength(200)
  key: string;

  @Field(() => GraphQLJSONObject, { description: 'The rules (the shape the presets\' definition has); checked, and refused naming the field that is wrong' })
  definition: Record<string, unknown>;
}

@InputType({ description: 'Input of updatePolicy' })
export class UpdatePolicyInput {
  @Field({ description: 'Key of the custom policy to change' })
  @MaxLength(200)
  key: string;

  @Field(() => GraphQLJSONObject, { description: 'The complete new rules, checked as in createPolicy; they become the next version' })
  definition: Record<string, unknown>;
}

@InputType({ description: 'Input of assignPolicy' })
export class AssignPolicyInput {
  @Field({ description: 'Key of a preset or custom policy' })
  @MaxLength(200)
  policyKey: string;

  @Field(() => ID, { description: 'Id of the tenant that must meet the policy' })
  tenantId: string;

  @Field(() => ID, { nullable: true, description: 'Id of one site of the tenant, to assign the policy to that site only' })
  siteId?: string | null;
}

@InputType({ description: 'Input of createRiskException: the tenant, what it covers (at least one of siteId, assetId, updateId, cveId, policyKey), who accepted it, why, and for how long' })
export class CreateRiskExceptionInput {
  @Field(() => ID, { description: 'Id of the tenant whose risk is accepted' })
  tenantId: string;

  @Field(() => ID, { nullable: true, description: 'Only this site of the tenant' })
  siteId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this asset of the tenant (not with siteId)' })
  assetId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only findings of this update' })
  updateId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only findings of this CVE (CVE-YYYY-NNNN)' })
  @MaxLength(64)
  cveId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only findings under this policy' })
  @MaxLength(200)
  policyKey?: string | null;

  @Field({ description: 'Who accepted the risk on the client\'s side (display-name rules, at most 200 characters)' })
  @MaxLength(400)
  owner: string;

  @Field({ description: 'Why the risk is accepted (at most 4000 characters)' })
  @MaxLength(8000)
  reason: string;

  @Field(() => String, { nullable: true, description: 'What reduces the risk meanwhile (at most 4000 characters)' })
  @MaxLength(8000)
  compensatingControl?: string | null;

  @Field(() => Date, { nullable: true, description: 'When it starts to apply (default now; earlier records an acceptance agreed before it was entered)' })
  validFrom?: Date | null;

  @Field({ description: 'When it stops applying: after validFrom, in the future, and at most one year from now' })
  expiresAt: Date;
}

@InputType({ description: 'Input of createAdvisory: name at least one CVE or KB' })
export class CreateAdvisoryInput {
  @Field({ description: 'Who issued it, e.g. "DfE"; policy rules match it in scope.advisoryAuthority (at most 64 characters)' })
  @MaxLength(200)
  authority: string;

  @Field({ description: 'The authority\'s reference for the notice, unique per authority (at most 128 characters)' })
  @MaxLength(400)
  reference: string;

  @Field({ description: 'Title of the notice (at most 500 characters)' })
  @MaxLength(1000)
  title: string;

  @Field({ description: 'When the authority gave notice (not in the future)' })
  noticeAt: Date;

  @Field(() => [String], { defaultValue: [], description: 'CVE ids the notice names (CVE-YYYY-NNNN), at most 500' })
  @ArrayMaxSize(500)
  cveIds: string[];

  @Field(() => [String], { defaultValue: [], description: 'KB numbers the notice names (KB5075912 or 5075912), at most 500' })
  @ArrayMaxSize(500)
  kbs: string[];

  @Field(() => String, { nullable: true, description: 'The notice\'s address; https only, no credentials' })
  @MaxLength(2000)
  url?: string | null;
}
