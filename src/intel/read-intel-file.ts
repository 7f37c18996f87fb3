/** Reads one intel file within the size limits, gunzipping it when its bytes say so (FIRST ships EPSS as .csv.gz). */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { INTEL_LIMITS, IntelFormatError } from './intel-error';

export interface IntelFileContent {
  /** What messages call the file: the path as given. */
  label: string;
  fileName: string;
  /** SHA-256 of the bytes on disk. */
  sha256: string;
  text: string;
}

export function readIntelFile(path: string): IntelFileContent {
  const size = statSync(path).size;
  if (size > INTEL_LIMITS.fileBytes) throw new IntelFormatError(path, null, `${size} bytes; files over ${INTEL_LIMITS.fileBytes} bytes are not accepted`);
  let bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: INTEL_LIMITS.inflatedBytes });
    } catch (err) {
      throw new IntelFormatError(path, null, `cannot gunzip: ${(err as Error).message}`);
    }
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\u0000')) throw new IntelFormatError(path, null, 'binary content, not a text intel file');
  return { label: path, fileName: basename(path).slice(0, 255), sha256, text };
}
