import { ZipFile } from 'yazl';

export interface ZipEntry {
  name: string;
  content: Buffer;
}

/**
 * A ZIP of the entries in the order given, whose bytes depend only on the entries and `mtime`: entries are stored, not
 * deflated (the bytes then do not depend on the zlib build of the Node.js that runs it, as for the PDF's streams),
 * every entry carries the same time and mode, and only the DOS timestamp is written. yazl writes that timestamp from
 * the Date's local-time fields, so the Date handed over is the one whose local fields are mtime's UTC fields: the
 * archive says the same wall-clock time (UTC) on any machine, whatever its time zone.
 */
export async function zipEntries(entries: readonly ZipEntry[], mtime: Date): Promise<Buffer> {
  const wallClock = new Date(mtime.getUTCFullYear(), mtime.getUTCMonth(), mtime.getUTCDate(), mtime.getUTCHours(), mtime.getUTCMinutes(), mtime.getUTCSeconds());
  const zip = new ZipFile();
  for (const e of entries) zip.addBuffer(e.content, e.name, { mtime: wallClock, mode: 0o100644, compress: false, forceDosTimestamp: true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
