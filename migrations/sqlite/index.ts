// Migrations for sqlite, oldest first. scripts/generate-migration.ts appends new ones here.
import { Initial1795426673311 } from './1795426673311-Initial';
import { SyncEngine1795432601351 } from './1795432601351-SyncEngine';
import { DeviceFacts1795436611692 } from './1795436611692-DeviceFacts';
import { DattoSupport1795438836281 } from './1795438836281-DattoSupport';
import { WsusApprovals1795440915178 } from './1795440915178-WsusApprovals';
import { EffectiveEvidence1796454588093 } from './1796454588093-EffectiveEvidence';
import { UnattachedRecords1796456180004 } from './1796456180004-UnattachedRecords';
import { SharedCatalogTrust1796459209793 } from './1796459209793-SharedCatalogTrust';
import { ApiKeyLifecycle1796464308677 } from './1796464308677-ApiKeyLifecycle';
import { ComplianceFoundations1796465252960 } from './1796465252960-ComplianceFoundations';
import { IntelSources1796465621665 } from './1796465621665-IntelSources';
import { PatchEventSourceUpdateIndex1796468461609 } from './1796468461609-PatchEventSourceUpdateIndex';
import { VulnerabilityFactHistory1796474032261 } from './1796474032261-VulnerabilityFactHistory';
import { AuditTrail1796474129843 } from './1796474129843-AuditTrail';
import { ChangeManagement1796474630568 } from './1796474630568-ChangeManagement';
import { ChangeWebhooks1796477196175 } from './1796477196175-ChangeWebhooks';
import { SourceDeviceStatesDigest1796492123479 } from './1796492123479-SourceDeviceStatesDigest';
export const SQLITE_MIGRATIONS: Function[] = [Initial1795426673311, SyncEngine1795432601351, DeviceFacts1795436611692, DattoSupport1795438836281, WsusApprovals1795440915178, EffectiveEvidence1796454588093, UnattachedRecords1796456180004, SharedCatalogTrust1796459209793, ApiKeyLifecycle1796464308677, ComplianceFoundations1796465252960, IntelSources1796465621665, PatchEventSourceUpdateIndex1796468461609, VulnerabilityFactHistory1796474032261, AuditTrail1796474129843, ChangeManagement1796474630568, ChangeWebhooks1796477196175, SourceDeviceStatesDigest1796492123479];
