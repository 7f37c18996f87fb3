import { fileImportConnector, parseFileImportConfig } from '../../../connectors/file-import';
import { harness } from '../../../connectors/file-import/testing';
import { settingsOf } from '../../../connectors/sdk/config';
import { ConfigError } from '../../../connectors/sdk/errors';
import { systemClock } from '../../../src/util/clock';
import { configureFileImport } from '../../../connectors/file-import/policy';

// These tests are about the settings' own rules; the server's import directory and address policy allow everything
// here (file-import-policy.test.ts tests the refusals).
beforeAll(() => configureFileImport({ importDir: '/', allowPrivateUrls: true, privateUrlAllowList: [] }));

const FEED = { url: 'https://inventory.example.net/api', tokenUrl: 'https://login.example.net/oauth2/token', clientId: 'patchgraph', clientSecret: 's3cret!' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('file-import configuration', () => {
  it('declares its settings, with the client secret as the only secret', () => {
    expect(settingsOf(fileImportConnector.configClass).map((s) => [s.name, s.type, s.secret, s.optional])).toEqual([
      ['path', 'string', false, true],
      ['url', 'string', false, true],
      ['tokenUrl', 'string', false, true],
      ['clientId', 'string', false, true],
      ['clientSecret', 'string', true, true],
      ['pageSize', 'number', false, true],
    ]);
  });

  it('accepts a path alone, a feed without sign-in, and a feed with client credentials', () => {
    expect(parseFileImportConfig({ path: '/srv/inventory.json' })).toMatchObject({ path: '/srv/inventory.json', pageSize: 500 });
    expect(parseFileImportConfig({ url: 'http://localhost:8080/inventory', pageSize: 5000 })).toMatchObject({ pageSize: 5000 });
    expect(parseFileImportConfig(FEED)).toMatchObject(FEED);
  });

  it.each([
    ['neither path nor url', 'path', {}, 'is required unless url is given'],
    ['both path and url', 'path', { ...FEED, path: '/srv/x.json' }, 'give either path or url, not both'],
    ['url not a URL', 'url', { url: 'inventory server' }, 'must be an absolute http(s) URL'],
    ['url with another scheme', 'url', { url: 'file:///srv/inventory.json' }, 'must be an absolute http(s) URL'],
    ['tokenUrl not a URL', 'tokenUrl', { ...FEED, tokenUrl: 'login' }, 'must be an absolute http(s) URL'],
    ['tokenUrl without clientId', 'clientId', { ...FEED, clientId: undefined }, 'is required when tokenUrl is given'],
    ['tokenUrl without clientSecret', 'clientSecret', { ...FEED, clientSecret: '' }, 'is required when tokenUrl is given'],
    ['a client without tokenUrl', 'tokenUrl', { ...FEED, tokenUrl: undefined }, 'is required when clientId or clientSecret is given'],
    ['tokenUrl with a file', 'tokenUrl', { path: '/srv/x.json', tokenUrl: FEED.tokenUrl, clientId: 'a', clientSecret: 'b' }, 'applies only to a feed: give url as well'],
    ['pageSize 0', 'pageSize', { ...FEED, pageSize: 0 }, 'must be at least 1'],
    ['pageSize 5001', 'pageSize', { ...FEED, pageSize: 5001 }, 'must be at most 5000'],
    ['pageSize 2.5', 'pageSize', { ...FEED, pageSize: 2.5 }, 'must be a whole number'],
    ['pageSize as text', 'pageSize', { ...FEED, pageSize: '100' }, 'must be a number'],
    ['an unknown setting', 'colour', { ...FEED, colour: 'blue' }, 'is not a setting of the file-import connector'],
  ] as Array<[string, string, Record<string, unknown>, string]>)('refuses %s, naming %s', (_name, field, raw, message) => {
    const error = configError(() => parseFileImportConfig(raw));
    expect(error.field).toBe(field);
    expect(error.message).toBe(`${field}: ${message}`);
    expect(error.message).not.toContain('s3cret!');
  });

  it('create checks the rules across fields too, whoever built the config object', () => {
    const bare = Object.assign(new fileImportConnector.configClass(), { tokenUrl: FEED.tokenUrl, url: FEED.url, clientId: 'x' });
    expect(configError(() => fileImportConnector.create(bare, { clock: systemClock })).field).toBe('clientSecret');
  });

  it('every broken configuration of the harness is reported against its field, by parseConfig and by create', () => {
    const valid = { ...FEED, pageSize: 10 };
    expect(() => fileImportConnector.create(parseFileImportConfig(valid), { clock: systemClock })).not.toThrow();
    for (const broken of harness.invalidConfigs) {
      const raw = broken.mutate(valid);
      expect([broken.name, configError(() => parseFileImportConfig(raw)).field]).toEqual([broken.name, broken.field]);
      expect([broken.name, configError(() => fileImportConnector.create(raw as never, { clock: systemClock })).field]).toEqual([broken.name, broken.field]);
    }
  });
});
