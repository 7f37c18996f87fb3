import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { NotFoundError, UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { decodeGlobalId } from '../types/global-id';
import { Node } from '../../entities/node';
import { PatchState } from '../../entities';

type NodeLoaderName = 'tenant' | 'site' | 'asset' | 'sourceDevice' | 'connectorInstance' | 'syncRun' | 'update' | 'vulnerability' | 'patchState';

const LOADER_OF_TYPE: Record<string, NodeLoaderName> = {
  Tenant: 'tenant',
  Site: 'site',
  Asset: 'asset',
  SourceDevice: 'sourceDevice',
  ConnectorInstance: 'connectorInstance',
  SyncRun: 'syncRun',
  Update: 'update',
  Vulnerability: 'vulnerability',
  PatchState: 'patchState',
};

/** Compliance and change records, read through their tenant-scoped finders (rare enough not to need a batching loader). */
const FINDER_OF_TYPE: Record<string, (ctx: RequestContext) => { byIds(ids: readonly string[]): Promise<object[]> }> = {
  PolicyAssignment: (ctx) => ctx.access.policyAssignments,
  RiskException: (ctx) => ctx.access.riskExceptions,
  Advisory: (ctx) => ctx.access.advisories,
  ChangeRequest: (ctx) => ctx.access.changeRequests,
  MaintenanceWindow: (ctx) => ({ byIds: (ids) => ctx.access.changeSchedule.windowsByIds(ids) }),
  DeploymentRing: (ctx) => ({ byIds: (ids) => ctx.access.changeSchedule.ringsByIds(ids) }),
};

/**
 * Loads any object by global id through the same scoped loaders as every other field. ApiKey ids are refused: who
 * may read keys is the permission matrix's Query.apiKeys, which node(id:), open to every role, must not bypass.
 */
export async function loadNode(ctx: RequestContext, id: string, field: string): Promise<object> {
  const { type, key } = decodeGlobalId(id, field);
  const finder = FINDER_OF_TYPE[type];
  if (finder) {
    const [row] = await finder(ctx).byIds([key]);
    if (!row) throw new NotFoundError(type, id);
    return row;
  }
  const loaderName = LOADER_OF_TYPE[type];
  if (!loaderName) throw new UserInputError(field, `objects of type ${type} cannot be fetched by id`);
  const node = await ctx.loaders[loaderName].load(key);
  if (!node) throw new NotFoundError(type, id);
  // Whether the selection asks for it is a question about fragments on an interface; one update is cheap.
  if (node instanceof PatchState) await ctx.loaders.attachUpdates([node]);
  return node;
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Fetches any object by its global id' })
  node(@Arg('id', () => ID, { description: 'Global id of the object' }) id: string, @Ctx() ctx: RequestContext): Promise<object> {
    return loadNode(ctx, id, 'id');
  }

  @Query(() => [Node], { nullable: 'items', description: 'Fetches objects by their global ids, in the order given' })
  async nodes(
    @Arg('ids', () => [ID], { description: 'Global ids of the objects (at most 100)' }) ids: string[],
    @Ctx() ctx: RequestContext,
  ): Promise<object[]> {
    if (ids.length > 100) throw new UserInputError('ids', 'must hold at most 100 ids');
    return Promise.all(ids.map((id, i) => loadNode(ctx, id, `ids[${i}]`)));
  }
}
