/**
 * The start-up check of the secret key against the stored secrets. Without it a wrong key shows only as syncs
 * failing one by one; with it the first log lines say which key the secrets need, and after an interrupted
 * `secrets rotate-key` (database committed, key file not yet swapped) how to finish.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { Config } from '../config/config';
import { pendingKeyPath } from './key-file';
import { SecretBox } from './secret-box';
import { describeInstances, lastRotation, storedSecrets, undecryptable } from './stored-secrets';

function readKey(path: string): SecretBox | null {
  try {
    return SecretBox.fromEncodedKey(readFileSync(path, 'utf8'), path);
  } catch {
    return null;
  }
}

/** Null when every stored secret decrypts with `box`; else one message saying which instances fail and what to do. */
export async function secretKeyProblem(dataSource: DataSource, box: SecretBox, config: Pick<Config, 'secretKey' | 'secretKeyFile'>): Promise<string | null> {
  const rows = await storedSecrets(dataSource.manager);
  const bad = undecryptable(rows, box);
  if (bad.length === 0) return null;
  const source = config.secretKey ? 'PATCHGRAPH_SECRET_KEY' : config.secretKeyFile;
  const head = `the secrets of ${bad.length} of ${rows.length} connector instances do not decrypt with this process's key (${source}, fingerprint ${box.fingerprint()}): ${describeInstances(bad)}`;

  const pending = pendingKeyPath(config.secretKeyFile);
  const pendingBox = !config.secretKey && existsSync(pending) ? readKey(pending) : null;
  if (pendingBox && undecryptable(bad, pendingBox).length === 0) {
    return `${head}. They decrypt with ${pending}, left by a \`patchgraph secrets rotate-key\` that re-encrypted them but stopped before installing that key: stop this process, run \`npx patchgraph secrets rotate-key\` to finish (it keeps the old key as ${config.secretKeyFile}.old-<time>), then start every process again`;
  }
  const last = await lastRotation(dataSource.manager);
  if (last && last.newKeyFingerprint !== box.fingerprint()) {
    const where = config.secretKey ? 'set PATCHGRAPH_SECRET_KEY to it' : `put it in ${config.secretKeyFile}`;
    return `${head}. \`patchgraph secrets rotate-key\` re-encrypted the secrets at ${last.occurredAt.toISOString()} with the key of fingerprint ${last.newKeyFingerprint}: ${where} and restart this process`;
  }
  return `${head}. Restore the key they were written with, or re-enter those instances' secrets with updateConnectorInstance`;
}
