import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { PolicyVersion } from '../../access/policy-versions';
import { ASSET_CLASSES, AssetClass as AssetClassName } from '../../compliance/asset-class';
import { Node } from '../../entities/node';

/** The asset classes of src/compliance/asset-class.ts as a GraphQL enum; its values are the class names themselves. */
export const AssetClass = Object.fromEntries(ASSET_CLASSES.map((c) => [c, c])) as { [K in AssetClassName]: K };
registerEnumType(AssetClass, {
  name: 'AssetClass',
  description: 'What kind of machine an asset is, as frameworks distinguish them (Essential Eight gives internet-facing servers less time than workstations)',
  valuesConfig: {
    WORKSTATION: { description: 'A desktop or laptop; the rule\'s answer for any OS that is not a server' },
    SERVER: { description: 'A server; the rule\'s answer for a Windows Server OS' },
    INTERNET_FACING_SERVER: { description: 'A server reachable from the internet; only set by hand, since no source can tell' },
    NETWORK_DEVICE: { description: 'A router, switch, firewall or similar; only set by hand' },
    OTHER: { description: 'Anything else; only set by hand' },
  },
});

export enum AssetClassSource {
  RULE = 'RULE',
  MANUAL = 'MANUAL',
}
registerEnumType(AssetClassSource, {
  name: 'AssetClassSource',
  description: 'Where an asset\'s class comes from',
  valuesConfig: {
    RULE: { description: 'The rule: a Windows Server OS is SERVER, anything else WORKSTATION' },
    MANUAL: { description: 'Set by hand with setAssetClass' },
  },
});

export enum RiskExceptionStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}
registerEnumType(RiskExceptionStatus, {
  name: 'RiskExceptionStatus',
  description: 'Whether a risk exception applies now (at the server\'s clock)',
  valuesConfig: {
    PENDING: { description: 'Not yet: validFrom is still ahead' },
    ACTIVE: { description: 'In force: findings it covers are EXEMPT' },
    EXPIRED: { description: 'Its expiresAt has passed; it no longer applies' },
    REVOKED: { description: 'Ended early by revokeRiskException; it no longer applies' },
  },
});

@ObjectType('Policy', { description: 'A compliance policy: a built-in framework preset, or one version of a custom policy' })
export class PolicyType {
  @Field({ description: 'Stable key, used in assignments, exceptions and compliance queries, e.g. "cyber-essentials-v3.3"' })
  key: string;

  @Field({ description: '"builtin" for a preset (it changes only with patchgraph); "1", "2", … for the versions of a custom policy' })
  version: string;

  @Field({ description: 'Indicates a built-in framework preset' })
  builtIn: boolean;

  @Field({ description: 'Display name' })
  name: string;

  @Field({ description: 'What the policy requires, in a sentence' })
  description: string;

  @Field({ description: 'Where its numbers come from: the framework\'s text, version and section' })
  source: string;

  @Field(() => GraphQLJSONObject, { description: 'The rules as createPolicy takes them: name, description, source, timeZone, dueSoonHours, findingRules, deviceRules' })
  definition: Record<string, unknown>;

  @Field(() => Date, { nullable: true, description: 'When this version was recorded; null for a preset' })
  createdAt: Date | null;

  static of(v: PolicyVersion): PolicyType {
    const { definition: d } = v;
    return Object.assign(new PolicyType(), {
      key: v.key, version: v.version, builtIn: v.builtIn, name: d.name, description: d.description, source: d.source,
      definition: d as unknown as Record<string, unknown>, createdAt: v.createdAt,
    });
  }
}

/** GraphQL view of the PolicyAssignment entity: resolved from entity rows, whose class name is the type's name. */
@ObjectType('PolicyAssignment', { implements: Node, description: 'A tenant (or one of its sites) must meet a policy from assignedAt until removedAt' })
export class PolicyAssignmentType {
  id: string;
  tenantId: string;
  siteId: string | null;

  @Field({ description: 'Key of the policy assigned' })
  policyKey: string;

  @Field({ description: 'When the assignment began' })
  assignedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When unassignPolicy ended it; null while it applies' })
  removedAt: Date | null;
}

@ObjectType('RiskException', {
  implements: Node,
  description: 'An accepted risk: findings it covers are EXEMPT while it is in force. Unset scope fields mean "any"; the exception covers a finding when every set one matches',
})
export class RiskExceptionType {
  id: string;
  tenantId: string;
  siteId: string | null;
  assetId: string | null;
  updateId: string | null;

  @Field(() => String, { nullable: true, description: 'Only findings of this CVE' })
  cveId: string | null;

  @Field(() => String, { nullable: true, description: 'Only findings under this policy' })
  policyKey: string | null;

  @Field({ description: 'Who accepted the risk on the client\'s side' })
  owner: string;

  @Field({ description: 'Why the risk is accepted' })
  reason: string;

  @Field(() => String, { nullable: true, description: 'What reduces the risk meanwhile, e.g. "isolated VLAN, no internet access"' })
  compensatingControl: string | null;

  @Field({ description: 'When it starts to apply' })
  validFrom: Date;

  @Field({ description: 'When it stops applying' })
  expiresAt: Date;

  @Field({ description: 'When it was recorded' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When revokeRiskException ended it early; null if never' })
  revokedAt: Date | null;
}

@ObjectType('Advisory', {
  implements: Node,
  description: 'An authority\'s notice naming CVEs or KBs, with its own clock: a policy rule for its authority counts from noticeAt (e.g. the DfE\'s 3 days)',
})
export class AdvisoryType {
  id: string;

  @Field({ description: 'Who issued it, e.g. "DfE", "NCSC", "CISA"; policy rules name it in scope.advisoryAuthority' })
  authority: string;

  @Field({ description: 'The authority\'s own reference for the notice' })
  reference: string;

  @Field({ description: 'Title of the notice' })
  title: string;

  @Field({ description: 'When the authority gave notice: the clock start of rules with clockStart ADVISORY' })
  noticeAt: Date;

  @Field(() => [String], { description: 'CVE ids the notice names' })
  cveIds: string[];

  @Field(() => [String], { description: 'KB numbers the notice names' })
  kbs: string[];

  @Field(() => String, { nullable: true, description: 'The notice\'s https address' })
  url: string | null;

  @Field({ description: 'When it was recorded in patchgraph' })
  createdAt: Date;
}

