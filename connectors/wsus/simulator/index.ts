export { WsusSimulator, type WsusSimulatorOptions } from './simulator';
export type { ComputerSpec } from './seed-computers';
export type { WsusComputer } from './computer';
export type { UploadResult } from './upload';
export {
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  type SusdbTime,
  type WsusApprovalRow,
  type WsusComputerTargetRow,
  type WsusGroupMembershipRow,
  type WsusInstallationRow,
  type WsusInstallationTriple,
  type WsusSnapshot,
  type WsusSnapshotRows,
  type WsusTargetGroupRow,
  type WsusUpdateRow,
} from './snapshot';
export { ALL_COMPUTERS, ALL_COMPUTERS_ID, UNASSIGNED_COMPUTERS, UNASSIGNED_COMPUTERS_ID } from './ids';
export { SUSDB_NEVER, susdbTime } from './susdb-time';
export { RELEASES, type WindowsRelease } from './windows';
