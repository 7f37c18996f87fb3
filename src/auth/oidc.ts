import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { ConfigError } from '../config/config';
import { OidcConfig, secureUrl } from '../config/oidc-config';
import { UnauthenticatedError } from '../errors';
import { Clock } from '../util/clock';
import { TokenVerifier } from './authenticator';
import { claimValues, grantFor, resolveTenants } from './oidc-roles';
import { Principal, principalLabel } from './principal';

export interface OidcVerifierDeps {
  dataSource: DataSource;
  clock: Clock;
  logger: Logger;
}

/** The identity provider's keys could not be had (it is down, or answered nonsense): nothing about the token. */
class KeysUnavailable extends Error {}

const FETCH_TIMEOUT_MS = 5_000;

/**
 * Verifies an OIDC access token (Entra ID v2 first) with the `jose` library and maps its claims to a principal:
 * signature against the identity provider's published keys, the algorithm against an allow-list, issuer, audience,
 * expiry and not-before with a clock skew, time read from the Clock. Role and tenants come from
 * PATCHGRAPH_OIDC_ROLE_MAP (see grantFor). Every refusal is UNAUTHENTICATED with a message saying what was wrong;
 * neither the message nor the log ever holds the token.
 */
export class OidcVerifier implements TokenVerifier {
  private keySet?: JWTVerifyGetKey;
  private discovering?: Promise<JWTVerifyGetKey>;
  /** Each unresolvable tenant reference is logged once, not at every request. */
  private readonly reportedUnresolved = new Set<string>();

  constructor(private readonly config: OidcConfig, private readonly deps: OidcVerifierDeps) {
    // createRemoteJWKSet fetches nothing until the first token: the server starts while the identity provider is down.
    if (config.jwksUrl) this.keySet = this.remoteKeySet(new URL(config.jwksUrl));
  }

  async verify(token: string): Promise<Principal> {
    const { config } = this;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: config.issuer,
        audience: config.audiences,
        algorithms: config.algorithms,
        clockTolerance: config.clockSkewSeconds,
        currentDate: this.deps.clock.now(),
        requiredClaims: ['exp', 'iss', 'aud'],
      }));
    } catch (err) {
      throw this.refuse(refusalReason(err, config));
    }
    return this.principalFor(payload);
  }

  /** The key for a token's header: jose refetches the set when the `kid` is unknown, at most once per cooldown. */
  private readonly key: JWTVerifyGetKey = async (header, token) => {
    const keySet = this.keySet ?? (await this.discover());
    try {
      return await keySet(header, token);
    } catch (err) {
      // These are about the token's header; anything else is the key set not being fetched or not being usable.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      throw this.keysUnavailable(err);
    }
  };

  private remoteKeySet(url: URL): JWTVerifyGetKey {
    return createRemoteJWKSet(url, {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: this.config.jwksCooldownSeconds * 1000,
      cacheMaxAge: this.config.jwksCacheSeconds * 1000,
    });
  }

  /** The jwks_uri from `<issuer>/.well-known/openid-configuration`, read once; a failed read is tried again by the next token. */
  private discover(): Promise<JWTVerifyGetKey> {
    this.discovering ??= this.readDiscovery().then(
      (url) => (this.keySet = this.remoteKeySet(url)),
      (err) => {
        this.discovering = undefined;
        throw this.keysUnavailable(err);
      },
    );
    return this.discovering;
  }

  private async readDiscovery(): Promise<URL> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0 §4.3: a document for another issuer must not be used.
    if (doc.issuer !== this.config.issuer) throw new Error(`${url} is for issuer ${JSON.stringify(doc.issuer)}, not PATCHGRAPH_OIDC_ISSUER`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri; set PATCHGRAPH_OIDC_JWKS_URL`);
    try {
      return secureUrl('jwks_uri', doc.jwks_uri);
    } catch (err) {
      throw new Error(`${url}: ${(err as ConfigError).message}`);
    }
  }

  private keysUnavailable(err: unknown): KeysUnavailable {
    if (err instanceof KeysUnavailable) return err;
    this.deps.logger.error({ reason: describeFailure(err) }, 'OIDC: the identity provider\'s signing keys could not be fetched');
    return new KeysUnavailable();
  }

  private refuse(reason: string): UnauthenticatedError {
    this.deps.logger.info({ reason }, 'OIDC token refused');
    return new UnauthenticatedError(reason);
  }

  private async principalFor(claims: JWTPayload): Promise<Principal> {
    const { roleClaim } = this.config;
    const str = (name: string) => (typeof claims[name] === 'string' && claims[name] !== '' ? (claims[name] as string) : undefined);
    const subject = str('oid') ?? str('sub');
    if (!subject) throw this.refuse('The token has neither an "oid" nor a "sub" claim, so it names no user or application');
    const values = claimValues(claims[roleClaim]);
    if (claims[roleClaim] === undefined && (hasClaimSource(claims, roleClaim) || (roleClaim === 'groups' && claims.hasgroups === true))) {
      throw this.refuse(
        `The token has too many groups for Entra ID to list them in it (groups overage), so no role can be read from "${roleClaim}"; ` +
          'the operator should map Entra app roles instead (PATCHGRAPH_OIDC_ROLE_CLAIM=roles)',
      );
    }
    const grant = grantFor(values, this.config.roleMap);
    if (!grant) throw this.refuse(`No patchgraph role is mapped to this token's ${roleClaim} (PATCHGRAPH_OIDC_ROLE_MAP)`);
    let scope: TenantScope;
    if (grant.tenants === '*') {
      scope = TenantScope.allTenants();
    } else {
      const { ids, unresolved } = await resolveTenants(this.deps.dataSource, grant.tenants);
      for (const ref of unresolved.filter((r) => !this.reportedUnresolved.has(r))) {
        this.reportedUnresolved.add(ref);
        this.deps.logger.warn({ tenant: ref }, 'PATCHGRAPH_OIDC_ROLE_MAP names a tenant that does not exist (renamed or removed?); it grants nothing');
      }
      scope = TenantScope.only(ids);
    }
    const id = `${str('tid') ?? str('iss')}/${subject}`;
    // App-only tokens (a portal's daemon) have no user name: azp (v2) or appid (v1) names the application.
    const name = str('preferred_username') ?? str('upn') ?? str('name') ?? str('azp') ?? str('appid') ?? subject;
    return { kind: 'oidc', id, name, role: grant.role, scope, label: principalLabel('oidc', name, id) };
  }
}

/** Entra's overage marker: `_claim_names: { groups: "src1" }` in place of the claim. */
function hasClaimSource(claims: JWTPayload, claim: string): boolean {
  const names = claims._claim_names;
  return typeof names === 'object' && names !== null && claim in names;
}

/** What was wrong with the token, for the caller: from the claims' names and the configuration, never the token's text. */
function refusalReason(err: unknown, config: OidcConfig): string {
  if (err instanceof KeysUnavailable) return "The identity provider's signing keys could not be fetched, so the token cannot be checked; try again later";
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? ` at ${new Date(err.payload.exp * 1000).toISOString()}` : '';
    return `The token has expired${exp} (${config.clockSkewSeconds} s of clock skew allowed)`;
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `The token lacks the required "${err.claim}" claim`;
    switch (err.claim) {
      case 'aud': return 'The token is for another audience (aud): it was not issued for this API';
      case 'iss': return 'The token is from another issuer (iss) than the configured identity provider';
      case 'nbf': return `The token is not valid yet (nbf is in the future by more than the ${config.clockSkewSeconds} s of clock skew allowed)`;
      case 'iat': return 'The token was issued in the future (iat)';
      default: return `The token's "${err.claim}" claim is invalid`;
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return `The token's signing algorithm (alg) is not allowed; allowed: ${config.algorithms.join(', ')}`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return "The token's signing key (kid) is not one the identity provider publishes";
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'The token names no signing key (kid) and the identity provider publishes several';
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is invalid";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'The token is not a well-formed signed JWT';
  // jose's key import and anything unforeseen: refused all the same, never a 500.
  return 'The token could not be verified';
}

/** A fetch failure for the log: undici's "fetch failed" hides the reason in its cause. */
function describeFailure(err: unknown): string {
  if (err instanceof errors.JOSEError) return err.message;
  // Duck-typed: fetch's errors come from undici's realm, where `instanceof Error` can be false.
  if (typeof err !== 'object' || err === null || typeof (err as Error).message !== 'string') return String(err);
  const { message, code, cause } = err as { message: string; code?: unknown; cause?: { code?: unknown; message?: unknown } };
  const detail = cause && typeof cause === 'object' ? String(cause.code ?? cause.message ?? '') : '';
  return [message, typeof code === 'string' ? code : '', detail].filter(Boolean).join(': ');
}
