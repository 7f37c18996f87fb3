/**
 * `patchgraph keys create|list|rotate|revoke`: API keys managed on the database directly, so they work while the
 * server is down (break-glass: a lost admin key, a leaked one to revoke now). The same KeyAdmin as the GraphQL
 * mutations does the work, as an all-tenants caller named `cli:<os user>` in the audit trail.
 *
 * A new key goes to stdout alone (KEY="$(npx patchgraph keys create …)"), everything else to stderr, so a
 * script capturing stdout gets the key and nothing the terminal shows holds it twice.
 */
import { userInfo } from 'node:os';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { ApiKeyStatus, KeyAdmin, KeyAdminOptions, keyStatus } from '../auth/key-admin';
import { Config } from '../config/config';
import { ApiKey, Tenant } from '../entities';
import { Role } from '../entities/enums';
import { UserInputError } from '../errors';
import { decodeGlobalId, toGlobalId } from '../graphql/types/global-id';
import { createLogger } from '../server/logger';
import { Clock, systemClock } from '../util/clock';
import { openDatabase } from './open-database';

type Out = NodeJS.WriteStream | Writable;

export interface KeysCreateOptions {
  name?: string;
  role?: string;
  tenant?: string[];
  allTenants?: boolean;
  expires?: string;
  expiresIn?: string;
}

export interface KeysListOptions {
  all?: boolean;
  json?: boolean;
}

/** The audit actor and createdBy of CLI changes: the operating-system user who ran the command. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // A container user without a passwd entry has no name.
    return `cli:uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

const CLI_OPTIONS: KeyAdminOptions = {
  fields: { id: '<id>', name: '--name', role: '--role', tenantIds: '--tenant', allTenants: '--all-tenants', expiresAt: '--expires' },
  describeTenant: (key) => toGlobalId('Tenant', key),
  describeKey: (key) => toGlobalId('ApiKey', key),
};

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^([1-9]\d{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** --expires or --expires-in as an instant; a time without a zone is refused rather than guessed. */
export function expiryOf(options: Pick<KeysCreateOptions, 'expires' | 'expiresIn'>, now: Date): Date | null {
  if (options.expires !== undefined && options.expiresIn !== undefined) throw new UserInputError('--expires', 'give --expires or --expires-in, not both');
  if (options.expires !== undefined) {
    const at = ISO_DATE_TIME.test(options.expires) ? new Date(options.expires) : null;
    if (!at || Number.isNaN(at.getTime())) {
      throw new UserInputError('--expires', `must be an ISO 8601 date-time with a zone, e.g. 2027-01-31T18:00:00Z, got "${options.expires}"`);
    }
    return at;
  }
  if (options.expiresIn !== undefined) {
    const match = DURATION.exec(options.expiresIn);
    if (!match) throw new UserInputError('--expires-in', `must be a number and a unit m, h or d (e.g. 30d, 12h), got "${options.expiresIn}"`);
    return new Date(now.getTime() + Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  }
  return null;
}

function roleOf(value: string | undefined): Role {
  if (value === undefined) throw new UserInputError('--role', `is required: one of ${Object.values(Role).join(', ')}`);
  const role = Object.values(Role).find((r) => r === value.toUpperCase());
  if (!role) throw new UserInputError('--role', `must be one of ${Object.values(Role).join(', ')}, got "${value}"`);
  return role;
}

/** A --tenant value: a tenant's global id (as the API and `keys list` show it), its database id, or its exact name. */
export async function tenantIdOf(dataSource: DataSource, value: string): Promise<string> {
  const repo = dataSource.getRepository(Tenant);
  const byKey = async (key: string) => (await repo.findOneBy({ id: key }))?.id;
  const decoded = safeDecode(value);
  // Names are compared here, not by the database, whose collation would match "contoso" to "Contoso" on MariaDB only.
  const byName = async (name: string) => (await repo.find({ select: { id: true, name: true } })).find((t) => t.name === name)?.id;
  const id = (decoded?.type === 'Tenant' ? await byKey(decoded.key) : undefined) ?? (await byKey(value)) ?? (await byName(value.normalize('NFC').trim()));
  if (!id) throw new UserInputError('--tenant', `no tenant has the id or the exact name "${value}"`);
  return id;
}

/** An <id> argument: the global id `keys list` prints and the API takes, or the raw uuid. */
function keyIdOf(value: string): string {
  const decoded = safeDecode(value);
  if (decoded?.type === 'ApiKey') return decoded.key;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return value.toLowerCase();
  throw new UserInputError('<id>', `"${value}" is not an API key id (use the ID column of \`patchgraph keys list\`)`);
}

function safeDecode(value: string) {
  try {
    return decodeGlobalId(value, 'id');
  } catch {
    return null;
  }
}

async function withKeyAdmin<T>(config: Config, clock: Clock, work: (admin: KeyAdmin, dataSource: DataSource) => Promise<T>): Promise<T> {
  // Warnings and errors only, and on stderr: stdout carries the key, or the listing a script parses.
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel }, process.stderr);
  const dataSource = await openDatabase(config, logger);
  try {
    return await work(new KeyAdmin(dataSource, clock, { label: cliActor(), scope: TenantScope.allTenants() }, undefined, CLI_OPTIONS), dataSource);
  } finally {
    await dataSource.destroy();
  }
}

function describe(record: ApiKey, tenantNames: Map<string, string>): string {
  const tenants = record.allTenants ? 'all tenants' : `tenants ${record.tenantIds.map((t) => tenantNames.get(t) ?? t).join(', ')}`;
  const expiry = record.expiresAt ? `expires ${record.expiresAt.toISOString()}` : 'does not expire';
  return `${toGlobalId('ApiKey', record.id)} "${record.name}" (${record.role}, ${tenants}, ${expiry})`;
}

async function tenantNamesOf(dataSource: DataSource): Promise<Map<string, string>> {
  return new Map((await dataSource.getRepository(Tenant).find()).map((t) => [t.id, t.name]));
}

export async function keysCreateCommand(config: Config, options: KeysCreateOptions, out: Out = process.stdout, err: Out = process.stderr, clock: Clock = systemClock): Promise<number> {
  if (options.name === undefined) throw new UserInputError('--name', 'is required');
  const role = roleOf(options.role);
  const tenants = options.tenant ?? [];
  if (options.allTenants && tenants.length > 0) throw new UserInputError('--tenant', 'give --tenant or --all-tenants, not both');
  if (!options.allTenants && tenants.length === 0) throw new UserInputError('--tenant', 'give at least one --tenant <id or exact name>, or --all-tenants');
  const expiresAt = expiryOf(options, clock.now());
  return withKeyAdmin(config, clock, async (admin, dataSource) => {
    const tenantIds: string[] = [];
    for (const value of tenants) tenantIds.push(await tenantIdOf(dataSource, value));
    const { key, record } = await admin.create({ name: options.name!, role, allTenants: options.allTenants ?? false, tenantIds, expiresAt });
    err.write(`created API key ${describe(record, await tenantNamesOf(dataSource))}; the key is printed once, below, and cannot be shown again\n`);
    out.write(`${key}\n`);
    return 0;
  });
}

export async function keysRotateCommand(config: Config, id: string, out: Out = process.stdout, err: Out = process.stderr, clock: Clock = systemClock): Promise<number> {
  const keyId = keyIdOf(id);
  return withKeyAdmin(config, clock, async (admin, dataSource) => {
    const { key, record } = await admin.rotate(keyId);
    err.write(`rotated API key ${describe(record, await tenantNamesOf(dataSource))}: the old key is refused from now; the new one is printed once, below\n`);
    out.write(`${key}\n`);
    return 0;
  });
}

export async function keysRevokeCommand(config: Config, id: string, out: Out = process.stdout, clock: Clock = systemClock): Promise<number> {
  const keyId = keyIdOf(id);
  return withKeyAdmin(config, clock, async (admin, dataSource) => {
    const before = clock.now();
    const record = await admin.revoke(keyId);
    const already = record.revokedAt! < before;
    out.write(`${already ? 'already revoked' : 'revoked'} API key ${describe(record, await tenantNamesOf(dataSource))} at ${record.revokedAt!.toISOString()}\n`);
    return 0;
  });
}

export async function keysListCommand(config: Config, options: KeysListOptions, out: Out = process.stdout, clock: Clock = systemClock): Promise<number> {
  return withKeyAdmin(config, clock, async (admin, dataSource) => {
    const names = await tenantNamesOf(dataSource);
    const now = clock.now();
    const rows = (await admin.list({ includeRevoked: options.all })).map((k) => ({
      id: toGlobalId('ApiKey', k.id),
      name: k.name,
      prefix: k.prefix,
      role: k.role,
      status: keyStatus(k, now),
      allTenants: k.allTenants,
      tenants: k.tenantIds.map((t) => ({ id: toGlobalId('Tenant', t), name: names.get(t) ?? null })),
      createdAt: k.createdAt.toISOString(),
      createdBy: k.createdBy,
      lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      expiresAt: k.expiresAt?.toISOString() ?? null,
      revokedAt: k.revokedAt?.toISOString() ?? null,
      rotatedAt: k.rotatedAt?.toISOString() ?? null,
    }));
    if (options.json) {
      out.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      out.write(options.all ? 'no API keys\n' : 'no API keys in use (--all also lists revoked ones)\n');
      return 0;
    }
    const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');
    const table = rows.map((r) => ({
      id: r.id,
      role: r.role,
      status: r.status === ApiKeyStatus.ACTIVE ? 'active' : r.status === ApiKeyStatus.EXPIRED ? 'expired' : 'revoked',
      prefix: r.prefix,
      created: day(r.createdAt),
      lastUsed: day(r.lastUsedAt),
      expires: day(r.expiresAt),
      tenants: r.allTenants ? '(all tenants)' : r.tenants.map((t) => t.name ?? t.id).join(', '),
      name: r.name,
    }));
    const header = { id: 'ID', role: 'ROLE', status: 'STATUS', prefix: 'PREFIX', created: 'CREATED (UTC)', lastUsed: 'LAST USED', expires: 'EXPIRES', tenants: 'TENANTS', name: 'NAME' };
    const columns = ['id', 'role', 'status', 'prefix', 'created', 'lastUsed', 'expires', 'tenants'] as const;
    const widths = Object.fromEntries(columns.map((c) => [c, Math.max(...[header, ...table].map((r) => r[c].length))]));
    for (const row of [header, ...table]) out.write(`${columns.map((c) => row[c].padEnd(widths[c])).join('  ')}  ${row.name}\n`);
    return 0;
  });
}
