/**
 * Datto RMM's Site (`/v2/account/sites`), and the naming the seeded fleet derives from a site's name. Every account
 * also has Datto's own "Deleted Devices" site, where a deleted device goes instead of disappearing.
 */
import { PORTAL } from './device';

export const DELETED_DEVICES_SITE = 'Deleted Devices';

export interface DevicesStatus {
  numberOfDevices: number;
  numberOfOnlineDevices: number;
  numberOfOfflineDevices: number;
}

/** Only the response side is modelled; no seeded site has a proxy, and Datto then sends null. */
export interface ProxySettings {
  host: string;
  port: number;
  type: 'http' | 'socks4' | 'socks5';
  username: string | null;
  password: string | null;
}

export interface DattoSite {
  id: number;
  uid: string;
  accountUid: string;
  name: string;
  description: string | null;
  notes: string | null;
  onDemand: boolean;
  splashtopAutoInstall: boolean;
  proxySettings: ProxySettings | null;
  /** Counted from the devices the site holds whenever it is served. */
  devicesStatus: DevicesStatus;
  autotaskCompanyName: string | null;
  autotaskCompanyId: string | null;
  portalUrl: string;
}

export const sitePortalUrl = (id: number): string => `${PORTAL}/csm/profile/summary/${id}`;

export function buildDattoSite(fields: Partial<DattoSite> & Pick<DattoSite, 'id' | 'uid' | 'accountUid' | 'name'>): DattoSite {
  const defaults: DattoSite = {
    id: fields.id,
    uid: fields.uid,
    accountUid: fields.accountUid,
    name: fields.name,
    description: null,
    notes: null,
    onDemand: false,
    splashtopAutoInstall: false,
    proxySettings: null,
    devicesStatus: { numberOfDevices: 0, numberOfOnlineDevices: 0, numberOfOfflineDevices: 0 },
    autotaskCompanyName: null,
    autotaskCompanyId: null,
    portalUrl: sitePortalUrl(fields.id),
  };
  return { ...defaults, ...fields };
}

/**
 * The short code an MSP puts in front of a client's host names and uses as its NetBIOS domain: the initials of a
 * name of three words or more ("Contoso Academy Trust" → CAT), else the first three letters ("Fabrikam
 * Logistics" → FAB); a digit is added when another site already has it.
 */
export function sitePrefix(name: string, taken: ReadonlySet<string>): string {
  const words = name.toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
  const base = (words.length >= 3 ? words.map((w) => w[0]).join('') : (words[0] ?? 'SITE').slice(0, 3)).slice(0, 4) || 'SITE';
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}${n}`)) return `${base}${n}`;
}
