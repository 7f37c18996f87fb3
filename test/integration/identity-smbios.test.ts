/**
 * Identity by SMBIOS UUID (issue 18, friction 8): two tools reporting the same firmware UUID are one machine, while a
 * UUID firmware leaves unset (all-zero, all-F) or one that clones of the same tool share joins nothing.
 * Driven through applyRun with hand-built reads, so only the identity rule differs between the devices.
 */
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { ConnectorInstance, SourceDevice, Tenant } from '../../src/entities';
import { normaliseSmbiosUuid } from '../../src/identity/normalise';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { applyRead, SYNC_T0, sourceRead, syncHarness } from '../helpers/sync';

describe(`identity by SMBIOS UUID on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  async function apply(instance: ConnectorInstance, devices: DeviceRecord[]) {
    await applyRead(db.dataSource, instance, sourceRead({ devices }));
  }
  const instance = (tenant: Tenant, name: string) => h.admin.create({ tenantId: tenant.id, kind: 'file-import', name, settings: { path: '/dev/null' }, enabled: false });
  const device = async (i: ConnectorInstance, externalId: string) => db.dataSource.getRepository(SourceDevice).findOneByOrFail({ connectorInstanceId: i.id, externalId });
  // Nothing but the UUID is shared: distinct host names, no serial, no MAC.
  const record = (externalId: string, smbiosUuid: string | null): DeviceRecord => ({ externalId, hostname: `${externalId}-host`, smbiosUuid, lastCheckInAt: SYNC_T0 });

  it('joins two tools reporting the same UUID, whatever its case, braces or hyphens', async () => {
    const tenant = await factory.tenant();
    const [rmm, inventory] = [await instance(tenant, 'rmm'), await instance(tenant, 'inventory')];
    await apply(rmm, [record('rmm-1', '4C4C4544-0042-3510-8051-B4C04F564433')]);
    await apply(inventory, [record('inv-1', '{4c4c4544004235108051b4c04f564433}')]);
    const [a, b] = [await device(rmm, 'rmm-1'), await device(inventory, 'inv-1')];
    expect(b.assetId).toBe(a.assetId);
    expect(JSON.parse(b.matchedBy!)).toMatchObject({ rule: 'SMBIOS_UUID', values: { smbiosUuid: '4c4c4544-0042-3510-8051-b4c04f564433' } });
  });

  it.each(['00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '03000200-0400-0500-0006-000700080009'])('ignores the unset UUID %s', async (uuid) => {
    const tenant = await factory.tenant();
    const [rmm, inventory] = [await instance(tenant, 'rmm'), await instance(tenant, 'inventory')];
    await apply(rmm, [record('rmm-1', uuid)]);
    await apply(inventory, [record('inv-1', uuid)]);
    expect((await device(inventory, 'inv-1')).assetId).not.toBe((await device(rmm, 'rmm-1')).assetId);
    expect(JSON.parse((await device(inventory, 'inv-1')).matchedBy!).rule).toBe('NEW');
  });

  it('ignores a UUID that live clones in one tool share, and says why', async () => {
    const tenant = await factory.tenant();
    const [rmm, inventory] = [await instance(tenant, 'rmm'), await instance(tenant, 'inventory')];
    const cloned = '564d7a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b';
    await apply(inventory, [record('inv-1', cloned)]);
    await apply(rmm, [record('vm-a', cloned), record('vm-b', cloned)]);
    const [a, b, inv] = [await device(rmm, 'vm-a'), await device(rmm, 'vm-b'), await device(inventory, 'inv-1')];
    expect(new Set([a.assetId, b.assetId, inv.assetId]).size).toBe(3);
    expect(JSON.parse(a.matchedBy!)).toMatchObject({ rule: 'NEW' });
    expect(JSON.parse(a.matchedBy!).conflicts.join('\n')).toContain('SMBIOS_UUID_SHARED_BY_LIVE_RECORDS');
  });

  it('normalises only a well-formed, set UUID', () => {
    expect(normaliseSmbiosUuid('{4C4C4544-0042-3510-8051-B4C04F564433}')).toBe('4c4c4544-0042-3510-8051-b4c04f564433');
    expect(normaliseSmbiosUuid('4C4C4544004235108051B4C04F564433')).toBe('4c4c4544-0042-3510-8051-b4c04f564433');
    for (const junk of ['', 'not-a-uuid', '00000000-0000-0000-0000-000000000000', 'ffffffffffffffffffffffffffffffff', null, undefined]) {
      expect(normaliseSmbiosUuid(junk)).toBeNull();
    }
  });
});
