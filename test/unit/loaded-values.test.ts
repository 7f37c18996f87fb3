import { buildSchema, GraphQLResolveInfo, parse, OperationDefinitionNode, FragmentDefinitionNode, FieldNode } from 'graphql';
import { ByIdLoader } from '../../src/graphql/loaders/loaders';
import { selectsField } from '../../src/graphql/selection';

describe('rows remembered by a by-id loader', () => {
  it('answer without a batch, keep the first row read under an id, and are forgotten by clear', async () => {
    const batches: string[][] = [];
    const loader = new ByIdLoader<{ id: string; v: number }>(async (ids) => {
      batches.push([...ids]);
      return ids.map((id) => ({ id, v: 0 }));
    });
    loader.remember({ id: 'a', v: 1 });
    loader.remember({ id: 'a', v: 2 });
    expect(await loader.load('a')).toEqual({ id: 'a', v: 1 });
    expect(await loader.loadMany(['a', 'b'])).toEqual([{ id: 'a', v: 1 }, { id: 'b', v: 0 }]);
    expect(batches).toEqual([['b']]);
    loader.clear('a');
    expect(await loader.load('a')).toEqual({ id: 'a', v: 0 });
    expect(batches).toEqual([['b'], ['a']]);
  });
});

describe('selectsField', () => {
  const infoOf = (query: string): GraphQLResolveInfo => {
    const doc = parse(query);
    const operation = doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
    const fragments = Object.fromEntries(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((f) => [f.name.value, f]));
    const field = operation.selectionSet.selections[0] as FieldNode;
    return { fieldNodes: [field], fragments, schema: buildSchema('type Query { x: Int }') } as unknown as GraphQLResolveInfo;
  };

  it('finds a sub-field directly, in inline fragments, in fragment spreads and under a directive, but not deeper down', () => {
    expect(selectsField(infoOf('{ patchStates { state update { kb } } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { ... on PatchState { update { kb } } } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { ...F } } fragment F on PatchState { update { kb } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { state } }'), 'update')).toBe(false);
    // Skipped or not, what it would read is loaded: PatchState.update reads only what was.
    expect(selectsField(infoOf('query($s: Boolean!) { patchStates { update @skip(if: $s) { kb } } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('query($s: Boolean!) { patchStates { ... @include(if: $s) { update { kb } } } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { asset { patchStates { update { kb } } } } }'), 'update')).toBe(false);
  });

  it('follows a path through a page, its edges and fragments at every step', () => {
    const nodes = infoOf('{ patchStates { nodes { update { kb } } } }');
    expect(selectsField(nodes, 'nodes', 'update')).toBe(true);
    expect(selectsField(nodes, 'edges', 'node', 'update')).toBe(false);
    expect(selectsField(nodes, 'update')).toBe(false);
    const edges = infoOf('{ patchStates { ...P } } fragment P on PatchStateConnection { edges { ... on PatchStateEdge { node { ...S } } } } fragment S on PatchState { update { kb } }');
    expect(selectsField(edges, 'edges', 'node', 'update')).toBe(true);
    expect(selectsField(edges, 'nodes', 'update')).toBe(false);
    expect(selectsField(infoOf('{ patchStates { nodes { state } edges { cursor } } }'), 'nodes', 'update')).toBe(false);
  });
});
