import { GraphQLObjectType, GraphQLResolveInfo } from 'graphql';
import { Role } from '../../src/entities/enums';
import { buildPatchgraphSchema } from '../../src/graphql/schema';
import { toGlobalId } from '../../src/graphql/types/global-id';

const field = (type: string, name: string) => (buildPatchgraphSchema().getType(type) as GraphQLObjectType).getFields()[name];

describe('plain property fields', () => {
  it('are left to the default resolver, getters included', () => {
    const getters = [['PatchState', 'update'], ['AssetConnection', 'edges']];
    for (const [type, name] of [['Asset', 'hostname'], ['SourceDevice', 'externalId'], ['PatchState', 'state'], ['Update', 'kb'], ['Update', 'severity'], ['AssetConnection', 'nodes'], ...getters]) {
      expect(`${type}.${name}: ${typeof field(type, name).resolve}`).toBe(`${type}.${name}: undefined`);
    }
  });

  it('keep field resolvers, methods, permission guards and global ids', () => {
    for (const [type, name] of [['Asset', 'sources'], ['PatchState', 'asset'], ['Update', 'shared'], ['AssetConnection', 'totalCount'], ['SyncRun', 'triggeredBy'], ['Asset', 'id']]) {
      expect(`${type}.${name}: ${typeof field(type, name).resolve}`).toBe(`${type}.${name}: function`);
    }
    // A field of the entity whose resolver redacts it for some roles still does.
    const ctx = { principal: { role: Role.CLIENT_ADMIN }, authz: { checks: 0 } };
    expect(field('SyncRun', 'triggeredBy').resolve!({ triggeredBy: 'cli' }, {}, ctx, {} as GraphQLResolveInfo)).toBeNull();
  });

  it('answer a global id without a promise when the key is a plain property', () => {
    const id = field('Asset', 'id').resolve!({ id: 'k1' }, {}, {}, {} as GraphQLResolveInfo);
    expect(id).toBe(toGlobalId('Asset', 'k1'));
  });
});
