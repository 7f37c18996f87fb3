/**
 * The Microsoft identity platform's v2.0 token endpoint for the client-credentials grant, with its real refusals
 * (AADSTS codes, statuses and OAuth error names), so a connector's handling of each is tested against what Entra
 * actually says. Tokens are opaque random strings: a Graph client must never read its access token.
 */
import { randomUUID } from 'node:crypto';
import type { TokenIssuer, TokenRequest } from '../../sdk/testkit/simulator';
import { entraError } from './graph-errors';

/** Microsoft Graph's application id: "<it>/.default" is another spelling of the Graph scope. */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export interface TokenEndpoint {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The directory's display name, as Entra quotes it in some errors. */
  tenantName: string;
  /** The simulator's origin: authority host and Graph resource both. */
  origin: string;
  lifetimeS: number;
  tokens: TokenIssuer;
  /** One more resource the tenant has besides Graph (a gateway's app ID URI), as "<resource>/.default". */
  extraScope?: string;
}

export interface TokenAnswer {
  status: number;
  body: object;
  headers: Record<string, string>;
}

/** Answers `POST /{tenant}/oauth2/v2.0/token`; Entra also takes the client's credentials as HTTP Basic (client_secret_basic). */
export function answerTokenRequest(tenant: string, request: TokenRequest, endpoint: TokenEndpoint): TokenAnswer {
  const ids = { traceId: randomUUID(), correlationId: randomUUID(), authority: endpoint.origin };
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': ids.traceId };
  const fail = (status: number, error: string, code: number, text: string): TokenAnswer => ({ status, body: entraError(error, code, text, ids), headers });

  const { clientId, clientSecret, params: form } = request;
  const grantType = form.get('grant_type');
  const scope = form.get('scope');

  if (tenant.toLowerCase() !== endpoint.tenantId.toLowerCase()) {
    return fail(400, 'invalid_request', 90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
  }
  if (!grantType) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grantType !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  if (!clientId) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  if (clientId.toLowerCase() !== endpoint.clientId.toLowerCase()) {
    return fail(400, 'unauthorized_client', 700016,
      `Application with identifier '${clientId}' was not found in the directory '${endpoint.tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  if (!scope) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
  if (!/\/\.default$/.test(scope)) {
    return fail(400, 'invalid_scope', 1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const resource = scope.replace(/\/\.default$/, '');
  const known = [endpoint.origin, 'https://graph.microsoft.com', GRAPH_APP_ID, ...(endpoint.extraScope ? [endpoint.extraScope.replace(/\/\.default$/, '')] : [])];
  if (!known.includes(resource)) {
    // A well-formed scope for a resource the tenant does not have: Entra calls that a resource error, not a scope error.
    return fail(400, 'invalid_resource', 500011,
      `The resource principal named ${resource} was not found in the tenant named ${endpoint.tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
  }
  if (!clientSecret) {
    return fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  if (clientSecret !== endpoint.clientSecret) {
    return fail(401, 'invalid_client', 7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${endpoint.clientId}'.`);
  }
  const accessToken = endpoint.tokens.issue({ lifetimeS: endpoint.lifetimeS, scope }).value;
  return {
    status: 200,
    body: { token_type: 'Bearer', expires_in: endpoint.lifetimeS, ext_expires_in: endpoint.lifetimeS, access_token: accessToken },
    headers,
  };
}
