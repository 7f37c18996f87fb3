/**
 * The connector contract: everything a connector is to patchgraph. A connector reads one vendor account or data
 * source and yields normalised records; it never touches the database. The sync engine (src/sync) consumes the
 * three streams in order — devices, then updates, then patch states — buffers them, and applies the whole run in
 * one transaction, so a connector may fail at any point without leaving anything half-written.
 */
import type { Clock } from './clock';
import type { Sleep } from './http/backoff';
import type { HttpLog } from './http/http-client';
import type { HttpObserver } from './http/observer';
import type { TokenCache } from './http/oauth2';
import type { LimiterRegistry } from './http/rate-limiter';
import type { Streamed } from './record-batch';

/** The state of one update on one device. "Not remediated" means MISSING, FAILED or PENDING_REBOOT. */
export type PatchStateValue = 'MISSING' | 'INSTALLED' | 'FAILED' | 'PENDING_REBOOT' | 'NOT_APPLICABLE' | 'UNKNOWN';
export const PATCH_STATE_VALUES: readonly PatchStateValue[] = ['MISSING', 'INSTALLED', 'FAILED', 'PENDING_REBOOT', 'NOT_APPLICABLE', 'UNKNOWN'];

/** How a state is known: REPORTED per update by an agent (WSUS), or DERIVED (from an OS build, as for Intune). */
export type Evidence = 'REPORTED' | 'DERIVED';
export const EVIDENCE_VALUES: readonly Evidence[] = ['REPORTED', 'DERIVED'];

export type SeverityValue = 'CRITICAL' | 'IMPORTANT' | 'MODERATE' | 'LOW' | 'UNSPECIFIED';
export const SEVERITY_VALUES: readonly SeverityValue[] = ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW', 'UNSPECIFIED'];

/** Who owns the device, as the source says: corporate-owned or a personal (BYOD) device. */
export type OwnershipValue = 'COMPANY' | 'PERSONAL' | 'UNKNOWN';
export const OWNERSHIP_VALUES: readonly OwnershipValue[] = ['COMPANY', 'PERSONAL', 'UNKNOWN'];

/**
 * A device's patch posture as a whole, for tools that report no per-update detail (Datto RMM's patchStatus):
 * NO_POLICY — no automatic patching is set up; NO_DATA — the agent has not reported; REBOOT_REQUIRED — updates
 * wait for a restart; INSTALL_ERROR — installing failed; APPROVED_PENDING — approved updates are not yet installed;
 * FULLY_PATCHED — nothing approved is outstanding.
 */
export type PatchPostureValue = 'NO_POLICY' | 'NO_DATA' | 'REBOOT_REQUIRED' | 'INSTALL_ERROR' | 'APPROVED_PENDING' | 'FULLY_PATCHED';
export const PATCH_POSTURE_VALUES: readonly PatchPostureValue[] = ['NO_POLICY', 'NO_DATA', 'REBOOT_REQUIRED', 'INSTALL_ERROR', 'APPROVED_PENDING', 'FULLY_PATCHED'];

export interface PatchPostureRecord {
  status: PatchPostureValue;
  /** Updates approved but not yet installed. */
  approvedPending?: number | null;
  /** Updates the policy has not approved. */
  notApproved?: number | null;
  installed?: number | null;
}

export type ClassificationValue =
  | 'SECURITY'
  | 'CRITICAL'
  | 'UPDATE_ROLLUP'
  | 'FEATURE_PACK'
  | 'SERVICE_PACK'
  | 'DEFINITION'
  | 'DRIVER'
  | 'UPDATE'
  | 'OTHER';
export const CLASSIFICATION_VALUES: readonly ClassificationValue[] = [
  'SECURITY', 'CRITICAL', 'UPDATE_ROLLUP', 'FEATURE_PACK', 'SERVICE_PACK', 'DEFINITION', 'DRIVER', 'UPDATE', 'OTHER',
];
/**
 * The classifications as WSUS and Windows Update name them, in the plural ("Security Updates"), upper-cased with
 * underscores for spaces: many tools report these names. `CLASSIFICATION_ALIASES['SECURITY_UPDATES']` is 'SECURITY'.
 */
export const CLASSIFICATION_ALIASES: Readonly<Record<string, ClassificationValue>> = Object.freeze({
  SECURITY_UPDATES: 'SECURITY',
  CRITICAL_UPDATES: 'CRITICAL',
  UPDATE_ROLLUPS: 'UPDATE_ROLLUP',
  FEATURE_PACKS: 'FEATURE_PACK',
  SERVICE_PACKS: 'SERVICE_PACK',
  DEFINITION_UPDATES: 'DEFINITION',
  DRIVERS: 'DRIVER',
  UPDATES: 'UPDATE',
});

/**
 * One device as the source knows it, with every identifier the source has: identity resolution uses them to join
 * this device to the same machine seen by other tools. Leave a field null rather than guessing; the engine
 * normalises serials, MACs and host names itself.
 */
export interface DeviceRecord {
  /** The device's stable id in the source tool (Intune managedDevice id, Datto device uid, WSUS target id). */
  externalId: string;
  hostname?: string | null;
  fqdn?: string | null;
  serialNumber?: string | null;
  /** Microsoft Entra (Azure AD) device id. */
  azureAdDeviceId?: string | null;
  /**
   * SMBIOS system UUID (Win32_ComputerSystemProduct.UUID): joins the same machine across tools. All-zero, all-F and
   * board-template UUIDs are ignored, and so is one that live records of the same tool share (clones).
   */
  smbiosUuid?: string | null;
  macAddresses?: string[];
  osName?: string | null;
  osVersion?: string | null;
  /** Build and revision, e.g. "22631.4037". */
  osBuild?: string | null;
  /** When the device last checked in with the source tool. */
  lastCheckInAt?: Date | null;
  /**
   * When the device enrolled in the tool (Intune enrolledDateTime, Datto creationDate), if the tool says. Identity
   * uses it to tell a re-enrolled machine (the old record went quiet before the new one enrolled) from a clone.
   */
  enrolledAt?: Date | null;
  /**
   * The vendor's organisation or customer the device belongs to (Datto's site uid, an RMM's organisation id). An
   * account-wide instance (one vendor account serving many clients) sends the device to a tenant through its mapping
   * of these keys; devices of keys nobody has mapped wait. A tenant's own instance ignores it.
   */
  tenantKey?: string | null;
  /** The vendor's name for that organisation, shown to the operator who maps it. */
  tenantName?: string | null;
  /**
   * Where the device is: the source's location, group or site (a WSUS target group, an RMM's location). `name` is
   * matched to a site of the device's tenant; for an account-wide instance a site chosen in the mapping comes first.
   * Given at all (null too: "no site"), it replaces the deprecated `vendorSite`/`vendorSiteId` as the site; leave it
   * out for a device whose site you still send in those.
   */
  site?: DeviceSite | null;
  /**
   * @deprecated Use `site.name` (and `tenantKey`). Accepted for one more version. Given without the new fields it
   * means what it always meant: the site's name, and for an account-wide instance the name of its mapping key.
   */
  vendorSite?: string | null;
  /**
   * @deprecated Use `tenantKey` (and `site.id`). Accepted for one more version. Given without the new fields it
   * means what it always meant: the site's id, and for an account-wide instance the key its mapping uses.
   */
  vendorSiteId?: string | null;
  /**
   * The connector's own marker of what it read (e.g. Datto's lastAuditDate), at most 128 characters. The engine
   * stores it and hands it back next run through `StreamRequest.known`, with the identifiers it stored.
   */
  revision?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  ownership?: OwnershipValue | null;
  /**
   * The source has not heard from the device for longer than the instance allows (e.g. Intune's staleAfterDays):
   * what it says about the device, patch states included, is out of date. Such a device is never counted as current.
   */
  inactive?: boolean;
  /**
   * Facts the source has that the common fields do not hold (Intune complianceState, managementAgent), shown to
   * operators as they are. Flat values only; at most 32 keys.
   */
  attributes?: Record<string, string | number | boolean | null>;
  /** Device-level patch posture, from a tool that reports it (Datto RMM); every change is kept as an event. */
  patchPosture?: PatchPostureRecord | null;
  /**
   * The source lists the record as deleted (Datto's `deleted`, or its "Deleted Devices" site). Yield it rather than
   * skipping it, so the run accounts for every record the source returned: the engine counts it
   * (`counts.devices.deleted`), marks a source device it already holds stale with the reason "deleted", and never
   * creates a device or an asset for it. Its patch states are dropped and counted. For an MSP-wide source, give the
   * key the source files it under (`tenantKey`): a key holding only deleted records is listed as the account's
   * deleted-devices site and can never be mapped to a tenant.
   */
  deleted?: boolean;
}

/** A device's location in the source: its id there and its name. */
export interface DeviceSite {
  id?: string | null;
  name?: string | null;
}

/** A vulnerability an update fixes, as the update's vendor publishes it. */
export interface VulnerabilityRecord {
  /** "CVE-2024-38063". */
  cveId: string;
  title?: string | null;
  cvssBaseScore?: number | null;
  cvssVector?: string | null;
  severity?: SeverityValue;
  /** The vendor says it is exploited in the wild. */
  exploited?: boolean;
  publishedAt?: Date | null;
}

/** A software update catalog entry. The catalog is shared by all tenants; entries are keyed by `key`. */
export interface UpdateRecord {
  /** Stable identity across sources, vendor-prefixed: "microsoft:KB5041585". */
  key: string;
  kb?: string | null;
  title: string;
  vendor: string;
  products?: string[];
  classification?: ClassificationValue;
  severity?: SeverityValue;
  /**
   * The vendor's release date, when the source's own catalog gives one; leave it out rather than guess. The catalog
   * entry's date follows Microsoft's data, then a source that gave one, then the first run that saw the update.
   */
  releasedAt?: Date | null;
  /** KB numbers this update supersedes. */
  supersedes?: string[];
  /**
   * The vulnerabilities the update fixes. Like the rest of the catalog, vulnerabilities are added by the first
   * source to report them and never rewritten by a connector; links missing from a known update are added.
   */
  fixes?: VulnerabilityRecord[];
}

/** The state of one update on one device. Both must be emitted by the same run (or already known, when incremental). */
export interface PatchStateRecord {
  deviceExternalId: string;
  /** The `key` of an UpdateRecord. */
  updateKey: string;
  state: PatchStateValue;
  evidence: Evidence;
  /** When the source says the state last changed (e.g. WSUS LastChangeTime), if it says. */
  reportedAt?: Date | null;
  /** When the source says the update was installed, if it says. */
  installedAt?: Date | null;
}

/**
 * An approval of an update for a group of devices (a WSUS target group), kept as change-management evidence: who
 * approved which update for which group, and when. Approvals are never rewritten once recorded.
 */
export interface ApprovalRecord {
  /** The vendor's id of the approval (WSUS UpdateApprovalId). */
  externalId: string;
  /** The `key` of an UpdateRecord of the same run or already in the catalog. */
  updateKey: string;
  /** The group the approval is for, by name. */
  group: string;
  /** "Install", "Uninstall", "NotApproved"… as the tool says. */
  action: string;
  approvedAt: Date | null;
  approvedBy: string | null;
}

/**
 * How a run reads its source, chosen by the engine: 'incremental' only for a connector whose definition says it can
 * (`capabilities.incremental`), when the run is not forced full, is not a pushed snapshot, and the last committed run
 * stored a device cursor; 'full' otherwise. Only a full read lets the engine mark devices it no longer sees stale.
 */
export type RunMode = 'full' | 'incremental';

/**
 * What the engine passes to each stream. In a 'full' run, read everything. In an 'incremental' run, read what
 * changed since `cursor`: what this stream reported through `setCursor` in the last run that committed (null if it
 * reported none, and in a run forced full). A full read still sees the stored cursor, as a watermark (WSUS refuses
 * a snapshot older than the last one applied), never as a filter. Only an incremental-capable stream calls
 * `setCursor`, with the position the next run should resume from; the engine stores it only if the run commits.
 */
export interface StreamRequest {
  mode: RunMode;
  cursor: string | null;
  setCursor(cursor: string): void;
  signal?: AbortSignal;
  /**
   * What the engine holds about a device of this instance from earlier runs, or undefined for a new one. A
   * connector whose identifiers cost a call per device (Datto's audit) reuses them while `revision` is unchanged.
   */
  known?: (externalId: string) => KnownDevice | undefined;
  /**
   * For an MSP-wide instance: whether devices of this tenant key (`DeviceRecord.tenantKey`, or the deprecated
   * `vendorSiteId`) are imported (mapped to a tenant and not ignored). A device of any other key is still yielded, so
   * the key is reported, but needs no expensive per-device call: it is counted and dropped. Undefined means every
   * key is imported.
   */
  siteImported?: (tenantKey: string) => boolean;
}

export interface KnownDevice {
  revision: string | null;
  serialNumber: string | null;
  smbiosUuid: string | null;
  macAddresses: string[];
  manufacturer: string | null;
  model: string | null;
}

export interface ConnectionCheck {
  /** One line for the operator, e.g. "Reached Microsoft Graph as tenant contoso.onmicrosoft.com; 1,204 devices". */
  message: string;
}

export interface Connector {
  /** Proves the configuration works (reachable, credentials accepted) without reading the whole source. */
  testConnection(options?: { signal?: AbortSignal }): Promise<ConnectionCheck>;
  /*
   * Each stream yields records one at a time, or `batch(records)` where it already holds many at once (a pushed
   * snapshot): the engine checks a batch's records one by one, exactly as if yielded alone.
   */
  devices(request: StreamRequest): AsyncIterable<Streamed<DeviceRecord>>;
  updates(request: StreamRequest): AsyncIterable<Streamed<UpdateRecord>>;
  patchStates(request: StreamRequest): AsyncIterable<Streamed<PatchStateRecord>>;
  /** Update approvals, for tools that have them (WSUS); read after patch states. */
  approvals?(request: StreamRequest): AsyncIterable<Streamed<ApprovalRecord>>;
  /** Releases sockets, timers and files. Called once after every run, successful or not. */
  close?(): Promise<void>;
}

/** What the engine gives a connector besides its configuration. Use these instead of globals so tests control time. */
export interface ConnectorContext {
  clock: Clock;
  /** Structured, already-redacted log events (pass to HttpClient as `log`). */
  log?: HttpLog;
  /** Watches every HTTP attempt and retry for metrics and traces (pass to HttpClient as `observer`). */
  observer?: HttpObserver;
  /** Rate limiters shared by every instance using the same vendor account. */
  rateLimiters?: LimiterRegistry;
  /** Waits between retries; tests pass one that records the delay instead of waiting. */
  sleep?: Sleep;
  /** Access tokens kept in memory across runs, for vendors whose tokens live long (Datto: 100 hours). */
  tokens?: TokenCache;
  /**
   * For a push source (the WSUS collector): what was uploaded for this run, already checked by the ingest
   * endpoint. A pushed snapshot is complete by definition, so the engine treats the run as a full read.
   *
   * Read it while the streams are read: once the last stream has ended the engine sets it to undefined, so that the
   * upload (tens of megabytes for a large WSUS server) is not held through the apply. A connector should not keep it,
   * or what it made of it, past its streams either: the engine keeps the connector until the run's commit.
   */
  payload?: unknown;
}

/**
 * A connector kind: what the registry holds. `configClass` is a class whose properties carry class-validator
 * decorators and one `@Setting` each (see config.ts); secrets are marked there and stored encrypted.
 */
export interface ConnectorDefinition<C extends object = object> {
  /** Lower-case identifier stored on every instance, e.g. "file-import". Never change it once released. */
  kind: string;
  displayName: string;
  /** One sentence shown when an operator picks a connector kind. */
  description: string;
  configClass: new () => C;
  /**
   * Builds the connector for one run. `config` has been through `parseConfig(definition, …)` (the engine and the
   * contract kit both parse the stored settings first), so it holds validated settings with their defaults applied.
   */
  create(config: C, context: ConnectorContext): Connector;
  /** What the source can do. Without `incremental: true` every run is a full read and no cursor is needed. */
  capabilities?: ConnectorCapabilities;
  /**
   * True when an instance with this configuration only syncs when its source pushes (the WSUS collector uploads):
   * it has nothing to pull, so it takes no sync schedule and the scheduler never runs it.
   */
  pushOnly?(config: C): boolean;
  /**
   * For a source that uploads instead of being read: how the core's `POST /ingest/:instanceId` route accepts an
   * upload for an instance of this kind. Without it the route refuses the kind (404 INGEST_NOT_SUPPORTED).
   */
  ingest?: IngestHook<C>;
  /** Demo mode's instances of this kind, built in the connector's folder (see `DemoHook`). */
  demo?: DemoHook<C>;
}

/**
 * What a push connector tells the ingest route. The route does everything else, the same for every kind:
 * authentication by the instance's own ingest key (never an API key), rate limits, the upload's size, gzip and JSON
 * limits, the clock-skew and watermark checks, and the run through the sync engine with the upload as
 * `context.payload`.
 */
export interface IngestHook<C extends object = object> {
  /**
   * Media types the upload may declare (`Content-Type`, parameters ignored). An upload declaring another is refused
   * with 415; one declaring none is read as JSON. The body is JSON, gzip-compressed or not.
   */
  contentTypes: readonly string[];
  /** How the route names the sender in messages and in the run's `triggeredBy`, e.g. "WSUS collector". */
  sender: string;
  /** How it names an instance and its host in refusals: "this WSUS instance is disabled", "check the WSUS host's clock". */
  instanceNoun: string;
  host: string;
  /**
   * The instance's ingest key from its stored settings (decrypted, not yet validated), or undefined when this
   * instance takes no uploads (WSUS with source: sqlserver). A missing key answers like a wrong one.
   */
  ingestKey(settings: Partial<C>): string | undefined;
  /**
   * Optional: arrays of the upload the hook keeps in a form of its own while it is parsed, by their path from the
   * root (member names joined by dots: "$.rows.installations"). The route hands each element to its array's
   * collector as soon as the element is parsed (after the JSON limits, which are checked as for any upload) and
   * never keeps it, and `accept` finds what `finish()` returned in the array's place. For an upload whose bulk is one
   * long array of small rows: as JavaScript values they cost tens of bytes each, held through the check and the run.
   * A value at that path that is not an array is left as parsed. Collect only what `accept` checks as it would the
   * array: the collector must keep enough (say, the first element it will refuse, with its index) to refuse the
   * upload exactly as before. The route reads a collected array's flat rows (arrays or objects of integers, plain
   * strings, and in objects true, false and null) straight from the bytes, several times faster than the generic
   * tokenizer: a collector that keeps each element as parsed buys that speed alone.
   */
  collectArrays?: Readonly<Record<string, () => UploadArrayCollector>>;
  /**
   * Checks the parsed upload (already within the size and depth limits) and returns what the run gets as
   * `context.payload`, when the source generated it and which host sent it. Throw `UploadRejectedError(code, …)`
   * for an upload it will not read: the route answers 422 with that code. The connector checks the payload again in
   * its run: the engine never trusts its caller. A large upload's check may be asynchronous (in slices, with turns of
   * the event loop between them) so the server keeps answering meanwhile; the route awaits it either way.
   */
  accept(upload: unknown): AcceptedUpload | Promise<AcceptedUpload>;
}

/** Takes one array's elements as the route parses them (IngestHook.collectArrays). */
export interface UploadArrayCollector {
  /** One element, complete; `index` is its place in the array. */
  add(element: unknown, index: number): void;
  /**
   * Optional: true when `add` keeps no element it is handed, only what it reads from it (it copies an element it
   * keeps). The route may then hand every row that is a flat array in one array object, refilled for each row: an
   * allocation fewer a row, 365,000 in a 2,000-computer WSUS snapshot.
   */
  readonly borrowsRows?: boolean;
  /** What the parsed upload holds in the array's place once the array has closed. */
  finish(): unknown;
}

export interface AcceptedUpload {
  payload: unknown;
  /**
   * When the source took the snapshot. The route refuses one dated past the server's clock (plus the skew allowed)
   * and one older than the instance's device cursor, which a push connector sets to the ISO time of the snapshot it
   * applied: an older upload arriving late must not roll the graph back.
   */
  generatedAt: Date;
  /** The sending host's name, recorded in the run's `triggeredBy` ("WSUS collector on wsus01.contoso.example"). */
  sentFrom: string;
}

/** One demo client as demo mode describes it to a connector: its sites, and this tool's devices in the demo fleet. */
export interface DemoClient {
  name: string;
  domain: string;
  sites: readonly string[];
  /** The client's seed: the same client gives the same data on every load. */
  seed: number;
  /** This tool's rows of the client's demo fleet (a DeviceRecord's fields, as the demo builds them). */
  devices: ReadonlyArray<Record<string, unknown>>;
}

/**
 * How demo mode (`PATCHGRAPH_DEMO` on an empty database) shows this kind. Give one of the two:
 * - `tenantInstance`, for a source whose demo needs nothing running: each client's instance settings and, for a
 *   push source, the snapshot its first run applies (as an upload would);
 * - `startSimulation`, for a source read over HTTP: start the simulator(s) serving the demo clients' machines. They
 *   run as long as the server does; demo mode creates the instances the simulation names and syncs them.
 */
export interface DemoHook<C extends object = object> {
  tenantInstance?(client: DemoClient, now: Date): { settings: Partial<C>; payload?: unknown };
  /** `clients` are the demo clients that use this tool, each with this tool's devices. */
  startSimulation?(clients: readonly DemoClient[], now: Date): Promise<DemoSimulation<C>>;
}

/** A running demo simulation (see `DemoHook.startSimulation`). */
export interface DemoSimulation<C extends object = object> {
  /** The instances to create, in order: a client's own (`client` is its name) or one MSP-wide (`client` null). */
  instances: ReadonlyArray<DemoInstance<C>>;
  /**
   * The settings that point an existing demo instance at this simulation: after a restart the simulators come up on
   * new ports, and demo mode applies these to the instances it created before (`client` null: the MSP-wide one).
   * Undefined when the simulation serves no such instance.
   */
  endpointOf(client: string | null): Partial<C> | undefined;
  close(): Promise<void>;
}

export interface DemoInstance<C extends object = object> {
  client: string | null;
  settings: Partial<C>;
  /**
   * For an MSP-wide instance: after its first sync has listed the account's sites, demo mode maps these to clients
   * (and their sites) as an operator would, then syncs again. A vendor site left out stays unmapped.
   */
  siteMappings?: ReadonlyArray<DemoSiteMapping>;
}

/** One vendor site of an MSP-wide demo instance, mapped to a demo client (and one of its sites, or none). */
export interface DemoSiteMapping {
  vendorSite: string;
  client: string;
  site: string | null;
}

export interface ConnectorCapabilities {
  /**
   * The source can read "changed since" a cursor: its device stream calls `setCursor` on every full read, and
   * reads only what changed since that cursor when `request.mode` is 'incremental'.
   */
  incremental?: boolean;
}

/** Whether the engine may ask this connector for an incremental read. */
export function readsIncrementally(definition: Pick<ConnectorDefinition<any>, 'capabilities'>): boolean {
  return definition.capabilities?.incremental === true;
}
