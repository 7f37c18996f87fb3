export {
  type CatalogAccess,
  type IntuneSimulator,
  type IntuneSimulatorOptions,
  SIMULATOR_CLIENT_ID,
  SIMULATOR_CLIENT_SECRET,
  SIMULATOR_TENANT_ID,
  startIntuneSimulator,
} from './server';
export {
  bundledCatalogItems,
  type GraphCveDetail,
  type GraphCveSeverityInformation,
  type GraphOsBuild,
  type GraphProductRevision,
  type GraphQualityUpdateCatalogItem,
} from './catalog';
export {
  buildManagedDevice,
  type ComplianceState,
  type DeviceEnrollmentType,
  type ManagedDevice,
  type ManagementAgent,
  NO_ENTRA_DEVICE_ID,
  UNSET_DATE,
} from './managed-device';
export { STALE_AFTER_DAYS } from './fleet';
