/**
 * Work sent to the database and not yet awaited, awaited in the order it was sent: what lets this thread prepare the
 * next statement or chunk while the database (MariaDB's server, SQLite's writer thread) runs the last. The work runs
 * in the order sent on the one connection; this only decides when its answers are awaited.
 */
export class InFlight {
  private readonly pending: Array<Promise<unknown>> = [];

  /** `afterEach`: run once each piece has landed (a turn of the event loop between two SQLite statements). */
  constructor(private readonly afterEach?: () => Promise<void>) {}

  /** Holds `work`, already sent, until `landed` awaits it; until then its failure counts as handled. */
  add(work: Promise<unknown>): void {
    work.catch(() => undefined);
    this.pending.push(work);
  }

  /** Awaits the oldest pieces until at most `keep` are left; throws the first failure met. */
  async landed(keep = 0): Promise<void> {
    while (this.pending.length > keep) {
      try {
        await this.pending[0];
      } finally {
        this.pending.shift();
      }
      await this.afterEach?.();
    }
  }

  /** Waits for everything still held, failed or not: nothing is left running once the caller returns or throws. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pending);
  }
}
