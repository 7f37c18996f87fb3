import { Advisory } from './advisory.entity';
import { ApiKey } from './api-key.entity';
import { CompliancePolicy } from './compliance-policy.entity';
import { PolicyAssignment } from './policy-assignment.entity';
import { RiskException } from './risk-exception.entity';
import { Asset } from './asset.entity';
import { AuditChainHead } from './audit-chain-head.entity';
import { AuditEvent } from './audit-event.entity';
import { AuditPrunePermit } from './audit-prune-permit.entity';
import { ConnectorInstance } from './connector-instance.entity';
import { CveIntel } from './cve-intel.entity';
import { IntelSource } from './intel-source.entity';
import { PatchEvent } from './patch-event.entity';
import { PatchPostureEvent } from './patch-posture-event.entity';
import { PatchState } from './patch-state.entity';
import { RunEventLeaves } from './run-event-leaves.entity';
import { Site } from './site.entity';
import { SourceDevice } from './source-device.entity';
import { SyncLock } from './sync-lock.entity';
import { SyncRun } from './sync-run.entity';
import { Tenant } from './tenant.entity';
import { UnattachedRecord } from './unattached-record.entity';
import { UpdateApproval } from './update-approval.entity';
import { UpdateVulnerability } from './update-vulnerability.entity';
import { Update } from './update.entity';
import { VendorSite } from './vendor-site.entity';
import { Vulnerability } from './vulnerability.entity';
import { VulnerabilityFact } from './vulnerability-fact.entity';
import { ChangeApproval } from './change-approval.entity';
import { ChangeRequest } from './change-request.entity';
import { ChangeSequence } from './change-sequence.entity';
import { DeploymentRing } from './deployment-ring.entity';
import { MaintenanceWindow } from './maintenance-window.entity';
import { ChangeWebhook } from './change-webhook.entity';
import { WebhookDelivery } from './webhook-delivery.entity';

export {
  Advisory, CompliancePolicy, PolicyAssignment, RiskException, AuditPrunePermit, RunEventLeaves,
  ApiKey, Asset, AuditChainHead, AuditEvent, ConnectorInstance, PatchEvent, PatchPostureEvent, PatchState, Site, SourceDevice, SyncLock, SyncRun, Tenant,
  UnattachedRecord, Update, UpdateApproval, UpdateVulnerability, VendorSite, Vulnerability, IntelSource, CveIntel, VulnerabilityFact,
  ChangeRequest, ChangeApproval, ChangeSequence, MaintenanceWindow, DeploymentRing, ChangeWebhook, WebhookDelivery,
};

export const ENTITIES = [
  Tenant, Site, Asset, ConnectorInstance, SourceDevice, Update, Vulnerability, UpdateVulnerability, PatchState, PatchEvent, PatchPostureEvent,
  SyncRun, SyncLock, AuditEvent, AuditChainHead, ApiKey, VendorSite, UpdateApproval, UnattachedRecord, IntelSource, CveIntel, VulnerabilityFact,
  CompliancePolicy, PolicyAssignment, RiskException, Advisory, RunEventLeaves, AuditPrunePermit,
  ChangeRequest, ChangeApproval, ChangeSequence, MaintenanceWindow, DeploymentRing, ChangeWebhook, WebhookDelivery,
];
