/**
 * mulberry32: small, seedable and the same on every machine, so a seed names one fleet everywhere. Every
 * simulator and the demo draw from it.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** 0 ≤ n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** min ≤ n ≤ max */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** One of `options`, in proportion to its weight. */
  weighted<T>(options: ReadonlyArray<readonly [T, number]>): T {
    let x = this.next() * options.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of options) {
      x -= w;
      if (x < 0) return value;
    }
    return options[options.length - 1][0];
  }

  chars(alphabet: string, n: number): string {
    return Array.from({ length: n }, () => alphabet[this.int(alphabet.length)]).join('');
  }

  /** A version-4-shaped GUID in lower case, as Graph, Datto and SUSDB write ids. */
  guid(): string {
    const hex = (n: number) => this.chars('0123456789abcdef', n);
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[this.int(4)]}${hex(3)}-${hex(12)}`;
  }
}
