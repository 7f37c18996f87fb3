/**
 * What a connector folder provides so the contract kit can test it: its definition, a way to start its simulator,
 * and configurations the kit can break. Each connector exports one `ContractHarness` from `<kind>/testing.ts`.
 *
 * Simulators are real HTTP servers on 127.0.0.1 speaking the vendor's API; the kit drives them through
 * `SimulatorControl` and never reaches into their internals.
 */
import type { ConnectorDefinition } from '../contract';

/**
 * A fault the simulator injects into the data requests it serves. `onRequest` counts data requests (pages of any
 * stream, not token requests) from 1, starting when the fault is injected; the fault applies to `times`
 * consecutive data requests from there (default 1), after which the simulator answers normally again.
 */
export type Fault =
  /** An HTTP error status; `retryAfterSeconds` adds a Retry-After header. */
  | { type: 'status'; status: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number; onRequest: number; times?: number }
  /** A 200 answer whose body is not what the API promises (truncated JSON, a page without its list). */
  | { type: 'malformed'; onRequest: number; times?: number }
  /** Every token issued so far stops working just before this request (it is answered 401 until refreshed). */
  | { type: 'expire-token'; onRequest: number };

export interface SimulatorStats {
  /** Data requests answered, faults included. */
  dataRequests: number;
  /** Token requests answered (0 for a source without tokens). */
  tokenRequests: number;
  /** Data requests refused with 401 because the token had expired. */
  unauthorized: number;
}

export interface SimulatorControl {
  /** Raw configuration (public settings and secrets) of an instance reading this simulator with good credentials. */
  validConfig(): Record<string, unknown>;
  /** The same with credentials the simulator refuses. */
  badCredentialsConfig(): Record<string, unknown>;
  inject(fault: Fault): void;
  /** Changes a few devices and states at the source, as time passing would; returns the changed devices' external ids. */
  mutate(): Promise<{ changedDeviceIds: string[] }>;
  /** Removes one device from the source; returns its external id. */
  removeDevice(): Promise<string>;
  stats(): SimulatorStats;
  resetStats(): void;
  close(): Promise<void>;
  /**
   * Push sources only (transport 'push'): what the source uploads now — the run's ConnectorContext.payload. Each
   * call counts as one data request; a 'malformed' fault makes the upload a broken one.
   */
  payload?(): unknown;
}

export interface SimulatorOptions {
  /** Records per page, so a test can make a full sync span several pages. */
  pageSize: number;
  /** Number of devices in the seeded fleet. */
  devices?: number;
  /** Seed of the fleet; the same seed gives the same fleet. */
  seed?: number;
}

export interface ContractHarness {
  definition: ConnectorDefinition<any>;
  start(options: SimulatorOptions): Promise<SimulatorControl>;
  /** Broken configurations and the field each must be reported against. */
  invalidConfigs: Array<{ name: string; mutate(valid: Record<string, unknown>): Record<string, unknown>; field: string }>;
  /** Whether the source has tokens that can expire; when false the token check is reported as not applicable. */
  usesTokens: boolean;
  /**
   * Whether the source reports per-update data (updates and patch states). False for a tool that reports only a
   * device-level patch posture (Datto RMM): the kit then checks that the connector invents none and reports
   * posture instead. Default true.
   */
  reportsUpdates?: boolean;
  /**
   * 'pull' (default): the connector reads the vendor's API. 'push': the source uploads complete snapshots (the WSUS
   * collector) that reach the connector as the run's payload; HTTP faults, paging, credentials and incremental
   * reads are then the ingest endpoint's business, and the kit checks what a push connector owns.
   */
  transport?: 'pull' | 'push';
}
