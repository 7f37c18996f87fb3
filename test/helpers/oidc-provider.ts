import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, JWK, JWTPayload, KeyLike, SignJWT } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

/** The API's app registration in the tests, as in Entra: a client id, which v2 access tokens carry as `aud`. */
export const API_CLIENT_ID = 'a3f7c2d1-5b8e-4c6a-9d0f-1e2b3c4d5e6f';
/** The MSP portal's app registration, which asks Entra for tokens for the API (`azp` in them). */
export const PORTAL_CLIENT_ID = '7e1d9b2c-3a4f-4e5d-8c6b-0a1b2c3d4e5f';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A local identity provider shaped like Entra ID's v2 endpoints, on 127.0.0.1: the discovery document at
 * `<issuer>/.well-known/openid-configuration` and the key set at `/<tenant>/discovery/v2.0/keys`, serving whatever keys
 * the test publishes, counting each fetch, and able to fail (503) or stop altogether.
 */
export class TestIdentityProvider {
  readonly tenantId = randomUUID();
  readonly hits = { discovery: 0, jwks: 0 };
  /** When set, every request is answered 503, as by an identity provider having an outage. */
  failing = false;
  private published: SigningKey[] = [];
  private server!: Server;
  private base!: string;

  static async start(): Promise<TestIdentityProvider> {
    const idp = new TestIdentityProvider();
    idp.server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (idp.failing) return send(503, { error: 'temporarily_unavailable' });
      if (req.url === `/${idp.tenantId}/v2.0/.well-known/openid-configuration`) {
        idp.hits.discovery += 1;
        return send(200, {
          issuer: idp.issuer, jwks_uri: idp.jwksUrl, token_endpoint: `${idp.base}/${idp.tenantId}/oauth2/v2.0/token`,
          id_token_signing_alg_values_supported: ['RS256'], response_types_supported: ['code', 'id_token', 'code id_token'],
        });
      }
      if (req.url === `/${idp.tenantId}/discovery/v2.0/keys`) {
        idp.hits.jwks += 1;
        // As Entra publishes them: kty, use, kid and the key, without alg.
        return send(200, { keys: idp.published.map((k) => ({ ...k.publicJwk, kid: k.kid, use: 'sig' })) });
      }
      return send(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve) => idp.server.listen(0, '127.0.0.1', resolve));
    idp.base = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}`;
    return idp;
  }

  get issuer(): string {
    return `${this.base}/${this.tenantId}/v2.0`;
  }

  get jwksUrl(): string {
    return `${this.base}/${this.tenantId}/discovery/v2.0/keys`;
  }

  /** A new key pair; published unless `publish` is false (a key the provider never announced). */
  async newKey(options: { alg?: string; publish?: boolean; kid?: string } = {}): Promise<SigningKey> {
    const alg = options.alg ?? 'RS256';
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const key = { kid: options.kid ?? randomUUID().replace(/-/g, '').slice(0, 27), alg, privateKey, publicKey, publicJwk: await exportJWK(publicKey) };
    if (options.publish !== false) this.published.push(key);
    return key;
  }

  publish(key: SigningKey): void {
    if (!this.published.includes(key)) this.published.push(key);
  }

  unpublish(key: SigningKey): void {
    this.published = this.published.filter((k) => k !== key);
  }

  /**
   * The claims of an Entra ID v2 access token for the API, issued at `now` for an hour, to a user signed in to the
   * portal. Pass `roles` or `groups`, and override anything.
   */
  claims(now: Date, extra: JWTPayload = {}): JWTPayload {
    const iat = Math.floor(now.getTime() / 1000);
    return {
      aud: API_CLIENT_ID, iss: this.issuer, iat, nbf: iat, exp: iat + 3600,
      aio: 'AWQAm/8YAAAA', azp: PORTAL_CLIENT_ID, azpacr: '1', name: 'Alice Admin', oid: randomUUID(),
      preferred_username: 'alice@contoso-msp.example', rh: '0.AAAA.', scp: 'access_as_user', sub: randomUUID().replace(/-/g, ''),
      tid: this.tenantId, uti: 'x8HKf1cFh0aW1cVq3A8bAA', ver: '2.0',
      ...extra,
    };
  }

  /** A token signed by `key`, with the header Entra sends (typ, alg, kid); `header` overrides. */
  async sign(claims: JWTPayload, key: SigningKey, header: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
  }

  /** The classic algorithm-confusion forgery: HS256 with the provider's public key (PEM) as the HMAC secret. */
  async signHs256WithPublicKey(claims: JWTPayload, key: SigningKey): Promise<string> {
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'HS256', kid: key.kid }).sign(secret);
  }

  /** An unsigned token, `{"alg":"none"}`, made by hand since no library will sign one. */
  static unsigned(claims: JWTPayload, kid?: string): string {
    return `${b64url({ alg: 'none', typ: 'JWT', ...(kid ? { kid } : {}) })}.${b64url(claims)}.`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The environment an operator sets for this provider; `roleMap` is PATCHGRAPH_OIDC_ROLE_MAP's JSON. */
export function oidcEnv(idp: TestIdentityProvider, roleMap: unknown, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATCHGRAPH_OIDC_ISSUER: idp.issuer,
    PATCHGRAPH_OIDC_AUDIENCE: API_CLIENT_ID,
    PATCHGRAPH_OIDC_ROLE_MAP: JSON.stringify(roleMap),
    ...extra,
  };
}
