import { FieldNode, GraphQLResolveInfo, isAbstractType, isObjectType, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { Asset, PatchState, SourceDevice, Update } from '../entities';
import { ColumnPlan } from '../access/finder';

/** The entities of the portal's hot connections, read with only the columns an operation can use. */
const ENTITIES: Record<string, Function> = { Asset, SourceDevice, PatchState, Update };

/**
 * What each field with a resolver reads of its parent's row (and, for sourceOutOfDate, of the source device's).
 * A field of these types that is neither a plain column nor listed here makes the operation read whole rows.
 */
const RESOLVER_COLUMNS: Record<string, Record<string, Record<string, string[]>>> = {
  Asset: {
    id: { Asset: ['id'] }, tenant: { Asset: ['tenantId'] }, site: { Asset: ['siteId'] }, sources: { Asset: ['id'] },
    patchStates: { Asset: ['id'] }, missingUpdateCount: { Asset: ['id'] },
  },
  SourceDevice: {
    id: { SourceDevice: ['id'] }, asset: { SourceDevice: ['assetId'] }, connector: { SourceDevice: ['connectorInstanceId'] },
    patchPosture: { SourceDevice: ['postureStatus', 'postureApprovedPending', 'postureNotApproved', 'postureInstalled'] },
    patchPostureHistory: { SourceDevice: ['id'] },
  },
  PatchState: {
    id: { PatchState: ['id'] }, asset: { PatchState: ['assetId'] }, update: { PatchState: ['updateId'] },
    source: { PatchState: ['assetId', 'sourceDeviceId'] },
    sourceOutOfDate: { PatchState: ['assetId', 'sourceDeviceId'], SourceDevice: ['inactive', 'stale'] },
  },
  Update: {
    id: { Update: ['id'] }, shared: { Update: ['owner'] }, reportedFor: { Update: ['owner'] }, approvals: { Update: ['id'] },
    vulnerabilities: { Update: ['id'] },
  },
};

/**
 * Root fields whose rows come only from the finders of ENTITIES; and types whose values are built from rows the
 * plan already covers (a page around its rows, the posture RESOLVER_COLUMNS reads for patchPosture).
 */
const ROOT_FIELDS = new Set(['assets', 'patchStates', 'updates']);
const WRAPPERS = new Set(['PageInfo', 'AssetConnection', 'AssetEdge', 'PatchStateConnection', 'PatchStateEdge', 'UpdateConnection', 'UpdateEdge', 'PatchPosture']);

/** Columns every row keeps whatever is asked: its keys, cheap, and what loaders group by. A page adds its sort column (keyset.ts). */
const ALWAYS: Record<string, string[]> = {
  Asset: ['id', 'tenantId', 'siteId'],
  SourceDevice: ['id', 'tenantId', 'assetId', 'connectorInstanceId'],
  PatchState: ['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId'],
  Update: ['id', 'owner'],
};

const plans = new WeakMap<object, ColumnPlan | null>();

/**
 * The columns of each hot entity that a query operation can use, or null to read whole rows. Only an operation
 * made entirely of the hot connections and fields whose needs are known gets a plan, so no resolver elsewhere is
 * ever handed a row without the column it reads; everything else reads whole rows as before.
 */
export function columnPlanOf(info: GraphQLResolveInfo): ColumnPlan | null {
  const cached = plans.get(info.operation);
  if (cached !== undefined) return cached;
  const plan = buildPlan(info);
  plans.set(info.operation, plan);
  return plan;
}

function buildPlan(info: GraphQLResolveInfo): ColumnPlan | null {
  if (info.operation.operation !== 'query') return null;
  const { schema } = info;
  const columns = new Map<string, Set<string>>(Object.entries(ALWAYS).map(([type, cols]) => [type, new Set(cols)]));
  let ok = true;
  const add = (typeName: string, field: FieldNode) => {
    const name = field.name.value;
    if (name.startsWith('__')) return;
    if (typeName === 'Query') {
      ok &&= ROOT_FIELDS.has(name);
      return;
    }
    if (WRAPPERS.has(typeName)) return;
    const entity = ENTITIES[typeName];
    if (!entity) {
      ok = false;
      return;
    }
    const needs = RESOLVER_COLUMNS[typeName][name];
    if (needs) {
      for (const [type, cols] of Object.entries(needs)) for (const c of cols) columns.get(type)!.add(c);
      return;
    }
    // A plain column: a field without a resolver of its own reads the property named like it.
    const type = schema.getType(typeName);
    const schemaField = isObjectType(type) ? type.getFields()[name] : undefined;
    if (!schemaField || schemaField.resolve) ok = false;
    else columns.get(typeName)!.add(name);
  };
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      if (!parent) ok = false;
      else if (isAbstractType(parent)) for (const t of schema.getPossibleTypes(parent)) add(t.name, node);
      else add(parent.name, node);
    },
  });
  visit(info.operation, visitor);
  for (const fragment of Object.values(info.fragments)) visit(fragment, visitor);
  if (!ok) return null;
  return new Map(Object.entries(ENTITIES).map(([type, entity]) => [entity, columns.get(type)!]));
}
