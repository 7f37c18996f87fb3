import { SeededRandom } from '../../sdk/testkit/seeded-random';

/** A deterministic source of numbers in [0, 1) (the SDK's SeededRandom), so the demo fleet is the same on every machine. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
