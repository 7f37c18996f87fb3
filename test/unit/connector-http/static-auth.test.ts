/** Static bearer tokens and API-key headers, through HttpClient against a real HTTP server on 127.0.0.1. */
import { apiKeyHeader, AuthError, bearerToken, ConfigError, HttpClient, HttpLogEvent, StaticAuth } from '../../../connectors/sdk';
import { json, startLocalServer } from './local-server';

const TOKEN = 'trmm_Pat.7fQ2-secret';
const API_KEY = 'ak-5c1e9b77/secret+';

let server: Awaited<ReturnType<typeof startLocalServer>>;
/** The credential the server accepts; anything else gets a 401 that echoes what it was sent. */
let accepted: { header: string; value: string };

beforeAll(async () => {
  server = await startLocalServer((req, res) => {
    const sent = String(req.headers[accepted.header] ?? '');
    if (sent === accepted.value) return json(res, 200, { agents: [] });
    json(res, 401, { error: 'unauthorized', message: `credential "${sent}" is not valid` });
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

function client(auth: StaticAuth) {
  const events: HttpLogEvent[] = [];
  return { events, http: new HttpClient({ baseUrl: `${server.url}/api`, vendor: 'Tactical RMM', auth, log: (e) => events.push(e), sleep: async () => {} }) };
}

describe('static credentials', () => {
  it('bearerToken sends Authorization: Bearer with every request', async () => {
    accepted = { header: 'authorization', value: `Bearer ${TOKEN}` };
    const { http } = client(bearerToken(TOKEN));
    expect(await http.get('/agents')).toEqual({ agents: [] });
    expect(await http.get('/agents')).toEqual({ agents: [] });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('apiKeyHeader sends the key in the vendor\'s header, with an optional prefix', async () => {
    accepted = { header: 'x-api-key', value: API_KEY };
    expect(await client(apiKeyHeader('X-API-KEY', API_KEY)).http.get('/agents')).toEqual({ agents: [] });
    accepted = { header: 'authorization', value: `ApiKey ${API_KEY}` };
    expect(await client(apiKeyHeader('Authorization', API_KEY, { prefix: 'ApiKey' })).http.get('/agents')).toEqual({ agents: [] });
    expect(server.requests.map((r) => [r.headers['x-api-key'], r.headers.authorization])).toEqual([
      [API_KEY, undefined],
      [undefined, `ApiKey ${API_KEY}`],
    ]);
  });

  it('a refused key is an AuthError at once, with the key redacted from the message and the logs', async () => {
    accepted = { header: 'x-api-key', value: 'the-right-key' };
    const { http, events } = client(apiKeyHeader('X-API-Key', API_KEY));
    const error = await http.get('/agents').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    // There is no token to fetch again: one request, no retry.
    expect(server.requests).toHaveLength(1);
    expect((error as AuthError).message).toContain('credential "[redacted]" is not valid');
    expect((error as AuthError).stack).not.toContain(API_KEY);
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(API_KEY);
  });

  it('a refused bearer token is redacted the same way', async () => {
    accepted = { header: 'authorization', value: 'Bearer other' };
    const error = await client(bearerToken(TOKEN)).http.get('/agents').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).not.toContain(TOKEN);
    expect((error as AuthError).message).toContain('[redacted]');
  });

  it('refuses an empty credential, a multi-line one or a bad header name without repeating the value', () => {
    expect(() => bearerToken('  ', { field: 'apiToken' })).toThrow(new ConfigError('apiToken', 'is required'));
    expect(() => apiKeyHeader('X-API-Key', `${API_KEY}\r\nX-Evil: 1`)).toThrow(new ConfigError('apiKey', 'must be one line'));
    expect(() => apiKeyHeader('X API Key', API_KEY)).toThrow(ConfigError);
  });
});
