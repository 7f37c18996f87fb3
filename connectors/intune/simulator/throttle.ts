/**
 * Intune's per-app limit (2000 requests in 20 s on the devices API) as a rolling window over data requests. Only
 * admitted requests count, so a client that waits out the window gets through again.
 */
export class RollingWindow {
  private admitted: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Counts the request if the window has room; otherwise how long until the oldest counted one leaves it. */
  admit(): { admitted: true } | { admitted: false; retryAfterMs: number } {
    const now = this.clock();
    this.admitted = this.admitted.filter((t) => t > now - this.windowMs);
    if (this.admitted.length < this.limit) {
      this.admitted.push(now);
      return { admitted: true };
    }
    return { admitted: false, retryAfterMs: this.admitted[0] + this.windowMs - now };
  }
}
