import DataLoader from 'dataloader';
import { buildSchema, GraphQLResolveInfo, parse, OperationDefinitionNode, FragmentDefinitionNode, FieldNode } from 'graphql';
import { ByIdLoader, LoadedValues } from '../../src/graphql/loaders/loaders';
import { selectsField } from '../../src/graphql/selection';

describe('values loaded ahead', () => {
  it('are read without a promise, in one batch, and a failed key still meets its error through the loader', async () => {
    const batches: string[][] = [];
    const loader = new DataLoader<string, string | null>(async (ids) => {
      batches.push([...ids]);
      return ids.map((id) => (id === 'bad' ? new Error('boom') : id === 'gone' ? null : id.toUpperCase()));
    });
    const values = new LoadedValues(loader);
    await Promise.all([values.preload(['a', 'b', 'a']), values.preload(['b', 'gone', 'bad'])]);
    expect(batches).toEqual([['a', 'b', 'gone', 'bad']]);
    expect(values.get('a')).toBe('A');
    expect(values.get('gone')).toBeNull();
    await expect(values.get('bad')).rejects.toThrow('boom');
    const later = values.get('c');
    expect(later).toBeInstanceOf(Promise);
    await expect(later).resolves.toBe('C');
  });
});

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

  it('finds a sub-field directly, in inline fragments and in fragment spreads, but not under a directive or deeper down', () => {
    expect(selectsField(infoOf('{ patchStates { state update { kb } } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { ... on PatchState { update { kb } } } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { ...F } } fragment F on PatchState { update { kb } }'), 'update')).toBe(true);
    expect(selectsField(infoOf('{ patchStates { state } }'), 'update')).toBe(false);
    expect(selectsField(infoOf('query($s: Boolean!) { patchStates { update @skip(if: $s) { kb } } }'), 'update')).toBe(false);
    expect(selectsField(infoOf('{ patchStates { asset { patchStates { update { kb } } } } }'), 'update')).toBe(false);
  });
});
