import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileImportConnector } from '../../../connectors/file-import';
import { configureFileImport } from '../../../connectors/file-import/policy';
import { writeInventoryFiles } from '../../../connectors/file-import/simulator';
import type { Connector, ConnectorContext } from '../../../connectors/sdk/contract';
import { ConfigError, MalformedResponseError } from '../../../connectors/sdk/errors';
import { systemClock } from '../../../src/util/clock';
import { failure, read } from './streams';

const context: ConnectorContext = { clock: systemClock, sleep: async () => undefined };

// Each test's inventory lives in a fresh directory under the system's temp directory: that is the import directory.
beforeAll(() => configureFileImport({ importDir: tmpdir(), allowPrivateUrls: false, privateUrlAllowList: [] }));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pg-file-import-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function connect(path: string): Connector {
  return fileImportConnector.create(Object.assign(new fileImportConnector.configClass(), { path }), context);
}

const CSV = {
  devices: 'externalId,hostname,modifiedAt\r\nd1,pc1,2026-02-01T10:00:00Z\r\nd2,pc2,2026-02-03T10:00:00Z\r\nd3,pc3,2026-02-05T10:00:00Z\r\n',
  updates: 'key,title,vendor,releasedAt\r\nmicrosoft:KB5041585,2024-08 Cumulative Update,Microsoft,2024-08-13\r\n',
  states: 'deviceExternalId,updateKey,state\r\nd1,microsoft:KB5041585,MISSING\r\n',
};

async function writeCsvDir(overrides: Partial<typeof CSV> = {}) {
  const files = { ...CSV, ...overrides };
  await writeFile(join(dir, 'devices.csv'), files.devices);
  await writeFile(join(dir, 'updates.csv'), files.updates);
  await writeFile(join(dir, 'patch-states.csv'), files.states);
}

describe('file-import over local files', () => {
  it('reads the seeded fleet from the JSON file and from the CSV files alike', async () => {
    const written = await writeInventoryFiles(dir, { devices: 12, seed: 7 });
    const json = connect(written.jsonPath);
    const csv = connect(written.csvDir);
    expect((await json.testConnection()).message).toBe(`Read 12 devices, 13 updates, 156 patch states from ${written.jsonPath}`);
    expect((await csv.testConnection()).message).toBe(`Read 12 devices, 13 updates, 156 patch states from ${dir}`);
    for (const stream of ['devices', 'updates', 'patchStates'] as const) {
      expect((await read(csv, stream)).records).toEqual((await read(json, stream)).records);
    }
    const devices = (await read<{ serialNumber: string | null }>(json, 'devices')).records;
    expect(devices.map((d) => d.serialNumber)).toContain('To Be Filled By O.E.M.');
    const states = new Set((await read<{ state: string }>(json, 'patchStates')).records.map((s) => s.state));
    expect([...states].sort()).toEqual(['FAILED', 'INSTALLED', 'MISSING', 'NOT_APPLICABLE', 'PENDING_REBOOT', 'UNKNOWN']);
  });

  it('reads incrementally when every row has modifiedAt: the cursor is the newest, later runs get only newer rows', async () => {
    await writeCsvDir();
    const connector = connect(dir);
    const full = await read<{ externalId: string }>(connector, 'devices');
    expect(full.records.map((d) => d.externalId)).toEqual(['d1', 'd2', 'd3']);
    expect(full.cursors).toEqual(['2026-02-05T10:00:00.000Z']);

    const since = await read<{ externalId: string }>(connector, 'devices', '2026-02-02T00:00:00.000Z');
    expect(since.records.map((d) => d.externalId)).toEqual(['d2', 'd3']);
    expect(since.cursors).toEqual(['2026-02-05T10:00:00.000Z']);

    expect((await read(connector, 'devices', '2026-02-05T10:00:00.000Z')).records).toEqual([]);
    // A cursor that is no date (left by a feed) asks for everything.
    expect((await read(connector, 'devices', 'opaque-feed-cursor')).records).toHaveLength(3);
  });

  it('reads in full, and reports no cursor, when any row lacks modifiedAt', async () => {
    await writeCsvDir({ devices: 'externalId,modifiedAt\nd1,2026-02-01T10:00:00Z\nd2,\n' });
    const result = await read(connect(dir), 'devices', '2026-02-02T00:00:00.000Z');
    expect(result.records).toHaveLength(2);
    expect(result.cursors).toEqual([]);
    // A stream without the column at all is the same.
    const updates = await read(connect(dir), 'updates', '2026-02-02T00:00:00.000Z');
    expect(updates).toEqual({ records: [expect.objectContaining({ key: 'microsoft:KB5041585' })], cursors: [] });
  });

  it('fails on a bad row before yielding anything, naming file, row and column', async () => {
    await writeCsvDir({ devices: 'externalId,lastCheckInAt\nd1,2026-02-01T10:00:00Z\nd2,last tuesday\n' });
    const yielded: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const d of connect(dir).devices({ mode: 'full', cursor: null, setCursor: () => undefined })) yielded.push(d);
      })(),
    );
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toMatch(/^devices\.csv row 3, column lastCheckInAt: "last tuesday" is not an ISO 8601 date/);
    expect(yielded).toEqual([]);
  });

  it('refuses a row listed twice instead of keeping one of them', async () => {
    await writeCsvDir({ devices: 'externalId,hostname\nd1,pc1\nd2,pc2\nd1,pc1-renamed\n' });
    const error = await failure(read(connect(dir), 'devices'));
    expect(error.message).toBe('devices.csv row 4, column externalId: "d1" appears again (first at row 2)');
  });

  it('reads UTF-8 with a BOM, and refuses Windows-1252 or UTF-16 instead of garbling names', async () => {
    await writeCsvDir({ devices: '\uFEFFexternalId,vendorSite\r\nd1,Zürich\r\n' });
    expect((await read(connect(dir), 'devices')).records).toEqual([expect.objectContaining({ externalId: 'd1', vendorSite: 'Zürich' })]);

    await writeFile(join(dir, 'devices.csv'), Buffer.from('externalId,vendorSite\r\nd1,Zürich\r\n', 'latin1'));
    const latin1 = await failure(read(connect(dir), 'devices'));
    expect(latin1).toBeInstanceOf(MalformedResponseError);
    expect(latin1.message).toBe('devices.csv is not UTF-8 text; save it as UTF-8 (Excel: "CSV UTF-8", not "CSV")');

    await writeFile(join(dir, 'devices.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('externalId\r\nd1\r\n', 'utf16le')]));
    expect((await failure(read(connect(dir), 'devices'))).message).toContain('devices.csv is UTF-16 text');
  });

  it('names the JSON item and field of a bad value', async () => {
    const path = join(dir, 'export.json');
    await writeFile(path, JSON.stringify({ format: 'patchgraph-inventory', version: 1, devices: [{ externalId: 'd1' }, { externalId: 'd2', lastCheckInAt: 'soon' }], updates: [], patchStates: [] }));
    const error = await failure(read(connect(path), 'devices'));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toMatch(/^export\.json devices\[1\], field lastCheckInAt: "soon" is not an ISO 8601 date/);
  });

  it('reports a missing file or directory as a configuration error against path', async () => {
    const missing = await failure(connect(join(dir, 'nope.json')).testConnection());
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).field).toBe('path');
    expect(missing.message).toContain('nope.json does not exist');

    await writeFile(join(dir, 'devices.csv'), CSV.devices);
    await writeFile(join(dir, 'updates.csv'), CSV.updates);
    const partial = await failure(connect(dir).testConnection());
    expect(partial).toBeInstanceOf(ConfigError);
    expect(partial.message).toContain('has no patch-states.csv');

    const notJson = await failure(read(connect(join(dir, 'devices.csv')), 'devices'));
    expect(notJson.message).toContain('must be a .json file or a directory');
  });
});
