/**
 * `secrets rotate-key`: re-encrypts every stored connector secret under a new key, in one transaction that also
 * appends a `secrets.rotate_key` event to the global audit chain, then installs the new key.
 *
 * Crash safety rests on the order. The new key reaches the disk first (`<key file>.pending`, or the generated file
 * when the key comes from PATCHGRAPH_SECRET_KEY); only then does the database commit; only then is the key file
 * swapped. A crash before the commit leaves the secrets under the old key and a pending file nothing uses; a crash
 * after it leaves the secrets under the pending key, which the audit event's fingerprint identifies. The next
 * `rotate-key` tells the two apart and removes or installs the pending file; `serve` says so at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { reencryptWebhookSecrets } from '../access/change-webhooks';
import { appendAudit } from '../audit/audit-log';
import { Config } from '../config/config';
import { isLockContention } from '../db/lock-contention';
import { inTransaction } from '../db/transaction';
import { AuditEvent, ConnectorInstance } from '../entities';
import { Clock } from '../util/clock';
import { fileStamp, installPendingKey, pendingKeyPath, removeIfPresent, writeNewKeyFile } from './key-file';
import { SecretBox } from './secret-box';
import { describeInstances, KEY_ROTATED, lastRotation, storedSecrets, undecryptable } from './stored-secrets';

export interface RotateKeyOptions {
  /** A file holding the new key: 32 bytes as base64 (44 characters) or 64 hex digits, as the key file does. */
  newKeyFile?: string;
  /** Generate the new key. */
  generate?: boolean;
  /** Check that every secret decrypts and say what would happen; change nothing. */
  dryRun?: boolean;
}

export interface RotateKeyDeps {
  dataSource: DataSource;
  config: Pick<Config, 'secretKey' | 'secretKeyFile'>;
  clock: Clock;
  /** Who rotated, for the audit event. */
  actor: string;
  /** One line of the command's report. Paths and counts only: never a key or a secret. */
  say: (line: string) => void;
}

export type RotateKeyOutcome =
  | { kind: 'dry-run'; instances: number }
  | { kind: 'rotated'; instances: number; fingerprint: string; keyFile: string | null; newKeyFile: string; backupFile: string | null }
  | { kind: 'finished-interrupted'; instances: number; fingerprint: string; backupFile: string };

/** A refusal: one line naming what to fix. Nothing was changed. */
export class RotateKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotateKeyError';
  }
}

const RESTART =
  'Restart every patchgraph process (serve, sync) now: a running one keeps the old key in memory and cannot read the re-encrypted secrets until it restarts.';

const STRICT_KEY = /^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/;

/** The flags alone, checked before the database is opened. */
export function checkRotateOptions(options: RotateKeyOptions): void {
  if (options.generate && options.newKeyFile !== undefined) throw new RotateKeyError('give either --new-key-file <path> or --generate, not both');
  if (options.newKeyFile !== undefined && options.newKeyFile.trim() === '') throw new RotateKeyError('--new-key-file: no path given');
}

function readNewKey(path: string): SecretBox {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RotateKeyError(`--new-key-file: cannot read ${path}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
  // Stricter than the key file's own reader: a typo'd key must be refused here, not accepted as other bytes.
  if (!STRICT_KEY.test(text)) throw new RotateKeyError(`--new-key-file: ${path} must hold 32 bytes as base64 (44 characters) or 64 hex digits; make one with: openssl rand -base64 32`);
  return SecretBox.fromEncodedKey(text, '--new-key-file');
}

function currentKey(config: RotateKeyDeps['config']): { box: SecretBox; fromFile: boolean } {
  if (config.secretKey) return { box: SecretBox.fromEncodedKey(config.secretKey), fromFile: false };
  if (!existsSync(config.secretKeyFile)) {
    throw new RotateKeyError(`PATCHGRAPH_SECRET_KEY_FILE: there is no key file at ${config.secretKeyFile}, so there is no key to rotate (set PATCHGRAPH_SECRET_KEY if the key is kept there)`);
  }
  try {
    return { box: SecretBox.fromEncodedKey(readFileSync(config.secretKeyFile, 'utf8'), config.secretKeyFile), fromFile: true };
  } catch (err) {
    throw new RotateKeyError(`PATCHGRAPH_SECRET_KEY_FILE: ${(err as Error).message}`);
  }
}

function notDecrypting(rows: Parameters<typeof describeInstances>[0], box: SecretBox, source: string): RotateKeyError {
  return new RotateKeyError(
    `nothing was changed: the secrets of ${describeInstances(rows)} do not decrypt with the current key (${source}, fingerprint ${box.fingerprint()}); ` +
      're-enter them with updateConnectorInstance, or restore the key they were written with, then rotate again',
  );
}

/**
 * A `.pending` file left by an earlier run: installs it if that run committed (its key's fingerprint is the last
 * rotation's and every secret decrypts with it), removes it if it never did. Returns the outcome when it finished
 * the earlier rotation, in which case this run does nothing more.
 */
async function resolvePending(deps: RotateKeyDeps, current: SecretBox, dryRun: boolean): Promise<RotateKeyOutcome | null> {
  const { config, say } = deps;
  const pending = pendingKeyPath(config.secretKeyFile);
  if (!existsSync(pending)) return null;
  let pendingBox: SecretBox | null = null;
  try {
    pendingBox = SecretBox.fromEncodedKey(readFileSync(pending, 'utf8'), pending);
  } catch {
    // Written completely before any commit, so an unreadable one belongs to a run that stopped before committing.
  }
  const rows = await storedSecrets(deps.dataSource.manager);
  const last = await lastRotation(deps.dataSource.manager);
  if (pendingBox && !pendingBox.sameKeyAs(current) && last?.newKeyFingerprint === pendingBox.fingerprint()) {
    const bad = undecryptable(rows, pendingBox);
    if (bad.length > 0) throw notDecrypting(bad, pendingBox, pending);
    if (dryRun) {
      say(`dry run: a rotation at ${last.occurredAt.toISOString()} re-encrypted the secrets with the key in ${pending} but did not install it; without --dry-run it is installed as ${config.secretKeyFile}`);
      return { kind: 'dry-run', instances: rows.length };
    }
    const backupFile = installPendingKey(config.secretKeyFile, pending, deps.clock.now());
    say(`finished the rotation of ${last.occurredAt.toISOString()}, which had re-encrypted ${rows.length} connector instances' secrets but stopped before installing the key`);
    say(`new key (fingerprint ${pendingBox.fingerprint()}) installed in ${config.secretKeyFile}; the previous key is kept in ${backupFile}`);
    say(RESTART);
    say('Nothing else was rotated: run the command again to rotate to another key.');
    return { kind: 'finished-interrupted', instances: rows.length, fingerprint: pendingBox.fingerprint(), backupFile };
  }
  const bad = undecryptable(rows, current);
  if (bad.length > 0) {
    throw new RotateKeyError(
      `${pending} is left from an earlier rotation and the secrets of ${describeInstances(bad)} decrypt neither with it nor with the current key; ` +
        'nothing was changed (keep both files until the key those secrets need is found)',
    );
  }
  if (dryRun) {
    say(`dry run: ${pending} is left from a rotation that never committed; it would be removed`);
  } else {
    removeIfPresent(pending);
    say(`removed ${pending}, left by a rotation that never committed (no secret was encrypted with it)`);
  }
  return null;
}

export async function rotateSecretKey(deps: RotateKeyDeps, options: RotateKeyOptions): Promise<RotateKeyOutcome> {
  checkRotateOptions(options);
  const { dataSource, config, clock, say } = deps;
  const dryRun = options.dryRun === true;
  const { box: oldBox, fromFile } = currentKey(config);
  const source = fromFile ? config.secretKeyFile : 'PATCHGRAPH_SECRET_KEY';

  if (fromFile) {
    const finished = await resolvePending(deps, oldBox, dryRun);
    if (finished) return finished;
  }
  if (!options.generate && options.newKeyFile === undefined) throw new RotateKeyError('give the new key with --new-key-file <path>, or --generate to make one');
  const newBox = options.generate ? SecretBox.generate() : readNewKey(options.newKeyFile!);
  if (newBox.sameKeyAs(oldBox)) throw new RotateKeyError(`--new-key-file: ${options.newKeyFile} holds the current key (${source}); give a different key`);

  const before = await storedSecrets(dataSource.manager);
  const bad = undecryptable(before, oldBox);
  if (bad.length > 0) throw notDecrypting(bad, oldBox, source);
  if (dryRun) {
    say(`dry run: the secrets of all ${before.length} connector instances that have secrets decrypt with the current key (${source}, fingerprint ${oldBox.fingerprint()})`);
    say(`without --dry-run they would be re-encrypted with ${options.generate ? 'a newly generated key' : `the key in ${options.newKeyFile} (fingerprint ${newBox.fingerprint()})`}; nothing was changed`);
    return { kind: 'dry-run', instances: before.length };
  }

  const startedAt = clock.now();
  // The new key is on disk before anything is encrypted with it.
  let written: string | null = null;
  let newKeyFile: string;
  if (fromFile) {
    written = pendingKeyPath(config.secretKeyFile);
    writeNewKeyFile(written, `${newBox.encodedKey()}\n`);
    newKeyFile = written;
  } else if (options.generate) {
    written = `${config.secretKeyFile}.new-${fileStamp(startedAt)}`;
    writeNewKeyFile(written, `${newBox.encodedKey()}\n`);
    say(`new key written to ${written} (mode 0600)`);
    newKeyFile = written;
  } else {
    newKeyFile = options.newKeyFile!;
  }

  let auditEventId: string | null = null;
  let count: number;
  try {
    count = await inTransaction(dataSource, async (m) => {
      auditEventId = null;
      if (m.connection.options.type === 'better-sqlite3') {
        // SQLite fails a transaction that read first and then writes at once, without waiting out busy_timeout, when
        // another connection is writing; taking the write lock first makes this one wait like any other writer.
        await m.query('UPDATE connector_instance SET secretsCiphertext = secretsCiphertext WHERE 1 = 0');
      }
      const rows = await storedSecrets(m, true);
      const failing = undecryptable(rows, oldBox);
      if (failing.length > 0) throw notDecrypting(failing, oldBox, source);
      for (const row of rows) {
        const ciphertext = newBox.encrypt(oldBox.decrypt(row.secretsCiphertext, row.id), row.id);
        await m.update(ConnectorInstance, { id: row.id }, { secretsCiphertext: ciphertext });
      }
      // Change webhooks' signing secrets are under the same key; re-encrypted in the same transaction, or deliveries
      // could no longer be signed after the restart.
      await reencryptWebhookSecrets(m, oldBox, newBox).catch((err: Error) => {
        throw new RotateKeyError(err.message);
      });
      const event = await appendAudit(m, {
        tenantId: null,
        actor: deps.actor,
        action: KEY_ROTATED,
        targetType: 'SecretKey',
        targetId: null,
        data: { instances: rows.length, oldKeyFingerprint: oldBox.fingerprint(), newKeyFingerprint: newBox.fingerprint() },
        occurredAt: startedAt,
      });
      auditEventId = event.id;
      return rows.length;
    });
  } catch (err) {
    await discardUnlessCommitted(deps, written, auditEventId);
    if (isLockContention(err)) {
      throw new RotateKeyError('nothing was changed: another writer (a sync, a running server) kept the database locked; try again, best with every patchgraph process stopped');
    }
    throw err;
  }

  if (!fromFile) {
    say(`re-encrypted the secrets of ${count} connector instances with the new key (fingerprint ${newBox.fingerprint()}); audit event ${KEY_ROTATED} recorded`);
    say(`Now set PATCHGRAPH_SECRET_KEY to the key in ${newKeyFile} for every patchgraph process; this command changed no key file.`);
    say(RESTART);
    return { kind: 'rotated', instances: count, fingerprint: newBox.fingerprint(), keyFile: null, newKeyFile, backupFile: null };
  }
  let backupFile: string;
  try {
    backupFile = installPendingKey(config.secretKeyFile, written!, clock.now());
  } catch (err) {
    throw new RotateKeyError(
      `the secrets are re-encrypted with the key in ${written}, but installing it as ${config.secretKeyFile} failed (${(err as Error).message}); ` +
        'fix that and run `npx patchgraph secrets rotate-key` again to finish, and do not delete either file',
    );
  }
  say(`re-encrypted the secrets of ${count} connector instances with the new key (fingerprint ${newBox.fingerprint()}); audit event ${KEY_ROTATED} recorded`);
  say(`new key installed in ${config.secretKeyFile} (mode 0600); the previous key is kept in ${backupFile} (mode 0600)`);
  say(RESTART);
  return { kind: 'rotated', instances: count, fingerprint: newBox.fingerprint(), keyFile: config.secretKeyFile, newKeyFile: config.secretKeyFile, backupFile };
}

/**
 * After a failed transaction, removes the key file this run wrote, unless the commit went through after all (the
 * connection can drop after COMMIT was sent): then that file is the only copy of the key the secrets need.
 */
async function discardUnlessCommitted(deps: RotateKeyDeps, written: string | null, auditEventId: string | null): Promise<void> {
  if (!written) return;
  let committed: boolean | null = auditEventId === null ? false : null;
  if (committed === null) {
    try {
      committed = (await deps.dataSource.getRepository(AuditEvent).countBy({ id: auditEventId! })) > 0;
    } catch {
      committed = null;
    }
  }
  if (committed === false) removeIfPresent(written);
  else deps.say(`kept ${written}: the database may hold secrets encrypted with it; run \`npx patchgraph secrets rotate-key --dry-run\` to see`);
}
