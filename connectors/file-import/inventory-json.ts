/**
 * The JSON inventory file: one document holding all three streams, marked with its format and version so a
 * stray JSON file (or a future version of this one) is refused instead of read as an empty inventory.
 */
import { MalformedResponseError } from '../sdk/errors';
import { STREAMS, StreamName } from './format';

export const INVENTORY_FORMAT = 'patchgraph-inventory';
export const INVENTORY_VERSION = 1;

export type InventoryDocument = { format: typeof INVENTORY_FORMAT; version: typeof INVENTORY_VERSION } & Record<StreamName, unknown[]>;

export function parseInventoryDocument(text: string, file: string): Record<StreamName, unknown[]> {
  let body: unknown;
  try {
    body = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new MalformedResponseError(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedResponseError(`${file} must hold a JSON object with "format": "${INVENTORY_FORMAT}"`);
  }
  const doc = body as Record<string, unknown>;
  if (doc.format !== INVENTORY_FORMAT) {
    const got = doc.format === undefined ? 'it has no "format"' : `its format is ${JSON.stringify(doc.format)}`;
    throw new MalformedResponseError(`${file} is not a patchgraph inventory: ${got}; expected "format": "${INVENTORY_FORMAT}"`);
  }
  if (doc.version !== INVENTORY_VERSION) {
    const got = doc.version === undefined ? 'it has no "version"' : `its version is ${JSON.stringify(doc.version)}`;
    throw new MalformedResponseError(`${file}: ${got}; this connector reads "version": ${INVENTORY_VERSION}`);
  }
  const allowed = new Set<string>(['format', 'version', ...STREAMS]);
  for (const key of Object.keys(doc)) {
    if (!allowed.has(key)) throw new MalformedResponseError(`${file}: unknown top-level field "${key}"; the fields are ${[...allowed].join(', ')}`);
  }
  const out = {} as Record<StreamName, unknown[]>;
  for (const stream of STREAMS) {
    // A missing list is refused rather than read as empty: "patchstates" misspelt must not mean "no states".
    if (!Array.isArray(doc[stream])) throw new MalformedResponseError(`${file}: "${stream}" must be a list (use [] for none)`);
    out[stream] = doc[stream] as unknown[];
  }
  return out;
}
