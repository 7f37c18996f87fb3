import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { Setting } from '../sdk/config';
import { OptionalWholeNumber, Rule, SecureUrl, STALE_AFTER_DAYS } from '../sdk/config-rules';

export { STALE_AFTER_DAYS };

export const PAGE_SIZE = { min: 1, max: 1000, default: 1000 } as const;

/** Where the cumulative-update catalog comes from; see README.md ("How patch states are derived"). */
export type CatalogSource = 'auto' | 'graph' | 'bundled';
export const CATALOG_SOURCES: readonly CatalogSource[] = ['auto', 'graph', 'bundled'];

// A directory (tenant) id is a GUID; Entra also accepts a verified domain such as contoso.onmicrosoft.com.
const TENANT = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const TOKEN_SCOPE_MAX_LENGTH = 512;

/**
 * Why `value` cannot be the scope of a client-credentials token request, or undefined. Entra refuses any such scope
 * that does not end in "/.default" (the app's granted permissions on one resource), so a wrong one is caught here
 * rather than as an auth failure at the first sync.
 */
export function tokenScopeProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !value.trim()) return 'must be a non-empty string';
  if (value.length > TOKEN_SCOPE_MAX_LENGTH) return `must be at most ${TOKEN_SCOPE_MAX_LENGTH} characters`;
  if (/\s/.test(value)) return 'must be one scope, without spaces';
  if (!/^\S+\/\.default$/.test(value)) return "must be a resource followed by /.default, e.g. 'https://graph.microsoft.com/.default'";
  return undefined;
}

/** One instance reads one client's Microsoft Entra tenant (the MSP model: an app registration per client tenant). */
export class IntuneConfig {
  @Setting({ description: "The client's Microsoft Entra tenant: its directory (tenant) id, or a verified domain such as contoso.onmicrosoft.com." })
  @IsString({ message: 'is required' })
  @Matches(TENANT, { message: 'must be a directory (tenant) id GUID or a domain name' })
  tenantId!: string;

  @Setting({ description: 'Application (client) id of the Entra app registration that has the Intune read permissions.' })
  @IsString({ message: 'is required' })
  @Matches(GUID, { message: 'must be the application (client) id, a GUID' })
  clientId!: string;

  @Setting({ description: "A client secret of that app registration (the secret's Value, not its id).", secret: true })
  @IsString({ message: 'is required' })
  @Matches(/\S/, { message: 'is required' })
  clientSecret!: string;

  @Setting({
    description: 'Microsoft Entra sign-in host. Default https://login.microsoftonline.com; national clouds have their own (e.g. https://login.microsoftonline.us).',
    optional: true,
  })
  @IsOptional()
  @SecureUrl()
  authorityHost?: string = 'https://login.microsoftonline.com';

  @Setting({
    description: 'Microsoft Graph host, without a version. Default https://graph.microsoft.com; national clouds have their own (e.g. https://graph.microsoft.us).',
    optional: true,
  })
  @IsOptional()
  @SecureUrl()
  graphBaseUrl?: string = 'https://graph.microsoft.com';

  @Setting({
    description:
      "OAuth scope asked of Entra for the Graph token. Default: graphBaseUrl's origin followed by /.default (e.g. https://graph.microsoft.com/.default). Set it only when Graph is reached through a proxy or gateway registered under another resource; it must end in /.default.",
    optional: true,
  })
  @Rule<IntuneConfig>((value) => tokenScopeProblem(value))
  tokenScope?: string;

  @Setting({ description: `Devices per page asked of Graph ($top), ${PAGE_SIZE.min} to ${PAGE_SIZE.max} (default ${PAGE_SIZE.default}).`, optional: true })
  @OptionalWholeNumber(PAGE_SIZE)
  pageSize?: number = PAGE_SIZE.default;

  @Setting({
    description: `A device that has not checked in with Intune for this many days is reported inactive: its build, and the patch states derived from it, are out of date (default ${STALE_AFTER_DAYS.default}).`,
    optional: true,
  })
  @OptionalWholeNumber(STALE_AFTER_DAYS, 'days')
  staleAfterDays?: number = STALE_AFTER_DAYS.default;

  @Setting({
    description:
      "Cumulative-update catalog used to derive patch states from builds: 'auto' (default) reads the tenant's Windows update catalog from Graph and falls back to the bundled Microsoft data if the app may not read it; 'graph' requires the tenant's; 'bundled' never asks Graph.",
    optional: true,
  })
  @IsOptional()
  @IsIn(CATALOG_SOURCES as CatalogSource[], { message: `must be one of ${CATALOG_SOURCES.join(', ')}` })
  updateCatalog?: CatalogSource = 'auto';
}
