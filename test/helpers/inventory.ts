import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureFileImport, FileImportSettings } from '../../connectors/file-import/policy';

export type Rec = Record<string, unknown>;

/**
 * The suite's file-import instances read inventories from fresh temp directories (and name /dev/null where a path is
 * never read), and its feeds are simulators on 127.0.0.1. A server refuses both unless its operator allows them, so
 * the suite allows them here, explicitly. The refusals have their own tests (test/unit/file-import/, and
 * test/e2e/file-import-confinement.test.ts), which set their own policy.
 */
export const SUITE_FILE_IMPORT: FileImportSettings = { importDir: '/', allowPrivateUrls: true, privateUrlAllowList: [] };
configureFileImport(SUITE_FILE_IMPORT);

export const KB1 = { key: 'microsoft:KB5041585', kb: 'KB5041585', title: '2024-08 Cumulative Update for Windows 11 Version 23H2', vendor: 'Microsoft', releasedAt: '2024-08-13T17:00:00Z', severity: 'CRITICAL', classification: 'SECURITY' };
export const KB2 = { key: 'microsoft:KB5043076', kb: 'KB5043076', title: '2024-09 Cumulative Update for Windows 11 Version 23H2', vendor: 'Microsoft', releasedAt: '2024-09-10T17:00:00Z', severity: 'CRITICAL', classification: 'SECURITY' };

/** A JSON inventory file the file-import connector reads; rewrite it to change what the "tool" reports. */
export class InventoryFile {
  readonly path: string;
  constructor(name = 'inventory.json') {
    this.path = join(mkdtempSync(join(tmpdir(), 'patchgraph-inv-')), name);
  }

  write(devices: Rec[], patchStates: Rec[] = [], updates: Rec[] = [KB1, KB2]): this {
    writeFileSync(this.path, JSON.stringify({ format: 'patchgraph-inventory', version: 1, devices, updates, patchStates }));
    return this;
  }
}
