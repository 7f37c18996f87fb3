/**
 * Writing and swapping key files so that no crash leaves the only copy of a key half-written or gone: every file is
 * created exclusively with mode 0600 and flushed to disk (with its directory entry) before anything depends on it,
 * and the key file is replaced by a rename, which readers see either before or after, never in between.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where `secrets rotate-key` keeps the new key between writing it and committing the re-encrypted secrets. */
export function pendingKeyPath(keyFile: string): string {
  return `${keyFile}.pending`;
}

/** A name for a file written at `at` that sorts by time and is valid on every file system. */
export function fileStamp(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

function syncDirectory(dir: string): void {
  // Without it a power cut after a rename can bring back the old directory entry. Some file systems refuse to
  // open a directory for this; the rename is still atomic there, only its durability is the system's.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort, see above */
  }
}

/**
 * Creates `path` (never overwriting one) holding `content`, mode 0600, flushed. It appears complete or not at all:
 * the content goes to a temporary name first and is then hard-linked into place, which, unlike a rename, fails
 * when `path` exists. A crash can leave only the temporary file, which nothing reads.
 */
export function writeNewKeyFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // The umask may only have narrowed the mode; this makes it exactly 0600.
    chmodSync(temp, 0o600);
    linkSync(temp, path);
  } finally {
    unlinkSync(temp);
  }
  syncDirectory(dirname(path));
}

/**
 * Makes `pending` the key file: the current key file is first copied to `<keyFile>.old-<stamp>` (mode 0600) so an
 * operator can go back, then `pending` is renamed over it. Returns the backup's path.
 */
export function installPendingKey(keyFile: string, pending: string, at: Date): string {
  const backup = `${keyFile}.old-${fileStamp(at)}`;
  writeNewKeyFile(backup, readFileSync(keyFile, 'utf8'));
  chmodSync(pending, 0o600);
  renameSync(pending, keyFile);
  syncDirectory(dirname(keyFile));
  return backup;
}

export function removeIfPresent(path: string): void {
  if (existsSync(path)) rmSync(path, { force: true });
}
