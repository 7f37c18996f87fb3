/** The root folded leaf by leaf, holding only perfect subtrees, is RFC 6962's root, whatever the number of leaves. */
import { createHash } from 'node:crypto';
import { IncrementalMerkleRoot, leafHash, merkleRoot } from '../../src/audit/merkle';

const leaves = (n: number, salt = '') => Array.from({ length: n }, (_, i) => leafHash(`${salt}${i}`));

function incremental(hashes: readonly string[]): IncrementalMerkleRoot {
  const tree = new IncrementalMerkleRoot();
  for (const h of hashes) tree.add(h);
  return tree;
}

describe('IncrementalMerkleRoot', () => {
  it('equals the one-pass root for every count from 0 to 300, read after each leaf added', () => {
    const all = leaves(300, 'a');
    const tree = new IncrementalMerkleRoot();
    expect(tree.root()).toBe(merkleRoot([]));
    for (let n = 1; n <= all.length; n++) {
      tree.add(all[n - 1]);
      expect({ n, count: tree.count, root: tree.root() }).toEqual({ n, count: n, root: merkleRoot(all.slice(0, n)) });
    }
  });

  it('equals the one-pass root around and between powers of two, up to 20,001 leaves', () => {
    for (const n of [511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097, 6000, 20_001]) {
      const l = leaves(n, 'b');
      expect({ n, root: incremental(l).root() }).toEqual({ n, root: merkleRoot(l) });
    }
  });

  it("is RFC 6962's tree on five leaves: the four on the left, the fifth carried up", () => {
    const [a, b, c, d, e] = leaves(5, 'c').map((h) => Buffer.from(h, 'hex'));
    const node = (l: Buffer, r: Buffer) => createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();
    expect(incremental(leaves(5, 'c')).root()).toBe(node(node(node(a, b), node(c, d)), e).toString('hex'));
  });

  it('depends on the order of the leaves', () => {
    const l = leaves(6, 'd');
    expect(incremental([...l].reverse()).root()).not.toBe(incremental(l).root());
  });
});
