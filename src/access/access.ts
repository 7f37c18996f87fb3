import { DataSource } from 'typeorm';
import { KeyAdmin } from '../auth/key-admin';
import { PendingKeyUse } from '../auth/key-usage';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { AdvisoryFinder } from './advisory.finder';
import { AssetFinder } from './asset.finder';
import { AuditChainAccess } from './audit-chain';
import { AuditEventFinder } from './audit-event.finder';
import { ChangeAdmin } from './change-admin';
import { ChangeRequestFinder, ChangeScheduleFinder } from './change.finder';
import { ChangeWebhookAdmin } from './change-webhooks';
import { ChangeProposals } from './change-proposals';
import { ComplianceAdmin } from './compliance-admin';
import { ComplianceAccess } from './compliance';
import { ConnectorAdmin } from './connector-admin';
import { ConnectorInstanceFinder } from './connector-instance.finder';
import { ColumnPlan, FinderDeps } from './finder';
import { IdentityAdmin } from './identity-admin';
import { IntelSourceReader } from './intel-sources';
import { PageLimits } from './keyset';
import { PatchHistoryAccess } from './patch-history';
import { PatchEventFinder } from './patch-event.finder';
import { PatchStateFinder } from './patch-state.finder';
import { PolicyAssignmentFinder } from './policy-assignment.finder';
import { PolicyVersions } from './policy-versions';
import { RiskExceptionFinder } from './risk-exception.finder';
import { SiteFinder } from './site.finder';
import { PatchPostureEventFinder } from './patch-posture-event.finder';
import { UpdateApprovalFinder } from './update-approval.finder';
import { SyncRunFinder } from './sync-run.finder';
import { SourceDeviceFinder } from './source-device.finder';
import { Actor, TenantAdmin } from './tenant-admin';
import { TenantScope } from './tenant-scope';
import { TenantFinder } from './tenant.finder';
import { UpdateFinder } from './update.finder';
import { VulnerabilityFinder } from './vulnerability.finder';

/**
 * Everything a request may read or write, already narrowed to its tenant scope. The GraphQL context holds this,
 * never the DataSource, so resolvers have no way to run an unscoped query.
 */
export class Access {
  readonly tenants: TenantFinder;
  readonly sites: SiteFinder;
  readonly assets: AssetFinder;
  readonly sourceDevices: SourceDeviceFinder;
  readonly connectorInstances: ConnectorInstanceFinder;
  readonly updates: UpdateFinder;
  readonly vulnerabilities: VulnerabilityFinder;
  readonly intelSources: IntelSourceReader;
  readonly patchStates: PatchStateFinder;
  readonly tenantAdmin: TenantAdmin;
  readonly connectorAdmin: ConnectorAdmin;
  readonly identityAdmin: IdentityAdmin;
  readonly syncRuns: SyncRunFinder;
  readonly postureEvents: PatchPostureEventFinder;
  readonly approvals: UpdateApprovalFinder;
  readonly compliance: ComplianceAccess;
  /** Compliance management: policies (MSP-wide), assignments, risk exceptions, advisories, asset settings. */
  readonly policyVersions: PolicyVersions;
  readonly policyAssignments: PolicyAssignmentFinder;
  readonly riskExceptions: RiskExceptionFinder;
  readonly advisories: AdvisoryFinder;
  readonly complianceAdmin: ComplianceAdmin;
  /** API keys within this scope; `keyUsage` adds the uses the server has not written yet to lastUsedAt. */
  readonly apiKeys: KeyAdmin;
  /** The audit trail: its events, the patch events it seals, and verification of the chains. */
  readonly auditEvents: AuditEventFinder;
  readonly patchEvents: PatchEventFinder;
  readonly auditChains: AuditChainAccess;
  /** Change management: change records, their life cycle, maintenance windows and deployment rings. */
  readonly changeRequests: ChangeRequestFinder;
  readonly changeSchedule: ChangeScheduleFinder;
  readonly changeAdmin: ChangeAdmin;
  readonly changeWebhooks: ChangeWebhookAdmin;
  readonly changeProposals: ChangeProposals;
  /** The patch history report: requests resolved against this scope. */
  readonly patchHistory: PatchHistoryAccess;
  private readonly columnPlan: { plan: ColumnPlan | null } = { plan: null };

  constructor(
    dataSource: DataSource, readonly scope: TenantScope, limits: PageLimits, clock: Clock, actor: Actor, secrets: SecretBox, keyUsage?: PendingKeyUse,
  ) {
    const deps: FinderDeps = { dataSource, scope, limits, columns: this.columnPlan };
    this.tenants = new TenantFinder(deps);
    this.sites = new SiteFinder(deps);
    this.assets = new AssetFinder(deps);
    this.sourceDevices = new SourceDeviceFinder(deps);
    this.connectorInstances = new ConnectorInstanceFinder(deps);
    this.updates = new UpdateFinder(deps);
    this.vulnerabilities = new VulnerabilityFinder(deps);
    this.intelSources = new IntelSourceReader(dataSource);
    this.patchStates = new PatchStateFinder(deps);
    this.tenantAdmin = new TenantAdmin(dataSource, scope, clock, actor);
    this.connectorAdmin = new ConnectorAdmin(dataSource, scope, clock, actor, secrets);
    this.identityAdmin = new IdentityAdmin(dataSource, scope, clock, actor);
    this.syncRuns = new SyncRunFinder(deps);
    this.postureEvents = new PatchPostureEventFinder(deps);
    this.approvals = new UpdateApprovalFinder(deps);
    this.compliance = new ComplianceAccess(dataSource, scope);
    this.policyVersions = new PolicyVersions(dataSource);
    this.policyAssignments = new PolicyAssignmentFinder(deps);
    this.riskExceptions = new RiskExceptionFinder(deps);
    this.advisories = new AdvisoryFinder(deps);
    this.complianceAdmin = new ComplianceAdmin(dataSource, scope, clock, actor);
    this.apiKeys = new KeyAdmin(dataSource, clock, { label: actor.label, scope }, keyUsage);
    this.auditEvents = new AuditEventFinder(deps);
    this.patchEvents = new PatchEventFinder(deps);
    this.auditChains = new AuditChainAccess(dataSource, scope);
    this.changeRequests = new ChangeRequestFinder(deps);
    this.changeSchedule = new ChangeScheduleFinder(deps);
    this.changeAdmin = new ChangeAdmin(dataSource, scope, clock);
    this.changeWebhooks = new ChangeWebhookAdmin(dataSource, scope, clock, secrets);
    this.changeProposals = new ChangeProposals(dataSource, scope, this.compliance);
    this.patchHistory = new PatchHistoryAccess(dataSource, scope, clock);
  }

  /**
   * Reads only these columns of the planned entities from now on (null: whole rows). Set by a GraphQL query whose
   * every field is known to need no more (src/graphql/column-plan.ts).
   */
  readColumns(plan: ColumnPlan | null): void {
    this.columnPlan.plan = plan;
  }
}
