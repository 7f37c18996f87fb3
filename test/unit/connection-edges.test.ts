import 'reflect-metadata';
import { Page } from '../../src/access/keyset';
import { Asset } from '../../src/entities';
import { AssetConnection } from '../../src/graphql/resolvers/asset.resolver';

/** A page of three assets whose cursors are counted as they are made. */
function pageOf(ids: string[], cursors: string[]): Page<Asset> {
  return {
    rows: ids.map((id) => Object.assign(new Asset(), { id, hostname: `host-${id}` })),
    cursorOf: (row) => {
      cursors.push(row.id);
      return `cursor:${row.id}`;
    },
    hasNextPage: true,
    hasPreviousPage: false,
  };
}

describe('a connection', () => {
  it('makes its edges\' cursors only when its edges are read, once', () => {
    const made: string[] = [];
    const connection = AssetConnection.of(pageOf(['a', 'b', 'c'], made), async () => 3);
    expect(connection.pageInfo).toMatchObject({ startCursor: 'cursor:a', endCursor: 'cursor:c', hasNextPage: true, hasPreviousPage: false });
    expect(connection.nodes.map((a) => a.id)).toEqual(['a', 'b', 'c']);
    expect(made).toEqual(['a', 'c']);

    expect(connection.edges.map((e) => [e.cursor, e.node.id])).toEqual([['cursor:a', 'a'], ['cursor:b', 'b'], ['cursor:c', 'c']]);
    expect(connection.edges).toBe(connection.edges);
    expect(connection.edges[0].node).toBe(connection.nodes[0]);
    expect(made).toEqual(['a', 'c', 'a', 'b', 'c']);
  });

  it('of an empty page has no cursors and no edges', () => {
    const made: string[] = [];
    const connection = AssetConnection.of(pageOf([], made), async () => 0);
    expect(connection.pageInfo).toMatchObject({ startCursor: null, endCursor: null });
    expect(connection.edges).toEqual([]);
    expect(made).toEqual([]);
  });
});
