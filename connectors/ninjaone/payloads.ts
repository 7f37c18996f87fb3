/**
 * NinjaOne Public API v2 bodies, as far as this connector reads them. Every field is optional because the API
 * leaves out what it does not know; the mapping decides what a missing field means.
 */

export interface NinjaOrganization {
  id: number;
  name?: string;
}

export interface NinjaLocation {
  id: number;
  name?: string;
  organizationId?: number;
}

/** One element of GET /v2/devices-detailed. Times are epoch seconds, possibly fractional. */
export interface NinjaDevice {
  id: number;
  organizationId?: number;
  locationId?: number;
  nodeClass?: string;
  approvalStatus?: string;
  offline?: boolean;
  displayName?: string;
  systemName?: string;
  dnsName?: string;
  netbiosName?: string;
  created?: number;
  lastContact?: number;
  lastUpdate?: number;
  ipAddresses?: string[];
  macAddresses?: string[];
  os?: {
    manufacturer?: string;
    name?: string;
    architecture?: string;
    buildNumber?: string;
    releaseId?: string;
    needsReboot?: boolean;
  };
  system?: {
    name?: string;
    manufacturer?: string;
    model?: string;
    biosSerialNumber?: string;
    serialNumber?: string;
    domain?: string;
    virtualMachine?: boolean;
  };
}

/** The cursor of a /v2/queries/* report page: `name` asks for the next page until it `expires` (epoch seconds). */
export interface NinjaQueryCursor {
  name: string;
  offset?: number;
  count?: number;
  expires?: number;
}

export interface NinjaQueryPage<T> {
  cursor?: NinjaQueryCursor | null;
  results: T[];
}

/** One row of GET /v2/queries/os-patches: a patch not (yet) installed on a device, and why. */
export interface NinjaOsPatch {
  id?: string;
  deviceId: number;
  name?: string;
  kbNumber?: string | null;
  severity?: string;
  status?: string;
  type?: string;
  timestamp?: number;
}

/** One row of GET /v2/queries/os-patch-installs: an install attempt and its outcome. */
export interface NinjaOsPatchInstall extends NinjaOsPatch {
  installedAt?: number;
}
