/**
 * What the operator lets file-import instances reach: which directory `path` may point into, and whether `url` and
 * `tokenUrl` may reach private networks. Instances are created through the API by admins who may be limited to one
 * tenant, so neither the server's files nor the networks it sits on are theirs to read by default.
 *
 * The policy is process-wide: one process has one configuration (src/config, applied by the CLI at start), and the
 * checks run inside class-validator rules, which see nothing but the settings.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AddressAllowance, noPrivateAddresses, parseAllowance, Resolver, systemResolver } from './address-guard';

export interface FileImportPolicy {
  /** Real path of the only directory `path` may point into; null refuses every path. */
  importDir: string | null;
  /** Which private, loopback and other internal addresses `url` and `tokenUrl` may reach. */
  addresses: AddressAllowance;
  /** How host names are resolved before connecting; tests pass their own. */
  resolve: Resolver;
}

export const DEFAULT_POLICY: FileImportPolicy = Object.freeze({ importDir: null, addresses: noPrivateAddresses(), resolve: systemResolver });

let current: FileImportPolicy = DEFAULT_POLICY;

export function fileImportPolicy(): FileImportPolicy {
  return current;
}

/** Replaces the policy (fields not given take their closed default); returns the one it replaced, for tests. */
export function setFileImportPolicy(policy: Partial<FileImportPolicy>): FileImportPolicy {
  const previous = current;
  current = { ...DEFAULT_POLICY, ...policy };
  return previous;
}

/** The operator's settings, as src/config reads them from the environment. */
export interface FileImportSettings {
  /** PATCHGRAPH_IMPORT_DIR; null disables file paths. */
  importDir: string | null;
  /** PATCHGRAPH_ALLOW_PRIVATE_URLS. */
  allowPrivateUrls: boolean;
  /** PATCHGRAPH_PRIVATE_URL_ALLOW_LIST: host names, addresses and CIDR networks. */
  privateUrlAllowList: readonly string[];
}

/** Checks the settings; throws an Error naming the setting's problem (src/config names the variable). */
export function policyFromSettings(settings: FileImportSettings): Partial<FileImportPolicy> {
  let importDir: string | null = null;
  if (settings.importDir !== null) {
    const given = resolve(settings.importDir);
    try {
      // Compared with real paths later, so it is one itself.
      importDir = realpathSync(given);
    } catch {
      throw new Error(`${given} does not exist`);
    }
    if (!statSync(importDir).isDirectory()) throw new Error(`${given} is not a directory`);
  }
  return { importDir, addresses: parseAllowance(settings.privateUrlAllowList, settings.allowPrivateUrls) };
}

/** Applies the operator's settings to every file-import instance this process runs or validates. */
export function configureFileImport(settings: FileImportSettings): void {
  setFileImportPolicy(policyFromSettings(settings));
}
