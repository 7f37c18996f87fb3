/**
 * Merkle tree hash as RFC 6962 (Certificate Transparency) defines it, over SHA-256:
 *
 *   MTH({})     = SHA-256()
 *   MTH({d})    = SHA-256(0x00 || d)                          a leaf
 *   MTH(D[0:n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  k the largest power of two below n
 *
 * The 0x00 and 0x01 prefixes keep a leaf from ever hashing like an inner node, so no set of leaves can be passed
 * off as another (the second-preimage attack on plain Merkle trees). Written here rather than taken from a library
 * because it is these few lines and every verifier must reproduce it byte for byte.
 */
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

/** SHA-256(0x00 || data): the hash of one leaf, as lowercase hex. */
export function leafHash(data: string | Buffer): string {
  return createHash('sha256').update(LEAF).update(data).digest('hex');
}

/** The root over leaf hashes (hex) in the order given; the empty tree's root is SHA-256 of nothing. */
export function merkleRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) return createHash('sha256').digest('hex');
  const raw = leaves.map((l) => Buffer.from(l, 'hex'));
  return subtree(raw, 0, raw.length).toString('hex');
}

function subtree(leaves: Buffer[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 1) return leaves[start];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return createHash('sha256').update(NODE).update(subtree(leaves, start, start + k)).update(subtree(leaves, start + k, end)).digest();
}
