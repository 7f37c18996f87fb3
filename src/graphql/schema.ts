import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultFieldResolver, GraphQLSchema, isObjectType, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync, NonEmptyArray } from 'type-graphql';
import { ApiKeyResolver } from './resolvers/api-key.resolver';
import { AdvisoryResolver } from './resolvers/advisory.resolver';
import { AssetComplianceSettingsResolver } from './resolvers/asset-compliance-settings.resolver';
import { PolicyAssignmentResolver, SitePolicyAssignmentsResolver, TenantPolicyAssignmentsResolver } from './resolvers/policy-assignment.resolver';
import { PolicyResolver } from './resolvers/policy.resolver';
import { RiskExceptionResolver } from './resolvers/risk-exception.resolver';
import { AssetResolver } from './resolvers/asset.resolver';
import { ConnectorInstanceResolver, SyncRunQueryResolver } from './resolvers/connector.resolver';
import { IdentityResolver } from './resolvers/identity.resolver';
import { NodeResolver } from './resolvers/node.resolver';
import { PatchStateResolver } from './resolvers/patch-state.resolver';
import { SiteResolver } from './resolvers/site.resolver';
import { SourceDeviceResolver, UnattachedSourceDeviceResolver } from './resolvers/source-device.resolver';
import { ConnectorInstanceSitesResolver, VendorSiteResolver } from './resolvers/vendor-site.resolver';
import { SyncRunResolver } from './resolvers/sync-run.resolver';
import { TenantResolver } from './resolvers/tenant.resolver';
import { UpdateApprovalResolver, UpdateResolver } from './resolvers/update.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { VulnerabilityResolver } from './resolvers/vulnerability.resolver';
import { projectRoot } from '../util/project-root';
import { toGlobalId } from './types/global-id';
import { enforcePermissions } from './enforce-permissions';
import { usePlainPropertyResolvers } from './plain-fields';
import { useDirectFieldResolvers } from './direct-resolvers';
import { useSynchronousTypeResolvers } from './sync-type-resolvers';
import {
  AssetComplianceResolver, AssetOverdueCountResolver, ComplianceFindingResolver, FindingCveResolver, ComplianceResolver, SiteComplianceCountsResolver, TenantComplianceCountsResolver,
} from './resolvers/compliance.resolver';
import { ComplianceKpiResolver } from './resolvers/compliance-kpi.resolver';
import { PatchHistoryResolver } from './resolvers/patch-history.resolver';
import { ChangeRequestResolver, ChangeTargetResultResolver, ChangeTargetsResolver } from './resolvers/change-request.resolver';
import { DeploymentRingResolver, MaintenanceWindowResolver } from './resolvers/change-schedule.resolver';
import { ChangeWebhookResolver } from './resolvers/change-webhook.resolver';
import { ChangeProposalResolver } from './resolvers/change-proposal.resolver';
import { AuditEventResolver } from './resolvers/audit.resolver';
import { PatchEventResolver } from './resolvers/patch-event.resolver';
import { Permission, PERMISSIONS } from '../auth/permissions';

export const RESOLVERS = [
  NodeResolver, VendorSiteResolver, ConnectorInstanceSitesResolver, ViewerResolver, TenantResolver, SiteResolver, AssetResolver, SourceDeviceResolver, UpdateResolver, UpdateApprovalResolver,
  VulnerabilityResolver, PatchStateResolver, ConnectorInstanceResolver, SyncRunQueryResolver, SyncRunResolver, IdentityResolver, UnattachedSourceDeviceResolver,
  ApiKeyResolver,
  PolicyResolver, PolicyAssignmentResolver, TenantPolicyAssignmentsResolver, SitePolicyAssignmentsResolver, RiskExceptionResolver, AdvisoryResolver, AssetComplianceSettingsResolver,
  ComplianceResolver, TenantComplianceCountsResolver, SiteComplianceCountsResolver, AssetOverdueCountResolver, AssetComplianceResolver, ComplianceFindingResolver, FindingCveResolver,
  ComplianceKpiResolver,
  AuditEventResolver, PatchEventResolver,
  PatchHistoryResolver,
  ChangeRequestResolver, ChangeTargetsResolver, ChangeTargetResultResolver, MaintenanceWindowResolver, DeploymentRingResolver, ChangeWebhookResolver, ChangeProposalResolver,
] as const;

export const schemaFilePath = () => join(projectRoot(), 'schema', 'schema.graphql');

/**
 * Every type implementing Node exposes its opaque global id as `id`; installing that resolver here, once,
 * means no type can leak its raw database key.
 */
function installGlobalIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.getInterfaces().some((i) => i.name === 'Node')) continue;
    const field = type.getFields().id;
    const inner = field.resolve ?? defaultFieldResolver;
    // Synchronous when the key is (a plain property): a promise per node is a microtask per node on a long page.
    field.resolve = (root, args, ctx, info) => {
      const key = inner(root, args, ctx, info);
      return isPromise(key) ? key.then((k) => toGlobalId(type.name, String(k))) : toGlobalId(type.name, String(key));
    };
  }
  return schema;
}

const isPromise = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

let cached: GraphQLSchema | undefined;

/**
 * The schema built from RESOLVERS plus `extra` resolver classes, with the same options, global ids and permission
 * matrix as the served one; `extraPermissions` are the matrix entries the extra operations need. Only tests add
 * resolvers (e.g. a deliberately unscoped one, to prove the isolation suite notices it).
 */
export function buildSchemaWith(extra: readonly Function[] = [], extraPermissions: Record<string, Permission> = {}): GraphQLSchema {
  const resolvers = [...RESOLVERS, ...extra];
  const schema = installGlobalIds(
    useSynchronousTypeResolvers(useDirectFieldResolvers(usePlainPropertyResolvers(
      buildSchemaSync({
        resolvers: resolvers as unknown as NonEmptyArray<Function>,
        validate: { forbidUnknownValues: false },
      }),
    ), resolvers)),
  );
  return enforcePermissions(schema, extra.length > 0 ? { ...PERMISSIONS, ...extraPermissions } : PERMISSIONS);
}

export function buildPatchgraphSchema(): GraphQLSchema {
  cached ??= buildSchemaWith();
  return cached;
}

/** The SDL committed as schema/schema.graphql, sorted so that it changes only when the API does. */
export function printPatchgraphSchema(): string {
  return printSchema(lexicographicSortSchema(buildPatchgraphSchema())) + '\n';
}

export function emitSchemaFile(path = schemaFilePath()): string {
  writeFileSync(path, printPatchgraphSchema());
  return path;
}
