import { FieldNode, GraphQLObjectType, GraphQLResolveInfo, OperationDefinitionNode, parse } from 'graphql';
import { Asset, PatchState, Update } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { attachUpdate, hasAttachedUpdate } from '../../src/entities/patch-state.entity';
import { buildPatchgraphSchema } from '../../src/graphql/schema';

const field = (type: string, name: string) => (buildPatchgraphSchema().getType(type) as GraphQLObjectType).getFields()[name];

/** The info of `Asset.patchStates` in `{ assets { nodes { patchStates { … } } } }`, as much of it as the resolver reads. */
function patchStatesInfo(selection: string): GraphQLResolveInfo {
  const operation = parse(`{ assets { nodes { patchStates ${selection} } } }`).definitions[0] as OperationDefinitionNode;
  const assets = operation.selectionSet.selections[0] as FieldNode;
  const nodes = assets.selectionSet!.selections[0] as FieldNode;
  return { fieldNodes: [nodes.selectionSet!.selections[0] as FieldNode], fragments: {}, operation } as unknown as GraphQLResolveInfo;
}

/** Field resolvers whose parameters type-graphql passes through unchanged are called directly (direct-resolvers.ts). */
describe('direct field resolvers', () => {
  const asset = Object.assign(new Asset(), { id: 'a1', tenantId: 't1' });

  it('call a resolver with enum arguments without type-graphql\'s validation promise, with the same arguments', () => {
    const calls: unknown[][] = [];
    const answer = [Object.assign(new PatchState(), { id: 's1' })];
    const ctx = {
      loaders: {
        patchStatesByAsset: (...args: unknown[]) => {
          calls.push(args);
          return { load: (id: string) => (id === 'a1' ? answer : null) };
        },
      },
    };
    const states = [PatchStateValue.MISSING, PatchStateValue.FAILED];
    const args = { states, view: 'ALL_SOURCES' };
    // type-graphql validates each argument asynchronously, so its resolver answered a promise of the list.
    const result = field('Asset', 'patchStates').resolve!(asset, args, ctx, patchStatesInfo('{ state update { kb } }'));
    expect(result).toBe(answer);
    expect(calls).toEqual([[states, false, true]]);
    expect(calls[0][0]).not.toBe(states); // a copy of the list, as type-graphql hands it over
    field('Asset', 'patchStates').resolve!(asset, { states: null, view: 'EFFECTIVE' }, ctx, patchStatesInfo('{ state }'));
    expect(calls[1]).toEqual([null, true, false]);
  });

  it('leave PatchState.update a plain property, which reads the attached update and refuses to answer before one is', () => {
    // No resolver: graphql-jit reads the property inline, with no resolve-info, path or closures per state.
    expect(field('PatchState', 'update').resolve).toBeUndefined();
    const update = Object.assign(new Update(), { id: 'u1' });
    const state = Object.assign(new PatchState(), { id: 's1', updateId: 'u1' });
    expect(hasAttachedUpdate(state)).toBe(false);
    expect(() => state.update).toThrow('PatchState.update was read for state s1 before its update was loaded');
    attachUpdate(state, update);
    expect(state.update).toBe(update);
    const outOfView = Object.assign(new PatchState(), { id: 's2', updateId: 'u2' });
    attachUpdate(outOfView, null);
    expect(hasAttachedUpdate(outOfView)).toBe(true);
    expect(outOfView.update).toBeNull();
  });

  it('leave a root that is not an instance of the declared class to type-graphql, which makes one of it', async () => {
    let seen: unknown;
    const ctx = { loaders: { sourcesByAsset: { load: (id: string) => ((seen = id), []) } } };
    await field('Asset', 'sources').resolve!({ id: 'a2' }, {}, ctx, {} as GraphQLResolveInfo);
    expect(seen).toBe('a2');
  });
});
