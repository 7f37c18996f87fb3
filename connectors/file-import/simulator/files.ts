/**
 * The simulated fleet as inventory files: the JSON document and the three CSV files, both readable by the
 * file-import connector (the core's demo mode loads one of them through it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCsv } from '../csv';
import { CSV_FILES } from '../file-source';
import { STREAMS } from '../format';
import { INVENTORY_FORMAT, INVENTORY_VERSION, InventoryDocument } from '../inventory-json';
import { FleetOptions, SimulatedFleet } from './fleet';

export const INVENTORY_JSON_FILE = 'inventory.json';

export interface WrittenInventory {
  /** `<dir>/inventory.json`: a `path` for the connector. */
  jsonPath: string;
  /** `<dir>` itself, holding devices.csv, updates.csv and patch-states.csv: the other possible `path`. */
  csvDir: string;
  counts: { devices: number; updates: number; patchStates: number };
}

export function inventoryDocument(fleet: SimulatedFleet): InventoryDocument {
  return { format: INVENTORY_FORMAT, version: INVENTORY_VERSION, devices: fleet.devices, updates: fleet.updates, patchStates: fleet.patchStates };
}

/** Writes the seeded fleet (same options, same files) to `dir`, creating it if needed. */
export async function writeInventoryFiles(dir: string, options: FleetOptions = {}): Promise<WrittenInventory> {
  const fleet = new SimulatedFleet(options);
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, INVENTORY_JSON_FILE);
  await writeFile(jsonPath, `${JSON.stringify(inventoryDocument(fleet), null, 2)}\n`);
  for (const stream of STREAMS) {
    const rows = stream === 'devices' ? fleet.devices : stream === 'updates' ? fleet.updates : fleet.patchStates;
    await writeFile(join(dir, CSV_FILES[stream]), writeCsv(stream, rows as unknown as Array<Record<string, unknown>>));
  }
  return {
    jsonPath,
    csvDir: dir,
    counts: { devices: fleet.devices.length, updates: fleet.updates.length, patchStates: fleet.patchStates.length },
  };
}
