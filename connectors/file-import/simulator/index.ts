export { CATALOG, RELEASES } from './catalog';
export { DEFAULT_FLEET_NOW, type DeviceRow, type FleetOptions, type PatchStateRow, SimulatedFleet, type UpdateRow } from './fleet';
export { INVENTORY_JSON_FILE, inventoryDocument, writeInventoryFiles, type WrittenInventory } from './files';
export {
  type FileImportSimulator,
  type FileImportSimulatorOptions,
  SIMULATOR_CLIENT_ID,
  SIMULATOR_CLIENT_SECRET,
  startFileImportSimulator,
} from './server';
