/** The Merkle root computed level by level in slices is RFC 6962's root, whatever the number of leaves. */
import { createHash } from 'node:crypto';
import { turnAlways } from '../../connectors/sdk/time-slices';
import { leafHash, merkleRoot, merkleRootInSlices } from '../../src/audit/merkle';

const leaves = (n: number, salt = '') => Array.from({ length: n }, (_, i) => leafHash(`${salt}${i}`));

describe('merkleRootInSlices', () => {
  it('equals the one-pass root for every count from 0 to 300', async () => {
    for (let n = 0; n <= 300; n++) {
      const l = leaves(n, 'a');
      expect(await merkleRootInSlices(l, turnAlways())).toBe(merkleRoot(l));
    }
  });

  it('equals the one-pass root around and between powers of two, up to 20,001 leaves', async () => {
    for (const n of [511, 512, 513, 1023, 1024, 1025, 4095, 4097, 6000, 20_001]) {
      const l = leaves(n, 'b');
      expect(await merkleRootInSlices(l)).toBe(merkleRoot(l));
    }
  });

  it("is RFC 6962's tree on three leaves: the split at two, the third carried up", async () => {
    const [a, b, c] = leaves(3, 'c').map((h) => Buffer.from(h, 'hex'));
    const node = (l: Buffer, r: Buffer) => createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();
    expect(await merkleRootInSlices(leaves(3, 'c'))).toBe(node(node(a, b), c).toString('hex'));
  });

  it('lets a timer run before it finishes', async () => {
    let finished = false;
    let timerSawItUnfinished: boolean | undefined;
    setTimeout(() => {
      timerSawItUnfinished = !finished;
    }, 0);
    await merkleRootInSlices(leaves(2_000, 'd'), turnAlways());
    finished = true;
    expect(timerSawItUnfinished).toBe(true);
  });
});
