/**
 * Confines `path` to the operator's import directory. Checked twice: when the setting is saved (lexically and through
 * the symlinks that exist then), and when each file is opened at sync time, because a file that was fine when the
 * instance was saved may since have been replaced by a symlink to another client's export.
 */
import { constants, realpathSync } from 'node:fs';
import { FileHandle, open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../sdk/errors';

export const HOW_TO_ENABLE = 'file paths are disabled on this server; an operator enables them by setting PATCHGRAPH_IMPORT_DIR to the directory inventories are dropped into';

function inside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function outsideMessage(given: string, importDir: string, via?: string): string {
  return `${given} is outside the import directory ${importDir}${via ? ` (it leads to ${via})` : ''}; put the inventory in that directory`;
}

/** `path` as the connector reads it: relative paths are taken from the import directory. */
export function resolveInImportDir(path: string, importDir: string): string {
  return resolve(importDir, path);
}

/**
 * Why `path` may not be used with `importDir` (null: paths disabled), or undefined. The file need not exist yet;
 * the part of it that does is followed through its symlinks.
 */
export function importPathProblem(path: string, importDir: string | null): string | undefined {
  if (importDir === null) return HOW_TO_ENABLE;
  if (path.includes('\0')) return 'must not contain a NUL character';
  // A lone surrogate is written to the file system as U+FFFD (another file than the one stored), and control and
  // bidi characters make the path shown in the API and logs differ from the one opened, as in display names.
  const hidden = /[\p{Cs}\p{Cc}\p{Cf}]/u.exec(path);
  if (hidden) return `must not contain a control, format (bidi) or unpaired surrogate character (U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
  const target = resolveInImportDir(path, importDir);
  if (!inside(importDir, target)) return outsideMessage(path, importDir);
  const real = realpathOfExisting(target);
  if (!inside(importDir, real)) return outsideMessage(path, importDir, real);
  return undefined;
}

/** The real path of the longest existing prefix of `target`, with the rest appended as written. */
function realpathOfExisting(target: string): string {
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(existing), ...rest);
    } catch (err) {
      const parent = dirname(existing);
      // ENOENT or ENOTDIR: walk up; anything else (EACCES, ELOOP) cannot be judged, so it is refused as outside.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) return `${sep}\0unresolvable`;
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

/**
 * Opens `file` for reading if it really lies in `importDir`, at the moment of opening. The real path is opened
 * with O_NOFOLLOW, and the opened file is checked to be the file that real path names, so a symlink swapped in
 * between the check and the open is caught either way.
 */
export async function openInImportDir(file: string, importDir: string | null, field = 'path'): Promise<FileHandle> {
  if (importDir === null) throw new ConfigError(field, HOW_TO_ENABLE);
  const target = resolveInImportDir(file, importDir);
  if (!inside(importDir, target)) throw new ConfigError(field, outsideMessage(file, importDir));
  const real = await realpath(target); // ENOENT and friends are the caller's to word
  if (!inside(importDir, real)) throw new ConfigError(field, outsideMessage(file, importDir, real));
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const [opened, named] = await Promise.all([handle.stat(), stat(real)]);
    if (opened.dev !== named.dev || opened.ino !== named.ino) throw new ConfigError(field, `${file} changed while it was being opened; try again`);
    if (!opened.isFile()) throw new ConfigError(field, `${file} is not a regular file`);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
