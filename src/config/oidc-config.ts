import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Role } from '../entities/enums';
// Circular with config.ts, which is safe: ConfigError is only used when a variable is read, after both modules loaded.
import { ConfigError } from './config';

/** One entry of PATCHGRAPH_OIDC_ROLE_MAP: tokens whose role claim holds `value` get `role` on `tenants`. */
export interface RoleMapping {
  value: string;
  role: Role;
  /** Every tenant, including ones created later; or tenant ids or names, resolved at each request. */
  tenants: '*' | string[];
}

/** OIDC bearer tokens (Entra ID or another identity provider); absent unless PATCHGRAPH_OIDC_ISSUER is set. */
export interface OidcConfig {
  /** Exactly the token's `iss`, e.g. https://login.microsoftonline.com/<tenant id>/v2.0. */
  issuer: string;
  /** Accepted `aud` values: for Entra, the app's client id or Application ID URI. */
  audiences: string[];
  /** The key set; when absent, discovered from `<issuer>/.well-known/openid-configuration` at first use. */
  jwksUrl?: string;
  algorithms: string[];
  clockSkewSeconds: number;
  /** The claim whose values are looked up in roleMap: `roles` (Entra app roles) or `groups` (group object ids). */
  roleClaim: string;
  /** In configured order: the first mapping that matches decides the role. */
  roleMap: RoleMapping[];
  /** The longest a fetched key set is used before it is fetched again (a removed key stops working by then). */
  jwksCacheSeconds: number;
  /** After a fetch, a token naming an unknown key does not make patchgraph fetch the key set again for this long. */
  jwksCooldownSeconds: number;
}

/**
 * Public-key algorithms only. HS* would verify with a shared secret, and given a JWKS that "secret" would be a public
 * key anyone can read; `none` is no signature at all.
 */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const ROLES = Object.values(Role) as string[];

/** Reads the PATCHGRAPH_OIDC_* variables; undefined when PATCHGRAPH_OIDC_ISSUER is unset (OIDC off). */
export function oidcVars(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env.PATCHGRAPH_OIDC_ISSUER?.trim();
  if (!issuer) {
    const stray = ['PATCHGRAPH_OIDC_AUDIENCE', 'PATCHGRAPH_OIDC_ROLE_MAP', 'PATCHGRAPH_OIDC_ROLE_MAP_FILE', 'PATCHGRAPH_OIDC_JWKS_URL'].find((name) => env[name]);
    // Half a configuration would otherwise leave OIDC silently off.
    if (stray) throw new ConfigError('PATCHGRAPH_OIDC_ISSUER', `must be set when ${stray} is (OIDC is off without it)`);
    return undefined;
  }
  secureUrl('PATCHGRAPH_OIDC_ISSUER', issuer);
  const audiences = (env.PATCHGRAPH_OIDC_AUDIENCE ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (audiences.length === 0) {
    throw new ConfigError('PATCHGRAPH_OIDC_AUDIENCE', "must be set with PATCHGRAPH_OIDC_ISSUER: the token audience, for Entra the app's client id or Application ID URI (comma-separated for several)");
  }
  const jwksUrl = env.PATCHGRAPH_OIDC_JWKS_URL?.trim() || undefined;
  if (jwksUrl) secureUrl('PATCHGRAPH_OIDC_JWKS_URL', jwksUrl);
  return {
    issuer,
    audiences,
    jwksUrl,
    algorithms: algorithmsVar(env),
    clockSkewSeconds: seconds(env, 'PATCHGRAPH_OIDC_CLOCK_SKEW_SECONDS', 60, 0, 600),
    roleClaim: roleClaimVar(env),
    roleMap: roleMapVar(env),
    jwksCacheSeconds: seconds(env, 'PATCHGRAPH_OIDC_JWKS_CACHE_SECONDS', 600, 1, 86_400),
    jwksCooldownSeconds: seconds(env, 'PATCHGRAPH_OIDC_JWKS_COOLDOWN_SECONDS', 30, 1, 3_600),
  };
}

/** Keys fetched over plain HTTP could be swapped by anyone on the path, so only loopback (tests, a local proxy) may skip TLS. */
export function secureUrl(variable: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, `not a URL: "${raw}"`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new ConfigError(variable, `must be an https:// URL (plain http only for loopback addresses), got "${raw}"`);
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && host === '::1';
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

function algorithmsVar(env: NodeJS.ProcessEnv): string[] {
  const raw = env.PATCHGRAPH_OIDC_ALGORITHMS;
  if (raw === undefined || raw.trim() === '') return ['RS256'];
  const algorithms = raw.split(',').map((a) => a.trim()).filter(Boolean);
  for (const alg of algorithms) {
    if ((OIDC_ALGORITHMS as readonly string[]).includes(alg)) continue;
    const why = /^none$/i.test(alg) ? ' ("none" is an unsigned token)' : /^HS/i.test(alg) ? ' (HS* verify with a shared secret, never with an identity provider\'s public keys)' : '';
    throw new ConfigError('PATCHGRAPH_OIDC_ALGORITHMS', `"${alg}" is not allowed${why}; use some of ${OIDC_ALGORITHMS.join(', ')}`);
  }
  return [...new Set(algorithms)];
}

function roleClaimVar(env: NodeJS.ProcessEnv): string {
  const claim = env.PATCHGRAPH_OIDC_ROLE_CLAIM?.trim() || 'roles';
  if (!/^[\w.:/-]{1,100}$/.test(claim)) throw new ConfigError('PATCHGRAPH_OIDC_ROLE_CLAIM', `must be a claim name such as roles or groups, got "${claim}"`);
  return claim;
}

function roleMapVar(env: NodeJS.ProcessEnv): RoleMapping[] {
  const inline = env.PATCHGRAPH_OIDC_ROLE_MAP;
  const file = env.PATCHGRAPH_OIDC_ROLE_MAP_FILE;
  if (inline && file) throw new ConfigError('PATCHGRAPH_OIDC_ROLE_MAP_FILE', 'set either PATCHGRAPH_OIDC_ROLE_MAP or PATCHGRAPH_OIDC_ROLE_MAP_FILE, not both');
  if (!inline && !file) {
    throw new ConfigError('PATCHGRAPH_OIDC_ROLE_MAP', 'must be set with PATCHGRAPH_OIDC_ISSUER (or PATCHGRAPH_OIDC_ROLE_MAP_FILE): which token roles or groups give which patchgraph role and tenants');
  }
  const variable = inline ? 'PATCHGRAPH_OIDC_ROLE_MAP' : 'PATCHGRAPH_OIDC_ROLE_MAP_FILE';
  let text = inline;
  if (!text) {
    try {
      text = readFileSync(file!, 'utf8');
    } catch (err) {
      throw new ConfigError(variable, `cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return parseRoleMap(variable, text);
}

/**
 * Two JSON forms. A list, `[{"value": "patchgraph.admin", "role": "MSP_ADMIN", "tenants": "*"}, …]`, or an object keyed
 * by claim value, `{"patchgraph.admin": {"role": "MSP_ADMIN", "tenants": "*"}, …}`, whose order is its keys' order.
 */
export function parseRoleMap(variable: string, text: string): RoleMapping[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(variable, `not valid JSON: ${(err as Error).message}`);
  }
  let entries: Array<[string, unknown]>;
  if (Array.isArray(parsed)) {
    entries = parsed.map((entry, i) => {
      const value = isObject(entry) ? entry.value : undefined;
      if (typeof value !== 'string') throw new ConfigError(variable, `entry ${i + 1} needs a "value": the role or group to match`);
      const { value: _value, ...rest } = entry as Record<string, unknown>;
      return [value, rest];
    });
  } else if (isObject(parsed)) {
    entries = Object.entries(parsed);
    // JavaScript lists integer-like keys first, whatever order the JSON had, and the order decides the role.
    const numeric = entries.find(([key]) => /^(0|[1-9]\d*)$/.test(key));
    if (numeric) throw new ConfigError(variable, `the key "${numeric[0]}" looks like a number, which JSON objects reorder; use the list form [{"value": …, "role": …, "tenants": …}]`);
  } else {
    throw new ConfigError(variable, 'must be a JSON list of {"value", "role", "tenants"} or an object keyed by claim value');
  }
  if (entries.length === 0) throw new ConfigError(variable, 'maps no role: a token could never sign in');
  const seen = new Set<string>();
  return entries.map(([value, spec]) => {
    const where = `"${value}"`;
    if (value.trim() === '') throw new ConfigError(variable, 'a claim value must not be empty');
    if (seen.has(value)) throw new ConfigError(variable, `${where} is mapped twice`);
    seen.add(value);
    if (!isObject(spec)) throw new ConfigError(variable, `${where} must map to {"role": …, "tenants": …}`);
    const unknown = Object.keys(spec).find((key) => key !== 'role' && key !== 'tenants');
    if (unknown) throw new ConfigError(variable, `${where} has an unknown field "${unknown}" (expected role and tenants)`);
    if (typeof spec.role !== 'string' || !ROLES.includes(spec.role)) {
      throw new ConfigError(variable, `${where}: role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(spec.role)}`);
    }
    const tenants = spec.tenants;
    if (tenants === '*') return { value, role: spec.role as Role, tenants };
    if (!Array.isArray(tenants) || tenants.length === 0 || !tenants.every((t) => typeof t === 'string' && t.trim() !== '')) {
      throw new ConfigError(variable, `${where}: tenants must be "*" (all tenants) or a non-empty list of tenant ids or names`);
    }
    return { value, role: spec.role as Role, tenants: tenants.map((t: string) => t.trim()) };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
