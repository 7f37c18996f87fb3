import { roleMay } from '../../auth/permissions';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { CONNECTORS } from '../../../connectors/registry';
import { settingsOf } from '../../../connectors/sdk/config';
import { ConnectorInstance, SyncRun, Tenant } from '../../entities';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import {
  ConnectorInstanceFilterInput,
  CreateConnectorInstanceInput,
  SyncRunFilterInput,
  TriggerSyncInput,
  UpdateConnectorInstanceInput,
} from '../inputs/connector.input';
import { Connection } from '../types/connection';
import { keyOf } from '../types/global-id';
import { connectorInstanceFilter, syncRunFilter } from './filters';
import { SyncRunConnection } from './sync-run.resolver';

export const ConnectorInstanceConnection = Connection(ConnectorInstance);

@ObjectType({ description: 'One configuration setting of a connector kind' })
class ConnectorSetting {
  @Field({ description: 'Name of the setting, as used in settings objects' })
  name: string;

  @Field({ description: 'Value type: string, number or boolean' })
  type: string;

  @Field({ description: 'What the setting means' })
  description: string;

  @Field({ description: 'Indicates a secret: write-only, stored encrypted, never returned' })
  secret: boolean;

  @Field({ description: 'Indicates the setting may be left out' })
  optional: boolean;
}

@ObjectType({ description: 'A kind of connector this server can run' })
class ConnectorKind {
  @Field({ description: 'Identifier used as ConnectorInstance.kind' })
  kind: string;

  @Field({ description: 'Human-readable name' })
  displayName: string;

  @Field({ description: 'What the connector reads' })
  description: string;

  @Field(() => [ConnectorSetting], { description: 'Settings an instance of this kind takes' })
  settings: ConnectorSetting[];
}

@ObjectType({ description: 'Outcome of testConnectorInstance' })
class ConnectionTestResult {
  @Field({ description: 'Indicates the source was reached and accepted the credentials' })
  ok: boolean;

  @Field({ description: 'What the connector found, or why it failed' })
  message: string;

  @Field(() => String, { nullable: true, description: 'Kind of failure (config, auth, rate_limited, transient, malformed_response, fatal) when not ok' })
  errorKind: string | null;
}

@Resolver(() => ConnectorInstance)
export class ConnectorInstanceResolver {
  @Query(() => [ConnectorKind], { description: 'Connector kinds installed on this server and the settings each takes' })
  connectorKinds(): ConnectorKind[] {
    return CONNECTORS.map((c) => ({ kind: c.kind, displayName: c.displayName, description: c.description, settings: settingsOf(c.configClass) }));
  }

  @Query(() => ConnectorInstanceConnection, { description: 'Connector instances the caller may see, ordered by name' })
  async connectorInstances(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => ConnectorInstanceFilterInput, { nullable: true, description: 'Filters to apply' }) filter: ConnectorInstanceFilterInput | null,
    @Ctx() { access, loaders }: RequestContext,
  ) {
    const f = connectorInstanceFilter(filter, access.scope);
    const result = await access.connectorInstances.page(f, page);
    loaders.primeAll(loaders.connectorInstance, result.rows);
    return ConnectorInstanceConnection.of(result, () => access.connectorInstances.count(f));
  }

  @FieldResolver(() => Tenant, { nullable: true, description: 'Tenant the instance reads devices for; null for an MSP-wide instance' })
  tenant(@Root() instance: ConnectorInstance, @Ctx() { loaders }: RequestContext) {
    return instance.tenantId ? loaders.tenant.load(instance.tenantId) : null;
  }

  @FieldResolver(() => GraphQLJSONObject, { description: "Settings of the instance, without secrets; {} for roles that may not see the MSP's operational detail" })
  settings(@Root() instance: ConnectorInstance, @Ctx() { principal }: RequestContext): Record<string, unknown> {
    if (!roleMay(principal.role, 'ConnectorInstance.settings')) return {};
    return JSON.parse(instance.settingsJson || '{}');
  }

  @FieldResolver(() => [String], { description: 'Names of the secret settings that are set (their values are never returned)' })
  secretsSet(@Root() instance: ConnectorInstance, @Ctx() { access }: RequestContext): string[] {
    return access.connectorAdmin.secretsSet(instance);
  }

  @FieldResolver(() => SyncRun, { nullable: true, description: 'The most recent sync run, if any' })
  lastSyncRun(@Root() instance: ConnectorInstance, @Ctx() { loaders }: RequestContext) {
    return loaders.latestSyncRunByInstance.load(instance.id);
  }

  @FieldResolver(() => SyncRunConnection, { description: 'Sync runs of the instance, newest first' })
  async syncRuns(@Root() instance: ConnectorInstance, @Args() page: ConnectionArgs, @Ctx() { access }: RequestContext) {
    const f = { connectorInstanceIds: [instance.id] };
    return SyncRunConnection.of(await access.syncRuns.page(f, page), () => access.syncRuns.count(f));
  }
  @Mutation(() => ConnectorInstance, { description: 'Creates a connector instance; secrets in settings are stored encrypted and never returned' })
  createConnectorInstance(@Arg('input', { description: 'The new instance' }) input: CreateConnectorInstanceInput, @Ctx() { access }: RequestContext) {
    return access.connectorAdmin.create({
      tenantId: input.tenantId ? keyOf('Tenant', input.tenantId, 'input.tenantId') : null, kind: input.kind, name: input.name, settings: input.settings,
      syncIntervalSeconds: input.syncIntervalSeconds ?? null, enabled: input.enabled ?? true,
    });
  }
  @Mutation(() => ConnectorInstance, { description: 'Changes a connector instance; secrets can be replaced but never read' })
  updateConnectorInstance(@Arg('input', { description: 'The changes' }) input: UpdateConnectorInstanceInput, @Ctx() { access }: RequestContext) {
    return access.connectorAdmin.update({
      id: keyOf('ConnectorInstance', input.id, 'input.id'),
      name: input.name ?? undefined,
      settings: input.settings ?? undefined,
      syncIntervalSeconds: input.syncIntervalSeconds,
      enabled: input.enabled ?? undefined,
    });
  }
  @Mutation(() => ConnectorInstance, {
    description: "Forgets the time of the last snapshot a WSUS instance applied, so its collector's next upload is accepted even if older (the way out after a snapshot dated in the future). Audited",
  })
  resetIngestWatermark(@Arg('connectorInstanceId', () => ID, { description: 'The WSUS instance' }) connectorInstanceId: string, @Ctx() { access }: RequestContext) {
    return access.connectorAdmin.resetIngestWatermark(keyOf('ConnectorInstance', connectorInstanceId, 'connectorInstanceId'));
  }
  @Mutation(() => ConnectionTestResult, { description: 'Checks that the instance reaches its source with its credentials, without syncing' })
  testConnectorInstance(@Arg('id', () => ID, { description: 'The instance to test' }) id: string, @Ctx() { connectorSyncs }: RequestContext): Promise<ConnectionTestResult> {
    return connectorSyncs.testConnection(keyOf('ConnectorInstance', id, 'id'));
  }
  @Mutation(() => SyncRun, {
    description:
      'Starts a sync of a connector instance now. CONFLICT when one is already running. With workers (REDIS_URL) the sync is queued and the run ' +
      'is returned once a worker has started it; CONFLICT with code SYNC_QUEUED when none started it within PATCHGRAPH_TRIGGER_TIMEOUT_SECONDS (it still runs)',
  })
  triggerSync(@Arg('input', { description: 'What to sync' }) input: TriggerSyncInput, @Ctx() { connectorSyncs }: RequestContext): Promise<SyncRun> {
    const id = keyOf('ConnectorInstance', input.connectorInstanceId, 'input.connectorInstanceId');
    return connectorSyncs.trigger(id, { full: input.full ?? false, wait: input.wait ?? false });
  }
}

@Resolver()
export class SyncRunQueryResolver {
  @Query(() => SyncRunConnection, { description: 'Sync runs the caller may see, newest first' })
  async syncRuns(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => SyncRunFilterInput, { nullable: true, description: 'Filters to apply' }) filter: SyncRunFilterInput | null,
    @Ctx() { access, loaders }: RequestContext,
  ) {
    const f = syncRunFilter(filter, access.scope);
    const result = await access.syncRuns.page(f, page);
    loaders.primeAll(loaders.syncRun, result.rows);
    return SyncRunConnection.of(result, () => access.syncRuns.count(f));
  }
}
