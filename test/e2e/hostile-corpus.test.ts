/**
 * A corpus of hostile requests against one real server, built as data tables (every string input × a list of
 * nasty strings, every connection × bad page sizes, …). Each case must be refused with a typed JSON error (an
 * `errors[0].extensions.code` on /graphql, an `error.code` on the WSUS ingest endpoint) and the expected HTTP
 * status, with no stack trace or server path in the body; the server must still answer /healthz after it; and the
 * whole corpus, being only refusals, must leave every table exactly as it was. The other hostile-input tests check
 * each refusal's wording; this one checks that nothing in the mix gets through, crashes or leaks.
 */
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { ApiKey } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';
import { tableDigests } from '../helpers/table-digest';

const NOW = new Date('2026-11-02T10:00:00.000Z'); // the test server's fixed clock
const INGEST_KEY = 'hostile-corpus-ingest-key-0123456789abcdef';

interface Answer { status: number; contentType: string; text: string }
/** What a case can reach: filled in once the server and its data exist. */
interface Ctx {
  url: string;
  adminKey: string;
  /** An MSP_ADMIN key limited to Acme: Globex's objects must look missing to it. */
  acmeAdminKey: string;
  revokedKey: string;
  ids: Record<'acme' | 'globex' | 'acmeSite' | 'globexSite' | 'acmeAsset' | 'globexAsset' | 'acmeConnector' | 'missingTenant', string>;
  /** A real cursor of `assets` in its default ordering. */
  assetCursor: string;
  ingestUrl: string;
  wsus: WsusSimulator;
}
interface Case { family: string; name: string; send: (c: Ctx) => Promise<Answer>; status: number; code: string }

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}
const raw = (path: string, init: RequestInit = {}) => (c: Ctx) => fetch(`${c.url}${path}`, init).then(answer);
/** A POST of `body` to /graphql as the admin unless `key` says otherwise (null: no Authorization header). */
const post = (body: string, headers: Record<string, string> = {}, key?: (c: Ctx) => string | null) => (c: Ctx) => {
  const k = key ? key(c) : c.adminKey;
  return raw('/graphql', { method: 'POST', body, headers: { 'content-type': 'application/json', ...(k ? { authorization: `Bearer ${k}` } : {}), ...headers } })(c);
};
const gql = (query: string, variables?: (c: Ctx) => Record<string, unknown>, key?: (c: Ctx) => string | null) => (c: Ctx) =>
  post(JSON.stringify({ query, variables: variables?.(c) }), {}, key)(c);

const cases: Case[] = [];
const add = (family: string, name: string, send: Case['send'], status: number, code: string) => cases.push({ family, name, send, status, code });

// ---- transport: malformed and oversized bodies, wrong content types, CSRF, methods
const T = 'transport';
const VIEWER = JSON.stringify({ query: '{ viewer { name } }' });
for (const [name, body] of [
  ['empty body', ''], ['truncated object', '{"query":"{ viewer { name } }"'], ['trailing comma', '{"query":"{ viewer { name } }",}'],
  ['bare string', '"{ viewer { name } }"'], ['number', '42'], ['null', 'null'], ['NUL byte', '\u0000'], ['single quotes', "{'query':'{ viewer { name } }'}"],
  ['query is a number', '{"query":42}'], ['query is an object', '{"query":{"kind":"Document"}}'], ['no query', '{"variables":{}}'],
  ['variables is a string', '{"query":"{ viewer { name } }","variables":"{}"}'], ['variables is an array', '{"query":"{ viewer { name } }","variables":[1]}'],
  ['operationName is a number', '{"query":"{ viewer { name } }","operationName":5}'], ['extensions is a string', '{"query":"{ viewer { name } }","extensions":"x"}'],
  ['batched array of 100', JSON.stringify(Array(100).fill({ query: '{ viewer { name } }' }))], ['empty batch', '[]'],
] as const) add(T, name, post(body), 400, 'BAD_REQUEST');
add(T, '2 MB body', post(JSON.stringify({ query: '{ viewer { name } }', variables: { pad: 'x'.repeat(2 * 1_048_576) } })), 413, 'PAYLOAD_TOO_LARGE');
for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', 'application/json; charset=utf-16le', 'application/graphql'])
  add(T, `content-type ${type}`, post(VIEWER, { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE');
add(T, 'simple-request CSRF: text/plain mutation', post(JSON.stringify({ query: 'mutation { createTenant(input: { name: "CSRF" }) { id } }' }), { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
add(T, 'simple-request CSRF: form mutation', post('query=mutation%20%7B%20createTenant(input%3A%7Bname%3A%22CSRF%22%7D)%20%7B%20id%20%7D%20%7D', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
add(T, 'content-encoding br-nonsense', post(VIEWER, { 'content-encoding': 'br-nonsense' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
const mutationUrl = `/graphql?query=${encodeURIComponent('mutation { createTenant(input: { name: "ViaGet" }) { id } }')}`;
add(T, 'GET with a mutation, no CSRF header', (c) => raw(mutationUrl, { headers: { authorization: `Bearer ${c.adminKey}` } })(c), 400, 'BAD_REQUEST');
// Apollo's own refusal: 405 (the method is wrong for a mutation) with its code BAD_REQUEST.
add(T, 'GET with a mutation and apollo-require-preflight', (c) => raw(mutationUrl, { headers: { authorization: `Bearer ${c.adminKey}`, 'apollo-require-preflight': 'true' } })(c), 405, 'BAD_REQUEST');
for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'])
  add(T, `${method} /graphql`, (c) => raw('/graphql', { method, body: method === 'DELETE' ? undefined : VIEWER, headers: { 'content-type': 'application/json', authorization: `Bearer ${c.adminKey}` } })(c), 405, 'METHOD_NOT_ALLOWED');
add(T, 'POST /healthz', raw('/healthz', { method: 'POST', body: '{}' }), 405, 'METHOD_NOT_ALLOWED');

// ---- query shape: nesting, amplification, page sizes
const Q = 'query shape';
const aliases = (n: number, sel: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${sel}`).join(' ')} }`;
const deep = (levels: number) => `{ sites { nodes { ${'tenant { sites { '.repeat(levels)}name${' } }'.repeat(levels)} } } }`;
add(Q, 'fields nested 23 deep', gql(deep(10)), 400, 'QUERY_TOO_DEEP');
add(Q, '31 aliases', gql(aliases(31, 'tenants { totalCount }')), 400, 'QUERY_TOO_MANY_ALIASES');
add(Q, '25,000 aliases', gql(aliases(25_000, 'viewer { name }')), 400, 'QUERY_TOO_MANY_ALIASES');
const twenty = `fragment Twenty on Query { ${Array.from({ length: 20 }, (_, i) => `a${i}: viewer { name }`).join(' ')} }`;
add(Q, 'aliases multiplied by fragment spreads', gql(`query { ...Twenty ... on Query { ...Twenty } } ${twenty}`), 400, 'QUERY_TOO_MANY_ALIASES');
const bomb = Array.from({ length: 3 }, (_, i) => `fragment F${i + 1} on Query { ${`...F${i} `.repeat(25)}}`).join(' ');
add(Q, 'fragment bomb (25^3 spreads)', gql(`query { ...F3 } fragment F0 on Query { viewer { name } } ${bomb}`), 400, 'QUERY_TOO_COMPLEX');
add(Q, 'fragment cycle', gql('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), 400, 'GRAPHQL_VALIDATION_FAILED');
add(Q, '20,000 repeated fields', gql(`{ ${'tenants { totalCount } '.repeat(20_000)}}`), 400, 'QUERY_TOO_LARGE');
add(Q, '51 directives', gql(`{ viewer { ${'name @include(if: true) '.repeat(51)}} }`), 400, 'QUERY_TOO_MANY_DIRECTIVES');
add(Q, 'unterminated document', gql('{ viewer { name '), 400, 'GRAPHQL_PARSE_FAILED');
add(Q, 'list literal nested 10,000 deep', gql(`{ assets(filter: { tenantIds: ${'['.repeat(10_000)}${']'.repeat(10_000)} }) { totalCount } }`), 400, 'QUERY_TOO_LARGE');
add(Q, 'unknown operationName', post(JSON.stringify({ query: '{ viewer { name } }', operationName: 'Nope' })), 400, 'OPERATION_RESOLUTION_FAILURE');
add(Q, 'two operations, none named', post(JSON.stringify({ query: 'query A { viewer { name } } mutation B { createTenant(input: { name: "Two" }) { id } }' })), 400, 'OPERATION_RESOLUTION_FAILURE');
for (const list of ['assets', 'tenants', 'sites', 'updates', 'patchStates', 'syncRuns', 'connectorInstances', 'vulnerabilities']) {
  for (const [what, args] of [['first: 100000', '(first: 100000)'], ['last: 100000', '(last: 100000)'], ['first: -1', '(first: -1)'], ['last: -7', '(last: -7)'], ['first and last', '(first: 1, last: 1)']] as const)
    add(Q, `${list}(${what})`, gql(`{ ${list}${args} { totalCount } }`), 200, 'BAD_USER_INPUT');
}
add(Q, 'first: 2^31 (over Int)', gql('{ assets(first: 2147483648) { totalCount } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
add(Q, 'first: 1.5 literal', gql('{ assets(first: 1.5) { totalCount } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
add(Q, 'first: "10" literal', gql('{ assets(first: "10") { totalCount } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
add(Q, 'first: 1.5 as a variable', gql('query($n: Int) { assets(first: $n) { totalCount } }', () => ({ n: 1.5 })), 400, 'BAD_USER_INPUT');
add(Q, 'first: 1e300 as a variable', gql('query($n: Int) { assets(first: $n) { totalCount } }', () => ({ n: 1e300 })), 400, 'BAD_USER_INPUT');

// ---- nasty strings in every string input of the admin mutations and in the filters
const S = 'nasty strings';
const NASTY: Array<[string, string]> = [
  ['NUL', 'Acme\u0000Ltd'],
  ['SQL quote with NUL', "x'); DROP TABLE tenant;--\u0000"],
  ['SQL comment with bell', "' OR 1=1 --\u0007"],
  ['right-to-left override', 'invoice\u202Etxt.exe'],
  ['lone high surrogate', 'Acme \ud800'],
  ['lone low surrogate', '\udc00Acme'],
  ['ANSI escape', 'Acme\u001b[2J'],
  ['CR LF', 'Acme\r\nX-Injected: 1'],
  ['300 characters of SQL', "' OR ''='".repeat(34)],
];
const NAME_INPUTS: Array<[string, string, (c: Ctx) => Record<string, unknown>]> = [
  ['createTenant.name', 'mutation($v: String!) { createTenant(input: { name: $v }) { id } }', () => ({})],
  ['renameTenant.name', 'mutation($id: ID!, $v: String!) { renameTenant(input: { id: $id, name: $v }) { id } }', (c) => ({ id: c.ids.acme })],
  ['createSite.name', 'mutation($id: ID!, $v: String!) { createSite(input: { tenantId: $id, name: $v }) { id } }', (c) => ({ id: c.ids.acme })],
  ['renameSite.name', 'mutation($id: ID!, $v: String!) { renameSite(input: { id: $id, name: $v }) { id } }', (c) => ({ id: c.ids.acmeSite })],
  ['createConnectorInstance.name', 'mutation($id: ID!, $v: String!) { createConnectorInstance(input: { tenantId: $id, kind: "file-import", name: $v, settings: {} }) { id } }', (c) => ({ id: c.ids.acme })],
  ['createConnectorInstance.settings.path', 'mutation($id: ID!, $s: JSONObject!) { createConnectorInstance(input: { tenantId: $id, kind: "file-import", name: "Import", settings: $s }) { id } }', (c) => ({ id: c.ids.acme })],
];
/** Each filter with the length a nasty string is padded to: past a contains-filter's limit; 0 where the pattern refuses it. */
const FILTERS: Array<[string, string, number]> = [
  ['assets.hostnameContains', 'query($v: String) { assets(filter: { hostnameContains: $v }) { totalCount } }', 256],
  ['assets.osNameContains', 'query($v: String) { assets(filter: { osNameContains: $v }) { totalCount } }', 129],
  ['updates.kb', 'query($v: String) { updates(filter: { kb: $v }) { totalCount } }', 0],
  ['updates.cveId', 'query($v: String) { updates(filter: { cveId: $v }) { totalCount } }', 0],
];
for (const [what, nasty] of NASTY) {
  for (const [input, query, vars] of NAME_INPUTS) {
    // A 306-character file name is refused only when the file is opened (ENAMETOOLONG), not when saved.
    if (input.endsWith('.path') && what.startsWith('300')) continue;
    add(S, `${input} ← ${what}`, gql(query, (c) => ({ ...vars(c), ...(input.endsWith('.path') ? { s: { path: nasty } } : { v: nasty }) })), 200, 'BAD_USER_INPUT');
  }
  // A contains-filter matches text, so only its length limit refuses: each nasty string is padded past it.
  for (const [filter, query, pad] of FILTERS) add(S, `${filter} ← ${what}`, gql(query, () => ({ v: nasty.padEnd(pad, nasty) })), 200, 'BAD_USER_INPUT');
  add(S, `createConnectorInstance.kind ← ${what}`, gql('mutation($id: ID!, $k: String!) { createConnectorInstance(input: { tenantId: $id, kind: $k, name: "X", settings: {} }) { id } }', (c) => ({ id: c.ids.acme, k: nasty })), 200, 'BAD_USER_INPUT');
}

// ---- forged cursors and ids
const F = 'forged ids and cursors';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const CURSORS: Array<[string, (c: Ctx) => string]> = [
  ['random base64', () => 'q83vEjRWeJCrze8SNFZ4kA'], ['not base64', () => "' OR 1=1 --"], ['empty JSON array', () => b64('[]')],
  ['wrong value type', () => b64(JSON.stringify(['hostname', 42, 'x']))], ['tampered (one character changed)', (c) => c.assetCursor.slice(0, -2) + (c.assetCursor.endsWith('A') ? 'BB' : 'AA')],
  ['10,000 characters', () => 'A'.repeat(10_000)], ['JSON with a NUL', () => b64('["hostname","\u0000","\u0000"]')],
];
for (const [what, cursor] of CURSORS) {
  add(F, `assets(after: ${what})`, gql('query($c: String) { assets(after: $c) { totalCount } }', (c) => ({ c: cursor(c) })), 200, 'BAD_USER_INPUT');
  add(F, `assets(before: ${what})`, gql('query($c: String) { assets(last: 1, before: $c) { totalCount } }', (c) => ({ c: cursor(c) })), 200, 'BAD_USER_INPUT');
}
add(F, "tenants(after: an assets cursor)", gql('query($c: String) { tenants(after: $c) { totalCount } }', (c) => ({ c: c.assetCursor })), 200, 'BAD_USER_INPUT');
add(F, "assets(orderBy: LAST_SEEN_AT, after: a by-hostname cursor)", gql('query($c: String) { assets(orderBy: { field: LAST_SEEN_AT }, after: $c) { totalCount } }', (c) => ({ c: c.assetCursor })), 200, 'BAD_USER_INPUT');
const GARBAGE_IDS: Array<[string, string]> = [['garbage base64', 'Zm9vYmFy'], ['SQL', "1' OR '1'='1"], ['empty', ''], ['10,000 characters', 'A'.repeat(10_000)], ['NUL type', b64('Tenant\u0000:x')]];
const BY_ID: Array<[string, string]> = [
  ['tenant(id)', 'query($id: ID!) { tenant(id: $id) { id } }'], ['asset(id)', 'query($id: ID!) { asset(id: $id) { id } }'],
  ['renameTenant.id', 'mutation($id: ID!) { renameTenant(input: { id: $id, name: "Renamed" }) { id } }'],
  ['createSite.tenantId', 'mutation($id: ID!) { createSite(input: { tenantId: $id, name: "Forged" }) { id } }'],
  ['renameSite.id', 'mutation($id: ID!) { renameSite(input: { id: $id, name: "Renamed" }) { id } }'],
  ['assets(filter.tenantIds)', 'query($id: ID!) { assets(filter: { tenantIds: [$id] }) { totalCount } }'],
];
for (const [target, query] of BY_ID) {
  for (const [what, id] of GARBAGE_IDS) add(F, `${target} ← ${what}`, gql(query, () => ({ id })), 200, 'BAD_USER_INPUT');
}
add(F, 'tenant(id) ← an Asset id', gql(BY_ID[0][1], (c) => ({ id: c.ids.acmeAsset })), 200, 'BAD_USER_INPUT');
add(F, 'renameTenant.id ← a Site id', gql(BY_ID[2][1], (c) => ({ id: c.ids.acmeSite })), 200, 'BAD_USER_INPUT');
add(F, 'createSite.tenantId ← an Asset id', gql(BY_ID[3][1], (c) => ({ id: c.ids.acmeAsset })), 200, 'BAD_USER_INPUT');
add(F, 'renameSite.id ← a Tenant id', gql(BY_ID[4][1], (c) => ({ id: c.ids.acme })), 200, 'BAD_USER_INPUT');
add(F, 'tenant(id) ← a tenant that does not exist', gql(BY_ID[0][1], (c) => ({ id: c.ids.missingTenant })), 200, 'NOT_FOUND');
add(F, 'node(id) ← garbage', gql('query($id: ID!) { node(id: $id) { id } }', () => ({ id: 'Zm9vYmFy' })), 200, 'BAD_USER_INPUT');
const acmeAdmin = (c: Ctx) => c.acmeAdminKey;
for (const [target, query, key] of [
  ['node(id)', 'query($id: ID!) { node(id: $id) { id } }', 'globexAsset'], ['asset(id)', BY_ID[1][1], 'globexAsset'], ['tenant(id)', BY_ID[0][1], 'globex'],
  ['renameTenant.id', BY_ID[2][1], 'globex'], ['createSite.tenantId', BY_ID[3][1], 'globex'], ['renameSite.id', BY_ID[4][1], 'globexSite'],
  ['assets(filter.tenantIds)', BY_ID[5][1], 'globex'],
] as const) {
  // Renaming a tenant needs an all-tenants key (the permission matrix), so a limited key is refused whatever id it names.
  add(F, `${target} ← another tenant's id, tenant-limited key`, gql(query, (c) => ({ id: c.ids[key] }), acmeAdmin), 200, target === 'renameTenant.id' ? 'FORBIDDEN' : 'NOT_FOUND');
}

// ---- bad tokens
const A = 'bad tokens';
for (const [what, header] of [
  ['no header', null], ['Basic scheme', 'Basic YWRtaW46YWRtaW4='], ['Bearer without a key', 'Bearer'], ['Bearer and spaces', 'Bearer    '],
  ['unknown key', 'Bearer pgk_0000000000000000000000000000000000000000000'], ['two keys', 'Bearer pgk_a pgk_b'], ['SQL in the key', "Bearer ' OR 1=1 --"],
  ['8 KB key', `Bearer pgk_${'A'.repeat(8_000)}`], ['revoked key', 'revoked'],
] as const) {
  const headers = (c: Ctx): Record<string, string> => (header === null ? {} : { authorization: header === 'revoked' ? `Bearer ${c.revokedKey}` : header });
  add(A, `${what}, query`, (c) => post(VIEWER, headers(c), () => null)(c), 401, 'UNAUTHENTICATED');
  add(A, `${what}, mutation`, (c) => post(JSON.stringify({ query: 'mutation { createTenant(input: { name: "NoKey" }) { id } }' }), headers(c), () => null)(c), 401, 'UNAUTHENTICATED');
}

// ---- WSUS ingest
const W = 'WSUS ingest';
const ingest = (body: Buffer | string, opts: { key?: string | null; url?: (c: Ctx) => string; gzip?: boolean } = {}) => (c: Ctx) =>
  fetch(opts.url ? opts.url(c) : c.ingestUrl, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', ...(opts.gzip === false ? {} : { 'content-encoding': 'gzip' }), ...(opts.key === null ? {} : { authorization: `Bearer ${opts.key ?? INGEST_KEY}` }) },
  }).then(answer);
const snapshot = (c: Ctx, edit: (s: any) => unknown = (s) => s) => gzipSync(JSON.stringify(edit(c.wsus.snapshot())));
const gz = (v: unknown) => gzipSync(JSON.stringify(v));
add(W, 'wrong key', (c) => ingest(snapshot(c), { key: 'not-the-key' })(c), 401, 'UNAUTHENTICATED');
add(W, 'no key', (c) => ingest(snapshot(c), { key: null })(c), 401, 'UNAUTHENTICATED');
add(W, 'an API key instead of the ingest key', (c) => ingest(snapshot(c), { key: c.adminKey })(c), 401, 'UNAUTHENTICATED');
add(W, 'a non-WSUS instance id', (c) => ingest(snapshot(c), { url: (x) => `${x.url}/ingest/wsus/${x.ids.acmeConnector}` })(c), 401, 'UNAUTHENTICATED');
add(W, 'a Tenant id as the instance', (c) => ingest(snapshot(c), { url: (x) => `${x.url}/ingest/wsus/${x.ids.acme}` })(c), 401, 'UNAUTHENTICATED');
add(W, 'SQL as the instance', (c) => ingest(snapshot(c), { url: (x) => `${x.url}/ingest/wsus/${encodeURIComponent("1' OR '1'='1")}` })(c), 401, 'UNAUTHENTICATED');
add(W, 'empty body', ingest(Buffer.alloc(0)), 400, 'MALFORMED_UPLOAD');
add(W, 'truncated gzip', (c) => { const g = snapshot(c); return ingest(g.subarray(0, Math.floor(g.length / 2)))(c); }, 400, 'MALFORMED_UPLOAD');
add(W, 'gzip magic then garbage', ingest(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not deflate at all')])), 400, 'MALFORMED_UPLOAD');
add(W, 'says gzip, is plain JSON', (c) => ingest(JSON.stringify(c.wsus.snapshot()))(c), 400, 'MALFORMED_UPLOAD');
add(W, 'gzip of text that is not JSON', ingest(gzipSync('<html>snapshot</html>')), 400, 'MALFORMED_UPLOAD');
add(W, 'plain text that is not JSON', ingest('not json', { gzip: false }), 400, 'MALFORMED_UPLOAD');
add(W, 'gzip of JSON cut short', ingest(gzipSync('{"format":"patchgraph.wsus"')), 400, 'MALFORMED_UPLOAD');
for (const [what, value] of [['null', null], ['an array', []], ['a string', 'snapshot'], ['an empty object', {}]] as const) add(W, `JSON ${what}`, ingest(gz(value)), 422, 'SCHEMA_VIOLATION');
add(W, 'rows missing', (c) => ingest(snapshot(c, (s) => ({ ...s, rows: undefined })))(c), 422, 'SCHEMA_VIOLATION');
add(W, 'computerTargets is a string', (c) => ingest(snapshot(c, (s) => ({ ...s, rows: { ...s.rows, computerTargets: 'all' } })))(c), 422, 'SCHEMA_VIOLATION');
add(W, 'generatedAt is not a date', (c) => ingest(snapshot(c, (s) => ({ ...s, generatedAt: "'; DROP TABLE asset;--" })))(c), 422, 'SCHEMA_VIOLATION');
add(W, 'envelope version 99', (c) => ingest(snapshot(c, (s) => ({ ...s, version: 99 })))(c), 422, 'UNKNOWN_ENVELOPE_VERSION');
add(W, 'envelope version "1"', (c) => ingest(snapshot(c, (s) => ({ ...s, version: String(s.version) })))(c), 422, 'UNKNOWN_ENVELOPE_VERSION');
add(W, 'generatedAt in 2099', (c) => ingest(snapshot(c, (s) => ({ ...s, generatedAt: '2099-01-01T00:00:00Z' })))(c), 422, 'SNAPSHOT_FROM_THE_FUTURE');
add(W, 'generatedAt 11 minutes ahead', (c) => ingest(snapshot(c, (s) => ({ ...s, generatedAt: new Date(NOW.getTime() + 11 * 60_000).toISOString() })))(c), 422, 'SNAPSHOT_FROM_THE_FUTURE');
add(W, 'generatedAt before the last applied', (c) => ingest(snapshot(c, (s) => ({ ...s, generatedAt: '2026-10-01T00:00:00Z' })))(c), 409, 'STALE_SNAPSHOT');

/** The typed code of a body: GraphQL's errors[0].extensions.code, or the ingest endpoint's error.code. */
function typedCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text);
    return body?.errors?.[0]?.extensions?.code ?? body?.error?.code;
  } catch {
    return undefined;
  }
}
const LEAKS = /\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|stacktrace|file:\/\/|<html|<pre/i;

describe(`a corpus of ${cases.length} hostile requests is refused, typed and harmless, on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let ctx: Ctx;
  let before: Record<string, string>;
  let beforeKeys: unknown[];
  let beforeEvents: Array<{ id: string }>;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const [acme, globex, missing] = [await f.tenant('Acme Ltd'), await f.tenant('Globex Corp'), await f.tenant('Gone Ltd')];
    const [acmeSite, globexSite] = [await f.site(acme, 'Acme HQ'), await f.site(globex, 'Globex HQ')];
    const [acmeAsset, , globexAsset] = await f.insertAssets([f.asset(acme, { siteId: acmeSite.id }), f.asset(acme), f.asset(globex, { siteId: globexSite.id })]);
    const acmeConnector = await f.connector(acme, 'file-import');
    await db.dataSource.query(`DELETE FROM tenant WHERE id = ?`, [missing.id]);
    server = await startTestServer(db);
    const { body } = await server.gql('mutation($t: ID!, $k: String!) { createConnectorInstance(input: { tenantId: $t, kind: "wsus", name: "WSUS", settings: { ingestKey: $k } }) { id } }', { t: toGlobalId('Tenant', acme.id), k: INGEST_KEY });
    expect(body.errors).toBeUndefined();
    const wsus = new WsusSimulator({ computers: 3, updates: 8, seed: 7, now: NOW });
    const ingestUrl = `${server.app.url}/ingest/wsus/${body.data.createConnectorInstance.id}`;
    expect((await wsus.upload(ingestUrl, INGEST_KEY)).status).toBe(200);
    const revokedKey = await server.keyFor(Role.MSP_ADMIN, []);
    await db.dataSource.getRepository(ApiKey).update({ name: `test-${Role.MSP_ADMIN}`, allTenants: false }, { revokedAt: NOW });
    const acmeAdminKey = await server.keyFor(Role.MSP_ADMIN, [acme.id]);
    const page = await server.gql('{ assets(first: 1) { pageInfo { endCursor } } }', undefined, acmeAdminKey);
    ctx = {
      url: server.app.url, adminKey: server.adminKey, acmeAdminKey, revokedKey, ingestUrl, wsus,
      assetCursor: page.body.data.assets.pageInfo.endCursor,
      ids: {
        acme: toGlobalId('Tenant', acme.id), globex: toGlobalId('Tenant', globex.id), missingTenant: toGlobalId('Tenant', missing.id),
        acmeSite: toGlobalId('Site', acmeSite.id), globexSite: toGlobalId('Site', globexSite.id),
        acmeAsset: toGlobalId('Asset', acmeAsset.id), globexAsset: toGlobalId('Asset', globexAsset.id), acmeConnector: toGlobalId('ConnectorInstance', acmeConnector.id),
      },
    };
    // The uses of the keys made above are written now, so the only writes the corpus may cause are the server's own
    // periodic record of failed sign-ins and key use, which the last test accounts for.
    await server.app.keyUsage.flush();
    before = await tableDigests(db.dataSource);
    beforeKeys = await keysWithoutUse();
    beforeEvents = await db.dataSource.query('SELECT id FROM audit_event');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it.each(cases.map((c) => [`${c.family}: ${c.name}`, c] as const))('%s', async (name, c) => {
    const res = await c.send(ctx);
    const seen = { case: name, status: res.status, json: /^application\/json/.test(res.contentType), code: typedCode(res.text) };
    expect(seen).toEqual({ case: name, status: c.status, json: true, code: c.code });
    expect({ case: name, leaks: LEAKS.exec(res.text)?.[0] ?? null, paths: [process.cwd(), tmpdir()].filter((p) => res.text.includes(p)) }).toEqual({ case: name, leaks: null, paths: [] });
    expect({ case: name, healthz: (await fetch(`${ctx.url}/healthz`)).status }).toEqual({ case: name, healthz: 200 });
  });

  it('the corpus is large enough and every table is as it was before it', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    await server.app.keyUsage.flush();
    const after = await tableDigests(db.dataSource);
    // Refused sign-ins are counted and written once a minute as one audit event, and key use as lastUsedAt: nothing else may change.
    const own = ['audit_event', 'audit_chain_head', 'api_key'];
    expect(Object.keys(after).filter((t) => after[t] !== before[t] && !own.includes(t))).toEqual([]);
    expect(await keysWithoutUse()).toEqual(beforeKeys);
    const known = new Set(beforeEvents.map((e: { id: string }) => e.id));
    const added: Array<{ action: string; tenantId: string | null }> = (await db.dataSource.query('SELECT id, action, tenantId FROM audit_event')).filter((e: { id: string }) => !known.has(e.id));
    expect(added.filter((e) => e.tenantId !== null || !['auth.failures', 'apiKey.usedAfterExpiry'].includes(e.action))).toEqual([]);
  });

  async function keysWithoutUse(): Promise<unknown[]> {
    return db.dataSource.query('SELECT id, name, prefix, secretHash, role, allTenants, tenantIds, createdAt, revokedAt, expiresAt FROM api_key ORDER BY id');
  }
});
