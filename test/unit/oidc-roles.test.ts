import { claimValues, grantFor, resolveTenants } from '../../src/auth/oidc-roles';
import { RoleMapping } from '../../src/config/oidc-config';
import { Tenant } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

const map: RoleMapping[] = [
  { value: 'patchgraph.admin', role: Role.MSP_ADMIN, tenants: '*' },
  { value: 'Contoso.Technician', role: Role.TECHNICIAN, tenants: ['Contoso Ltd'] },
  { value: 'Fabrikam.Technician', role: Role.TECHNICIAN, tenants: ['Fabrikam Inc', 'Contoso Ltd'] },
  { value: 'Contoso.Auditor', role: Role.AUDITOR, tenants: ['Contoso Ltd'] },
  { value: 'Northwind.Auditor', role: Role.AUDITOR, tenants: ['Northwind'] },
  { value: 'All.Auditor', role: Role.AUDITOR, tenants: '*' },
];

describe('mapping a token\'s roles or groups to a role and tenants', () => {
  it('lets the first matching mapping in configured order decide the role, whatever order the token lists them in', () => {
    expect(grantFor(['Contoso.Auditor', 'patchgraph.admin'], map)).toEqual({ role: Role.MSP_ADMIN, tenants: '*', matched: ['patchgraph.admin'] });
    expect(grantFor(['Contoso.Auditor', 'Contoso.Technician'], map)).toEqual({ role: Role.TECHNICIAN, tenants: ['Contoso Ltd'], matched: ['Contoso.Technician'] });
  });

  it('unions the tenants of every match with that role, and only those', () => {
    expect(grantFor(['Fabrikam.Technician', 'Contoso.Technician', 'Northwind.Auditor'], map))
      .toEqual({ role: Role.TECHNICIAN, tenants: ['Contoso Ltd', 'Fabrikam Inc'], matched: ['Contoso.Technician', 'Fabrikam.Technician'] });
  });

  it('grants all tenants when any match with the role says "*"', () => {
    expect(grantFor(['Northwind.Auditor', 'All.Auditor'], map)).toEqual({ role: Role.AUDITOR, tenants: '*', matched: ['Northwind.Auditor', 'All.Auditor'] });
  });

  it('grants nothing when no value is mapped; values are compared exactly', () => {
    expect(grantFor([], map)).toBeNull();
    expect(grantFor(['PATCHGRAPH.ADMIN', 'patchgraph.admin ', 'Readers'], map)).toBeNull();
  });

  it('reads a role claim as a list of strings, or one string', () => {
    expect(claimValues(['a', 1, null, 'b'])).toEqual(['a', 'b']);
    expect(claimValues('a')).toEqual(['a']);
    expect(claimValues(undefined)).toEqual([]);
    expect(claimValues({ a: 1 })).toEqual([]);
  });
});

describe(`resolving a mapping's tenants on ${ENGINE}`, () => {
  let db: TestDatabase;
  let contoso: Tenant;
  let fabrikam: Tenant;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    contoso = await f.tenant('Contoso Ltd');
    fabrikam = await f.tenant('Fabrikam Inc');
  });
  afterAll(async () => db.drop());

  it('takes ids and names, names compared as tenant names are kept unique (case, accents, width)', async () => {
    expect(await resolveTenants(db.dataSource, [fabrikam.id, 'CONTOSO LTD', 'Ｆａｂｒｉｋａｍ Inc'])).toEqual({ ids: [fabrikam.id, contoso.id], unresolved: [] });
  });

  it('takes the id the API shows (a global Tenant id), and no other type\'s', async () => {
    expect(await resolveTenants(db.dataSource, [toGlobalId('Tenant', contoso.id), toGlobalId('Site', fabrikam.id), toGlobalId('Tenant', 'no-such-key')]))
      .toEqual({ ids: [contoso.id], unresolved: [toGlobalId('Site', fabrikam.id), toGlobalId('Tenant', 'no-such-key')] });
  });

  it('resolves a name that matches no tenant to nothing, and says which', async () => {
    expect(await resolveTenants(db.dataSource, ['Northwind', 'Contoso'])).toEqual({ ids: [], unresolved: ['Northwind', 'Contoso'] });
  });

  it('stops matching a renamed tenant by its old name, and keeps matching it by id', async () => {
    await db.dataSource.getRepository(Tenant).update(contoso.id, { name: 'Contoso Group' });
    expect(await resolveTenants(db.dataSource, ['Contoso Ltd', contoso.id])).toEqual({ ids: [contoso.id], unresolved: ['Contoso Ltd'] });
    expect(await resolveTenants(db.dataSource, ['Contoso Ltd'])).toEqual({ ids: [], unresolved: ['Contoso Ltd'] });
  });
});
