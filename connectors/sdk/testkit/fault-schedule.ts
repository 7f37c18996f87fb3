import type { Fault } from './harness';

/** What the simulator does to one data request because of the faults injected so far. */
export interface FaultEffect {
  /** Drop every token issued so far before answering. */
  expireTokens: boolean;
  status?: { status: number; retryAfterSeconds?: number };
  malformed: boolean;
}

/**
 * Faults count data requests from their own injection (harness.ts): `onRequest: 2` is the second data request
 * after `inject`, however many came before it.
 */
export class FaultSchedule {
  private served = 0;
  private active: Array<{ fault: Fault; injectedAt: number }> = [];

  inject(fault: Fault): void {
    this.active.push({ fault, injectedAt: this.served });
  }

  /** Call once per data request, in order. */
  next(): FaultEffect {
    const n = ++this.served;
    const effect: FaultEffect = { expireTokens: false, malformed: false };
    for (const { fault, injectedAt } of this.active) {
      const k = n - injectedAt;
      if (fault.type === 'expire-token') {
        if (k === fault.onRequest) effect.expireTokens = true;
      } else if (k >= fault.onRequest && k < fault.onRequest + (fault.times ?? 1)) {
        if (fault.type === 'status') effect.status ??= { status: fault.status, retryAfterSeconds: fault.retryAfterSeconds };
        else effect.malformed = true;
      }
    }
    this.active = this.active.filter(({ fault, injectedAt }) => n - injectedAt < fault.onRequest + (fault.type === 'expire-token' ? 0 : (fault.times ?? 1) - 1));
    return effect;
  }
}
