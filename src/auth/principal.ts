import { TenantScope } from '../access/tenant-scope';
import { Role } from '../entities/enums';

/** How a principal proved who it is. */
export type PrincipalKind = 'api-key' | 'oidc';

/** Who is making a request, and which tenants they may see. */
export interface Principal {
  kind: PrincipalKind;
  /** Stable identity: the API key's id, or the OIDC subject (issuer tenant and object id). Never key material. */
  id: string;
  /** A human name: the key's name, or the token's user or application name. */
  name: string;
  role: Role;
  scope: TenantScope;
  /**
   * How the principal appears in audit events, sync runs and logs: its kind, name and id (`api-key:portal (id)`,
   * `oidc:alice@contoso.com (tid/oid)`). Never contains a key, a key prefix or a token.
   */
  label: string;
}

export function principalLabel(kind: PrincipalKind, name: string, id: string): string {
  return `${kind}:${name} (${id})`;
}
