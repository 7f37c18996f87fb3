/**
 * The harness's faults (harness.ts) applied to data requests, once for every simulator: an error status with or
 * without Retry-After, a malformed 200, tokens expiring before the n-th request.
 */
import { FaultSchedule } from '../fault-schedule';
import type { Fault } from '../harness';
import type { Middleware, SimRequest, SimResponse } from './server';
import type { TokenIssuer } from './tokens';

/** One way to break a 200 answer: its JSON body in, the broken body out (a string is sent as it is). */
export type Malform = (body: unknown) => unknown;

/** The first half of the JSON text: a page cut off mid-way. */
export const truncatedJson: Malform = (body) => {
  const text = JSON.stringify(body);
  return text.slice(0, Math.floor(text.length / 2));
};

export interface FaultInjectorOptions {
  /** Whose tokens the expire-token fault expires. */
  tokens?: TokenIssuer;
  /** The vendor's body for an injected status; default `{ error: 'unavailable', message: 'Simulated failure (HTTP n).' }`. */
  statusAnswer?: (status: number, req: SimRequest) => SimResponse;
  /** The ways a malformed fault breaks a page, used in turn; default [truncatedJson]. */
  malformed?: readonly Malform[];
}

export class FaultInjector {
  private readonly schedule = new FaultSchedule();
  private malformedServed = 0;

  constructor(private readonly options: FaultInjectorOptions = {}) {}

  /** SimulatorControl.inject. */
  readonly inject = (fault: Fault): void => this.schedule.inject(fault);

  /**
   * Put on every data route, after counting it and before the auth check: an expired token is then refused by
   * the very request the fault names, and a status fault answers whatever the credentials.
   */
  readonly middleware: Middleware = (req, next) => {
    const effect = this.schedule.next();
    if (effect.expireTokens) this.options.tokens?.expireAll();
    if (effect.status) {
      const { status, retryAfterSeconds } = effect.status;
      const answer = this.options.statusAnswer?.(status, req) ?? { status, body: { error: 'unavailable', message: `Simulated failure (HTTP ${status}).` } };
      return retryAfterSeconds === undefined ? answer : { ...answer, headers: { ...answer.headers, 'retry-after': String(retryAfterSeconds) } };
    }
    const answer = next();
    if (!effect.malformed || answer.status !== 200) return answer;
    const ways = this.options.malformed ?? [truncatedJson];
    const broken = ways[this.malformedServed++ % ways.length](answer.body);
    return { ...answer, body: typeof broken === 'string' ? broken : JSON.stringify(broken) };
  };
}
