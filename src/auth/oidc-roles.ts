import { DataSource } from 'typeorm';
import { RoleMapping } from '../config/oidc-config';
import { Tenant } from '../entities';
import { Role } from '../entities/enums';
import { decodeGlobalId } from '../graphql/types/global-id';
import { nameKey } from '../util/names';

/** What a token's roles or groups grant: one role, on every tenant or on the tenants listed (ids or names). */
export interface OidcGrant {
  role: Role;
  tenants: '*' | string[];
  /** The claim values that granted it, for the log. */
  matched: string[];
}

/**
 * The mapping rule: mappings are tried in configured order and the first one whose value the token carries decides
 * the role; the tenants are the union of every matching mapping with that same role. A token in both
 * "patchgraph.admin" (MSP_ADMIN on all) and "Contoso.Auditor" (AUDITOR on Contoso) is what comes first in the map,
 * never a mix such as MSP_ADMIN on Contoso only. Null when nothing matches.
 */
export function grantFor(values: readonly string[], mappings: readonly RoleMapping[]): OidcGrant | null {
  const held = new Set(values);
  const matches = mappings.filter((m) => held.has(m.value));
  if (matches.length === 0) return null;
  const role = matches[0].role;
  const same = matches.filter((m) => m.role === role);
  const tenants = same.some((m) => m.tenants === '*') ? '*' : [...new Set(same.flatMap((m) => m.tenants as string[]))];
  return { role, tenants, matched: same.map((m) => m.value) };
}

/**
 * Tenant ids for the references in a grant, each a tenant's id as the API shows it (`tenants { nodes { id } }`), its
 * database key, or its name. Names are compared the way tenant names are kept unique (nameKey: case, accents,
 * compatibility forms), read at every request, so a renamed tenant stops matching its old name at once. A reference
 * that matches no tenant is returned in `unresolved` and grants nothing.
 */
export async function resolveTenants(dataSource: DataSource, refs: readonly string[]): Promise<{ ids: string[]; unresolved: string[] }> {
  // MSPs have tens to hundreds of clients: reading them all is one small query, and it lets names be folded in code
  // the same way on both engines.
  const tenants = await dataSource.getRepository(Tenant).find({ select: { id: true, name: true } });
  const byId = new Set(tenants.map((t) => t.id));
  const byName = new Map<string, string>();
  for (const t of tenants) byName.set(nameKey(t.name), t.id);
  const ids = new Set<string>();
  const unresolved: string[] = [];
  for (const ref of refs) {
    const key = tenantKeyOf(ref);
    const id = byId.has(ref) ? ref : key !== undefined && byId.has(key) ? key : byName.get(nameKey(ref));
    if (id) ids.add(id);
    else unresolved.push(ref);
  }
  return { ids: [...ids], unresolved };
}

/** The database key inside a global Tenant id, or undefined when `ref` is not one. */
function tenantKeyOf(ref: string): string | undefined {
  try {
    const decoded = decodeGlobalId(ref, 'tenants');
    return decoded.type === 'Tenant' ? decoded.key : undefined;
  } catch {
    return undefined;
  }
}

/** The role claim's values: Entra sends arrays; a single string is accepted too, anything else is ignored. */
export function claimValues(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim)) return claim.filter((v): v is string => typeof v === 'string');
  return [];
}
