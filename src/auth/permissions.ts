import { Role } from '../entities/enums';

/**
 * The permission matrix: every operation of the API, who may run it, and over which tenants. It is data, so the
 * README's table is rendered from it and a test checks it cell by cell; it is enforced in one place
 * (graphql/enforce-permissions.ts wraps every field named here), and a schema field of Query or Mutation that
 * is missing from it stops the server from building its schema, so a new operation cannot ship unguarded.
 */

/** Who may use an operation: the four roles, or a connector's own ingest credential. */
export type Grantee = Role | 'INGEST';

/** What a principal that lacks the role gets from a field entry. */
export type Denial =
  /** The operation is refused with FORBIDDEN. */
  | 'forbidden'
  /** The field answers a reduced value (documented on the field) instead of the full one. */
  | 'redacted';

export interface Permission {
  /** The group the README lists it under. */
  area: string;
  /** What the operation does, as the README's table says it. */
  what: string;
  grantees: readonly Grantee[];
  /** Only a principal that sees every tenant may run it (tenant names are unique across all clients, say). */
  allTenantsOnly?: boolean;
  denial?: Denial;
}

const EVERY_ROLE = [Role.MSP_ADMIN, Role.TECHNICIAN, Role.CLIENT_ADMIN, Role.AUDITOR] as const;
const MSP_STAFF = [Role.MSP_ADMIN, Role.TECHNICIAN] as const;
const MSP_ADMIN = [Role.MSP_ADMIN] as const;
/** Accepting a risk is the client's decision as much as the MSP's; auditors only read. */
const EXCEPTION_MANAGERS = [Role.MSP_ADMIN, Role.TECHNICIAN, Role.CLIENT_ADMIN] as const;

/** Technicians raise and run changes; approving is for someone with authority over the client's systems. */
const CHANGE_RUNNERS = [Role.MSP_ADMIN, Role.TECHNICIAN] as const;
const CHANGE_APPROVERS = [Role.MSP_ADMIN, Role.CLIENT_ADMIN] as const;
/** Maintenance windows are agreed with the client: either side may record one. */
const WINDOW_MANAGERS = [Role.MSP_ADMIN, Role.TECHNICIAN, Role.CLIENT_ADMIN] as const;

const read = (what: string): Permission => ({ area: 'Read the graph (within the principal\'s tenants)', what, grantees: EVERY_ROLE });

/**
 * Keyed by schema coordinate: `Query.x` and `Mutation.x` are operations; `Type.field` entries guard one field of
 * a type (the rest of the type is readable by whoever may reach it). HTTP routes outside GraphQL are keyed by
 * method and path.
 */
export const PERMISSIONS = {
  'Query.viewer': read('Who the caller is: name, role, tenants, permissions'),
  'Query.node': read('Any object by its global id'),
  'Query.nodes': read('Several objects by global id'),
  'Query.tenant': read('A tenant'),
  'Query.tenants': read('Tenants'),
  'Query.site': read('A site'),
  'Query.sites': read('Sites'),
  'Query.asset': read('An asset'),
  'Query.assets': read('Assets, with filters'),
  'Query.patchStates': read('Patch states, with filters'),
  'Query.update': read('A catalog update (shared entries, and the principal\'s tenants\' own)'),
  'Query.updates': read('Catalog updates'),
  'Query.vulnerabilities': read('Vulnerabilities (CVEs)'),
  'Query.syncRuns': read('Sync runs of the principal\'s tenants\' connector instances'),
  'Query.connectorKinds': read('Connector kinds installed and the settings each takes'),
  'Query.connectorInstances': read('Connector instances'),
  'Query.unattachedSourceDevices': read('Source records that are not a current source of an asset'),
  'Query.compliance': read('Compliance with a policy, now or as of any date, with counts, groupings and findings'),

  // The auditor reads who started each run in the audit trail (sync.run events' actor), so here too.
  'SyncRun.triggeredBy': {
    area: 'Operational detail', what: 'Who started a sync run (others see null)', grantees: [...MSP_STAFF, Role.AUDITOR], denial: 'redacted',
  },
  'SyncRun.errorMessage': {
    area: 'Operational detail', what: 'The full failure text of a sync run: vendor answers, server paths (others see a line naming the errorKind)',
    grantees: MSP_STAFF, denial: 'redacted',
  },
  'ConnectorInstance.settings': {
    area: 'Operational detail', what: 'A connector instance\'s settings other than secrets: accounts, URLs, server paths (others see {})',
    grantees: MSP_STAFF, denial: 'redacted',
  },

  'Mutation.createTenant': { area: 'Tenants and sites', what: 'Create a tenant', grantees: MSP_ADMIN, allTenantsOnly: true },
  'Mutation.renameTenant': { area: 'Tenants and sites', what: 'Rename a tenant', grantees: MSP_ADMIN, allTenantsOnly: true },
  'Mutation.createSite': { area: 'Tenants and sites', what: 'Create a site in a tenant', grantees: MSP_ADMIN },
  'Mutation.renameSite': { area: 'Tenants and sites', what: 'Rename a site', grantees: MSP_ADMIN },

  'Mutation.createConnectorInstance': { area: 'Connectors and syncs', what: 'Add a connector instance (secrets write-only)', grantees: MSP_STAFF },
  'Mutation.updateConnectorInstance': { area: 'Connectors and syncs', what: 'Change a connector instance (secrets write-only)', grantees: MSP_STAFF },
  'Mutation.testConnectorInstance': { area: 'Connectors and syncs', what: 'Check an instance reaches its source', grantees: MSP_STAFF },
  'Mutation.triggerSync': { area: 'Connectors and syncs', what: 'Start a sync now', grantees: MSP_STAFF },
  'Mutation.resetIngestWatermark': { area: 'Connectors and syncs', what: 'Accept a WSUS collector\'s older snapshot again', grantees: MSP_STAFF },
  'Mutation.mapVendorSite': { area: 'Connectors and syncs', what: 'Map a site of an MSP-wide vendor account to a tenant', grantees: MSP_ADMIN },
  'POST /ingest/{instanceId}': {
    area: 'Connectors and syncs', what: 'Push a snapshot to an instance whose connector takes uploads (the instance\'s own ingest key; no API key or token is accepted)', grantees: ['INGEST'],
  },
  'POST /ingest/wsus/{instanceId}': {
    area: 'Connectors and syncs', what: 'Push a WSUS snapshot: the WSUS collector\'s address for the same route (the instance\'s own ingest key; no API key or token is accepted)', grantees: ['INGEST'],
  },

  'Mutation.mergeAssets': { area: 'Identity', what: 'Merge assets that are one machine', grantees: MSP_STAFF },
  'Mutation.splitAsset': { area: 'Identity', what: 'Split source devices off an asset', grantees: MSP_STAFF },

  'Query.policies': { area: 'Compliance', what: 'Compliance policies: the built-in presets and the MSP\'s custom ones, with their versions', grantees: EVERY_ROLE },
  'Query.policy': { area: 'Compliance', what: 'One policy, or one version of a custom policy', grantees: EVERY_ROLE },
  'Mutation.createPolicy': { area: 'Compliance', what: 'Record a custom policy (MSP-wide)', grantees: MSP_ADMIN, allTenantsOnly: true },
  'Mutation.updatePolicy': { area: 'Compliance', what: 'Add a version to a custom policy (earlier versions are kept)', grantees: MSP_ADMIN, allTenantsOnly: true },
  'Mutation.assignPolicy': { area: 'Compliance', what: 'Assign a policy to a tenant or one of its sites', grantees: MSP_STAFF },
  'Mutation.unassignPolicy': { area: 'Compliance', what: 'End a policy assignment (kept, for answers about earlier dates)', grantees: MSP_STAFF },
  'Query.riskExceptions': { area: 'Compliance', what: 'Risk exceptions of the principal\'s tenants', grantees: EVERY_ROLE },
  'Mutation.createRiskException': { area: 'Compliance', what: 'Accept a risk: exempt findings until a date', grantees: EXCEPTION_MANAGERS },
  'Mutation.revokeRiskException': { area: 'Compliance', what: 'End a risk exception early', grantees: EXCEPTION_MANAGERS },
  'Query.advisories': { area: 'Compliance', what: 'Authorities\' advisories (notices naming CVEs or KBs, with their own clock)', grantees: EVERY_ROLE },
  'Mutation.createAdvisory': { area: 'Compliance', what: 'Record an authority\'s advisory (applies to every tenant)', grantees: MSP_ADMIN, allTenantsOnly: true },
  'Mutation.setAssetClass': { area: 'Compliance', what: 'Set an asset\'s class by hand, or return it to the rule', grantees: MSP_STAFF },
  'Mutation.setAssetEsu': { area: 'Compliance', what: 'Record an asset\'s Extended Security Updates end date', grantees: MSP_STAFF },

  'Query.patchHistory': { area: 'Audit and reports', what: 'The patch history report: one row per patch event that matters, in a period, as recorded by knownAt', grantees: EVERY_ROLE },
  'Query.verifyReport': { area: 'Audit and reports', what: 'Regenerate a recorded report from its filters and knownAt and say whether the bytes are identical', grantees: EVERY_ROLE },
  'GET /reports/patch-history.csv': { area: 'Audit and reports', what: 'The patch history report as CSV, streamed (metadata in headers, SHA-256 as a trailer)', grantees: EVERY_ROLE },
  'GET /reports/patch-history.jsonl': { area: 'Audit and reports', what: 'The patch history report as JSON Lines, streamed', grantees: EVERY_ROLE },
  'GET /reports/patch-history.pdf': { area: 'Audit and reports', what: 'The patch history report as PDF: a summary page, then the detail', grantees: EVERY_ROLE },
  'GET /reports/evidence-pack.zip': { area: 'Audit and reports', what: 'The evidence pack for a tenant, policy and date: a ZIP of a PDF and CSVs (compliance, findings, exceptions, change records, chain verification)', grantees: EVERY_ROLE },

  'Query.changeRequests': { area: 'Change management', what: 'Change requests of the principal\'s tenants', grantees: EVERY_ROLE },
  'Query.changeRequest': { area: 'Change management', what: 'A change request by id or reference, with its verification and evidence', grantees: EVERY_ROLE },
  'Query.unrecordedChanges': { area: 'Change management', what: 'WSUS install approvals with no change record behind them', grantees: EVERY_ROLE },
  'Query.maintenanceWindows': { area: 'Change management', what: 'Maintenance windows and their occurrences', grantees: EVERY_ROLE },
  'Query.deploymentRings': { area: 'Change management', what: 'Deployment rings', grantees: EVERY_ROLE },
  'Query.ringPromotion': { area: 'Change management', what: 'Whether the next deployment ring may start for a change, and why', grantees: EVERY_ROLE },
  'Query.changeProposals': { area: 'Change management', what: 'Changes a tenant needs now (a policy\'s rollout, new KEV entries), computed and not written', grantees: EVERY_ROLE },
  'Mutation.createChangeRequest': { area: 'Change management', what: 'Raise a change request (the caller is its requester)', grantees: CHANGE_RUNNERS },
  'Mutation.updateChangeRequest': { area: 'Change management', what: 'Edit a draft change request', grantees: CHANGE_RUNNERS },
  'Mutation.submitChangeRequest': { area: 'Change management', what: 'Submit a change for approval', grantees: CHANGE_RUNNERS },
  'Mutation.approveChangeRequest': { area: 'Change management', what: 'Approve a change (never one\'s own)', grantees: CHANGE_APPROVERS },
  'Mutation.rejectChangeRequest': { area: 'Change management', what: 'Reject a change (never one\'s own)', grantees: CHANGE_APPROVERS },
  'Mutation.scheduleChangeRequest': { area: 'Change management', what: 'Schedule an approved change in a maintenance window', grantees: CHANGE_RUNNERS },
  'Mutation.startChangeRequest': { area: 'Change management', what: 'Start a scheduled change', grantees: CHANGE_RUNNERS },
  'Mutation.completeChangeRequest': { area: 'Change management', what: 'Complete a change, keeping its evidence', grantees: CHANGE_RUNNERS },
  'Mutation.failChangeRequest': { area: 'Change management', what: 'Mark a change failed, keeping its evidence', grantees: CHANGE_RUNNERS },
  'Mutation.rollBackChangeRequest': { area: 'Change management', what: 'Record that a change was rolled back', grantees: CHANGE_RUNNERS },
  'Mutation.closeChangeRequest': { area: 'Change management', what: 'Close a change with its closure code and review', grantees: CHANGE_RUNNERS },
  'Mutation.createMaintenanceWindow': { area: 'Change management', what: 'Add a recurring maintenance window to a tenant, site or ring', grantees: WINDOW_MANAGERS },
  'Mutation.createDeploymentRing': { area: 'Change management', what: 'Add a deployment ring with its members and promotion criteria', grantees: MSP_STAFF },
  'Query.changeWebhooks': { area: 'Change management', what: 'Webhooks that follow change records, with their deliveries (never their secrets)', grantees: MSP_ADMIN },
  'Mutation.createChangeWebhook': { area: 'Change management', what: 'Register a signed webhook for a PSA to follow change records (secret shown once)', grantees: MSP_ADMIN },
  'Mutation.deleteChangeWebhook': { area: 'Change management', what: 'Remove a change webhook', grantees: MSP_ADMIN },

  'Query.auditEvents': {
    area: 'Audit and reports', what: 'The audit trail: who changed what, when (the MSP-wide chain only with an all-tenants key)', grantees: [Role.MSP_ADMIN, Role.AUDITOR],
  },
  'Query.verifyAuditChain': {
    area: 'Audit and reports', what: 'Recompute a tenant\'s audit chain and its sync runs\' Merkle roots, and name the first broken link (the MSP-wide chain: MSP_ADMIN with an all-tenants key)',
    grantees: [Role.MSP_ADMIN, Role.AUDITOR],
  },
  'Query.patchEvents': read('Patch events: every observed change of a patch state, with filters'),

  'Query.apiKeys': { area: 'Access', what: 'List API keys within the caller\'s tenants (never the keys themselves)', grantees: MSP_ADMIN },
  'Mutation.createApiKey': { area: 'Access', what: 'Issue an API key within the caller\'s tenants (shown once)', grantees: MSP_ADMIN },
  'Mutation.rotateApiKey': { area: 'Access', what: 'Replace an API key\'s secret; the old one stops working at once', grantees: MSP_ADMIN },
  'Mutation.revokeApiKey': { area: 'Access', what: 'Revoke an API key at once', grantees: MSP_ADMIN },
} as const satisfies Record<string, Permission>;

const ENTRIES: ReadonlyMap<string, Permission> = new Map(Object.entries(PERMISSIONS));

/** Whether `role` may use the operation or field at `coordinate`. Unknown coordinates are denied. */
export function roleMay(role: Grantee, coordinate: string): boolean {
  return ENTRIES.get(coordinate)?.grantees.includes(role) ?? false;
}

/** The coordinates a role may use, in matrix order: what `viewer { permissions }` answers. */
export function permissionsOf(role: Grantee): string[] {
  return [...ENTRIES].filter(([, p]) => p.grantees.includes(role)).map(([c]) => c);
}

export const GRANTEES: readonly Grantee[] = [...EVERY_ROLE, 'INGEST'];

/** The matrix as the README's Markdown table, one row per operation, grouped by area. */
export function renderPermissionMatrix(): string {
  const header = ['Operation', 'What it does', 'MSP_ADMIN', 'TECHNICIAN', 'CLIENT_ADMIN', 'AUDITOR', 'Ingest key'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  const areas = [...new Set([...ENTRIES.values()].map((p) => p.area))];
  for (const area of areas) {
    lines.push(`| **${area}** | | | | | | |`);
    for (const [coordinate, p] of ENTRIES) {
      if (p.area !== area) continue;
      const cells = GRANTEES.map((g) => {
        if (!p.grantees.includes(g)) return p.denial === 'redacted' && g !== 'INGEST' ? 'reduced' : '—';
        return p.allTenantsOnly ? 'yes (all-tenants key)' : 'yes';
      });
      lines.push(`| \`${coordinate}\` | ${p.what.replace(/\|/g, '\\|')} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
