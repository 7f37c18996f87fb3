import { UserInputError } from '../../errors';

/** Opaque global ids: base64url of "<Type>:<key>". Clients must treat them as opaque strings. */
export function toGlobalId(type: string, key: string): string {
  return Buffer.from(`${type}:${key}`, 'utf8').toString('base64url');
}

export interface DecodedId {
  type: string;
  key: string;
}

export function decodeGlobalId(id: string, field: string): DecodedId {
  const text = /^[A-Za-z0-9_-]+$/.test(id) ? Buffer.from(id, 'base64url').toString('utf8') : '';
  const sep = text.indexOf(':');
  if (sep <= 0 || sep === text.length - 1 || !/^[A-Z][A-Za-z]+$/.test(text.slice(0, sep))) {
    throw new UserInputError(field, `"${id}" is not an id issued by this API`);
  }
  return { type: text.slice(0, sep), key: text.slice(sep + 1) };
}

/** Decodes an id that must name an object of `type`, e.g. a tenant id for `filter.tenantIds`. */
export function keyOf(type: string, id: string, field: string): string {
  const decoded = decodeGlobalId(id, field);
  if (decoded.type !== type) throw new UserInputError(field, `expected a ${type} id but got a ${decoded.type} id`);
  return decoded.key;
}

export function keysOf(type: string, ids: readonly string[] | null | undefined, field: string): string[] | null {
  if (!ids) return null;
  return ids.map((id, i) => keyOf(type, id, `${field}[${i}]`));
}
