import { UserInputError } from '../../src/errors';
import { decodeGlobalId, keyOf, toGlobalId } from '../../src/graphql/types/global-id';

describe('global ids', () => {
  it('round-trip type and key, and hide the raw key', () => {
    const id = toGlobalId('Asset', '9f66319b-21db-42be-bce9-1c3a4a9849e7');
    expect(id).not.toContain('9f66319b');
    expect(decodeGlobalId(id, 'id')).toEqual({ type: 'Asset', key: '9f66319b-21db-42be-bce9-1c3a4a9849e7' });
  });

  it.each(['', 'not base64!', Buffer.from('no-separator').toString('base64url'), Buffer.from('lower:case').toString('base64url'), Buffer.from('Asset:').toString('base64url')])(
    'refuses %j as BAD_USER_INPUT naming the field',
    (id) => {
      expect(() => decodeGlobalId(id, 'filter.assetIds[0]')).toThrow(UserInputError);
      try {
        decodeGlobalId(id, 'filter.assetIds[0]');
      } catch (e) {
        expect((e as UserInputError).field).toBe('filter.assetIds[0]');
      }
    },
  );

  it('refuses an id of another type where one type is expected', () => {
    expect(() => keyOf('Tenant', toGlobalId('Site', 'x'), 'input.id')).toThrow('expected a Tenant id but got a Site id');
  });
});
