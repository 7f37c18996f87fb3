/**
 * Reads SUSDB's PUBLIC_VIEWS directly, for WSUS on a full SQL Server reachable over TCP (tedious, the driver under
 * `mssql`, has no named pipes, so Windows Internal Database needs the collector). It runs the same SQL as the
 * collector (susdb/queries.ts) and builds the same envelope, so one mapping serves both.
 */
import type sql from 'mssql';
import { AuthError, TransientError } from '../sdk/errors';
import type { WsusConfig } from './config';
import { ENVELOPE_FORMAT, ENVELOPE_VERSION, InstallationTriple, WsusEnvelope, WsusRows } from './envelope';
import { APPROVALS, COMPUTER_TARGETS, GROUP_MEMBERSHIPS, INSTALLATIONS, TARGET_GROUPS, UPDATE_PRODUCTS, UPDATES } from './susdb/queries';

type Row = Record<string, unknown>;

/** What the queries return, one array of rows per query, as the driver gives them. */
export interface SusdbRowSets {
  computerTargets: Row[];
  targetGroups: Row[];
  groupMemberships: Row[];
  updates: Row[];
  updateProducts: Row[];
  installations: Row[];
  approvals: Row[];
}

/**
 * SUSDB datetimes are UTC without an offset. With `useUTC` the driver hands them over as Dates of the right
 * instant; the envelope keeps the SUSDB form (ISO without offset), as the collector writes it.
 */
function susdbText(value: unknown): unknown {
  return value instanceof Date ? value.toISOString().replace(/Z$/, '') : value;
}

function plain(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, susdbText(v)]));
}

/** Row sets → the envelope the collector would have uploaded. */
export function envelopeFromRows(rowSets: SusdbRowSets, server: { id: string; name: string }, generatedAt: Date): WsusEnvelope {
  const products = new Map<string, string[]>();
  for (const r of rowSets.updateProducts) {
    const id = String(r.UpdateId).toLowerCase();
    products.set(id, [...(products.get(id) ?? []), String(r.ProductTitle)]);
  }
  const rows: WsusRows = {
    computerTargets: rowSets.computerTargets.map(plain) as unknown as WsusRows['computerTargets'],
    targetGroups: rowSets.targetGroups.map(plain) as unknown as WsusRows['targetGroups'],
    groupMemberships: rowSets.groupMemberships.map(plain) as unknown as WsusRows['groupMemberships'],
    updates: rowSets.updates.map((r) => ({ ...plain(r), ProductTitles: products.get(String(r.UpdateId).toLowerCase()) ?? [] })) as unknown as WsusRows['updates'],
    installations: rowSets.installations.map((r): InstallationTriple => [String(r.ComputerTargetId), String(r.UpdateId), Number(r.State)]),
    approvals: rowSets.approvals.map(plain) as unknown as WsusRows['approvals'],
  };
  return { format: ENVELOPE_FORMAT, version: ENVELOPE_VERSION, server, generatedAt: generatedAt.toISOString(), collector: { name: 'patchgraph SUSDB reader', version: '1' }, rows };
}

function poolConfig(config: WsusConfig): sql.config {
  return {
    server: config.sqlServer!,
    port: config.sqlPort ?? 1433,
    database: config.sqlDatabase ?? 'SUSDB',
    user: config.sqlUser,
    password: config.sqlPassword,
    options: { encrypt: config.sqlEncrypt ?? true, trustServerCertificate: false, useUTC: true, readOnlyIntent: true },
    connectionTimeout: 30_000,
    requestTimeout: 300_000,
  };
}

async function withPool<T>(config: WsusConfig, use: (pool: sql.ConnectionPool) => Promise<T>): Promise<T> {
  // Loaded here, on a SUSDB reader's first connection: mssql brings tedious and the Azure identity libraries (about
  // 4 MB of modules), which every other process (the server, each CLI command, each test file) would load for nothing.
  const { ConnectionPool } = require('mssql') as typeof import('mssql');
  const pool = new ConnectionPool(poolConfig(config));
  try {
    await pool.connect();
  } catch (err) {
    const code = (err as { code?: string }).code;
    // ELOGIN is a refused login; everything else (ESOCKET, ETIMEOUT) may pass.
    if (code === 'ELOGIN') throw new AuthError(`SQL Server ${config.sqlServer} refused the login ${config.sqlUser}`);
    throw new TransientError(`SQL Server ${config.sqlServer}:${config.sqlPort ?? 1433} could not be reached (${code ?? 'connection failed'})`);
  }
  try {
    return await use(pool);
  } finally {
    await pool.close().catch(() => undefined);
  }
}

export async function readSusdb(config: WsusConfig, now: Date, signal?: AbortSignal): Promise<WsusEnvelope> {
  return withPool(config, async (pool) => {
    const run = async (query: string): Promise<Row[]> => {
      signal?.throwIfAborted();
      return (await pool.request().query(query)).recordset as Row[];
    };
    const server = (await run(`SELECT CONVERT(varchar(64), SERVERPROPERTY('ServerName')) AS Name`))[0];
    const rowSets: SusdbRowSets = {
      computerTargets: await run(COMPUTER_TARGETS),
      targetGroups: await run(TARGET_GROUPS),
      groupMemberships: await run(GROUP_MEMBERSHIPS),
      updates: await run(UPDATES),
      updateProducts: await run(UPDATE_PRODUCTS),
      installations: await run(INSTALLATIONS),
      approvals: await run(APPROVALS),
    };
    const name = String(server?.Name ?? config.sqlServer);
    return envelopeFromRows(rowSets, { id: `${config.sqlServer}/${config.sqlDatabase ?? 'SUSDB'}`.toLowerCase(), name }, now);
  });
}

export async function testSusdb(config: WsusConfig, signal?: AbortSignal): Promise<string> {
  return withPool(config, async (pool) => {
    signal?.throwIfAborted();
    const [row] = (await pool.request().query('SELECT COUNT(*) AS Computers FROM PUBLIC_VIEWS.vComputerTarget')).recordset as Row[];
    return `Read SUSDB on ${config.sqlServer}: ${row.Computers} computers in PUBLIC_VIEWS.vComputerTarget.`;
  });
}
