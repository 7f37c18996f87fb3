export {
  DEFAULT_SITE_NAMES,
  type DattoSimulator,
  type DattoSimulatorOptions,
  SIMULATOR_API_KEY,
  SIMULATOR_API_SECRET,
  startDattoSimulator,
} from './server';
export { ACCOUNT_NAME, type DattoAccount } from './account';
export { buildDeviceAudit, type DattoDeviceAudit, type DattoNic } from './audit';
export {
  type AntivirusStatus,
  buildDattoDevice,
  dattoDate,
  dateMs,
  type DattoDate,
  type DattoDevice,
  type DattoUdf,
  type DeviceClass,
  PATCH_STATUSES,
  type PatchManagement,
  type PatchStatus,
  UDF_COUNT,
} from './device';
export { MAX_PAGE_SIZE, type PageDetails } from './paging';
export { DATTO_RATE_LIMIT, type RateLimitOptions } from './rate-limit';
export { buildDattoSite, type DattoSite, DELETED_DEVICES_SITE, type DevicesStatus } from './site';
export type { TokenGrant } from './tokens';
