import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { Role } from '../../src/entities/enums';

const ISSUER = 'https://login.microsoftonline.com/4c1b6a3e-2f0d-4b9a-8e7c-6d5f4a3b2c1d/v2.0';
const base = {
  PATCHGRAPH_OIDC_ISSUER: ISSUER,
  PATCHGRAPH_OIDC_AUDIENCE: 'api://patchgraph',
  PATCHGRAPH_OIDC_ROLE_MAP: '{"patchgraph.admin":{"role":"MSP_ADMIN","tenants":"*"},"Contoso.Auditor":{"role":"AUDITOR","tenants":["Contoso Ltd"]}}',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('OIDC configuration (PATCHGRAPH_OIDC_*)', () => {
  it('is off unless PATCHGRAPH_OIDC_ISSUER is set', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
  });

  it('reads the README example with its defaults, keeping the map in the order written', () => {
    expect(loadConfig({ ...base, PATCHGRAPH_OIDC_AUDIENCE: ' api://patchgraph , a3f7c2d1-5b8e-4c6a-9d0f-1e2b3c4d5e6f ' }).oidc).toEqual({
      issuer: ISSUER,
      audiences: ['api://patchgraph', 'a3f7c2d1-5b8e-4c6a-9d0f-1e2b3c4d5e6f'],
      jwksUrl: undefined,
      algorithms: ['RS256'],
      clockSkewSeconds: 60,
      roleClaim: 'roles',
      roleMap: [
        { value: 'patchgraph.admin', role: Role.MSP_ADMIN, tenants: '*' },
        { value: 'Contoso.Auditor', role: Role.AUDITOR, tenants: ['Contoso Ltd'] },
      ],
      jwksCacheSeconds: 600,
      jwksCooldownSeconds: 30,
    });
  });

  it('takes the list form, a role map file, the groups claim, other algorithms and a JWKS URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-oidc-'));
    try {
      const file = join(dir, 'roles.json');
      writeFileSync(file, JSON.stringify([
        { value: '0b6f2c1e-7a3d-4e8f-9b1a-2c3d4e5f6a7b', role: 'TECHNICIAN', tenants: ['6c0e…id', 'Fabrikam'] },
        { value: '1', role: 'AUDITOR', tenants: '*' },
      ]));
      const { PATCHGRAPH_OIDC_ROLE_MAP: _inline, ...rest } = base;
      const oidc = loadConfig({
        ...rest, PATCHGRAPH_OIDC_ROLE_MAP_FILE: file, PATCHGRAPH_OIDC_ROLE_CLAIM: 'groups', PATCHGRAPH_OIDC_ALGORITHMS: 'RS256, PS256,ES256',
        PATCHGRAPH_OIDC_JWKS_URL: 'https://login.microsoftonline.com/common/discovery/v2.0/keys', PATCHGRAPH_OIDC_CLOCK_SKEW_SECONDS: '0',
      }).oidc!;
      expect(oidc).toMatchObject({
        roleClaim: 'groups', algorithms: ['RS256', 'PS256', 'ES256'], clockSkewSeconds: 0, jwksUrl: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
        roleMap: [
          { value: '0b6f2c1e-7a3d-4e8f-9b1a-2c3d4e5f6a7b', role: Role.TECHNICIAN, tenants: ['6c0e…id', 'Fabrikam'] },
          { value: '1', role: Role.AUDITOR, tenants: '*' },
        ],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('allows plain http only for loopback addresses (a local identity provider in tests)', () => {
    expect(loadConfig({ ...base, PATCHGRAPH_OIDC_ISSUER: 'http://127.0.0.1:8080/t/v2.0', PATCHGRAPH_OIDC_JWKS_URL: 'http://[::1]:8080/keys' }).oidc?.issuer).toBe('http://127.0.0.1:8080/t/v2.0');
    expect(loadConfig({ ...base, PATCHGRAPH_OIDC_ISSUER: 'http://localhost:8080/t/v2.0' }).oidc?.issuer).toBe('http://localhost:8080/t/v2.0');
  });

  it.each([
    [{ PATCHGRAPH_OIDC_AUDIENCE: '' }, 'PATCHGRAPH_OIDC_AUDIENCE', "client id or Application ID URI"],
    [{ PATCHGRAPH_OIDC_AUDIENCE: ' , ' }, 'PATCHGRAPH_OIDC_AUDIENCE', 'must be set'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'must be set with PATCHGRAPH_OIDC_ISSUER'],
    [{ PATCHGRAPH_OIDC_ISSUER: 'http://login.example.com/t/v2.0' }, 'PATCHGRAPH_OIDC_ISSUER', 'must be an https:// URL'],
    [{ PATCHGRAPH_OIDC_ISSUER: 'http://10.0.0.5/t/v2.0' }, 'PATCHGRAPH_OIDC_ISSUER', 'must be an https:// URL'],
    [{ PATCHGRAPH_OIDC_ISSUER: 'login.microsoftonline.com/t' }, 'PATCHGRAPH_OIDC_ISSUER', 'not a URL'],
    [{ PATCHGRAPH_OIDC_JWKS_URL: 'http://keys.example.com/keys' }, 'PATCHGRAPH_OIDC_JWKS_URL', 'must be an https:// URL'],
    [{ PATCHGRAPH_OIDC_ALGORITHMS: 'none' }, 'PATCHGRAPH_OIDC_ALGORITHMS', '"none" is an unsigned token'],
    [{ PATCHGRAPH_OIDC_ALGORITHMS: 'RS256,HS256' }, 'PATCHGRAPH_OIDC_ALGORITHMS', 'HS* verify with a shared secret'],
    [{ PATCHGRAPH_OIDC_ALGORITHMS: 'RS255' }, 'PATCHGRAPH_OIDC_ALGORITHMS', 'use some of RS256'],
    [{ PATCHGRAPH_OIDC_CLOCK_SKEW_SECONDS: '-1' }, 'PATCHGRAPH_OIDC_CLOCK_SKEW_SECONDS', 'between 0 and 600'],
    [{ PATCHGRAPH_OIDC_JWKS_COOLDOWN_SECONDS: '0' }, 'PATCHGRAPH_OIDC_JWKS_COOLDOWN_SECONDS', 'between 1 and 3600'],
    [{ PATCHGRAPH_OIDC_JWKS_CACHE_SECONDS: 'ten' }, 'PATCHGRAPH_OIDC_JWKS_CACHE_SECONDS', 'must be an integer'],
    [{ PATCHGRAPH_OIDC_ROLE_CLAIM: 'roles; drop' }, 'PATCHGRAPH_OIDC_ROLE_CLAIM', 'must be a claim name'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'not valid JSON'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '"admin"' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'must be a JSON list'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'maps no role'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":{"role":"ROOT","tenants":"*"}}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', '"a": role must be one of MSP_ADMIN, TECHNICIAN, CLIENT_ADMIN, AUDITOR, got "ROOT"'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":{"role":"AUDITOR"}}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', '"a": tenants must be "*" (all tenants) or a non-empty list'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":{"role":"AUDITOR","tenants":[]}}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'non-empty list'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":{"role":"AUDITOR","tenants":"all"}}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'tenants must be "*"'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":{"role":"AUDITOR","tenants":"*","scope":"x"}}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'unknown field "scope"'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '{"a":{"role":"AUDITOR","tenants":"*"},"2":{"role":"MSP_ADMIN","tenants":"*"}}' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'the key "2" looks like a number'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '[{"value":"a","role":"AUDITOR","tenants":"*"},{"value":"a","role":"MSP_ADMIN","tenants":"*"}]' }, 'PATCHGRAPH_OIDC_ROLE_MAP', '"a" is mapped twice'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP: '[{"role":"AUDITOR","tenants":"*"}]' }, 'PATCHGRAPH_OIDC_ROLE_MAP', 'entry 1 needs a "value"'],
    [{ PATCHGRAPH_OIDC_ROLE_MAP_FILE: '/nonexistent/roles.json' }, 'PATCHGRAPH_OIDC_ROLE_MAP_FILE', 'set either'],
  ])('refuses %j with an error naming %s', (change, variable, text) => {
    const error = configError({ ...base, ...change });
    expect({ variable: error.variable, message: error.message }).toEqual({ variable, message: expect.stringContaining(text) });
  });

  it('names the role map file it cannot read', () => {
    const { PATCHGRAPH_OIDC_ROLE_MAP: _inline, ...rest } = base;
    const error = configError({ ...rest, PATCHGRAPH_OIDC_ROLE_MAP_FILE: '/nonexistent/roles.json' });
    expect(error.message).toBe('PATCHGRAPH_OIDC_ROLE_MAP_FILE: cannot read "/nonexistent/roles.json": ENOENT');
  });

  it('refuses OIDC settings without an issuer rather than leaving OIDC silently off', () => {
    const error = configError({ PATCHGRAPH_OIDC_AUDIENCE: 'api://patchgraph' });
    expect(error.message).toBe('PATCHGRAPH_OIDC_ISSUER: must be set when PATCHGRAPH_OIDC_AUDIENCE is (OIDC is off without it)');
  });
});
