/** Datto RMM's Account (`/v2/account`): the MSP's own account, with its device counts. */
import type { DattoDevice } from './device';

export interface DattoAccount {
  id: number;
  name: string;
  /** `bilingEmail` is Datto's spelling, not a typo here. */
  descriptor: { bilingEmail: string; deviceLimit: number; timeZone: string };
  uid: string;
  currency: string;
  devicesStatus: {
    numberOfDevices: number;
    numberOfOnlineDevices: number;
    numberOfOfflineDevices: number;
    numberOfOnDemandDevices: number;
    numberOfManagedDevices: number;
  };
}

export const ACCOUNT_NAME = 'Contoso MSP';

/** The account's answer now; deleted devices no longer count against it. */
export function accountView(id: number, uid: string, devices: readonly DattoDevice[]): DattoAccount {
  const live = devices.filter((d) => !d.deleted);
  const online = live.filter((d) => d.online).length;
  return {
    id,
    name: ACCOUNT_NAME,
    descriptor: { bilingEmail: 'accounts@contoso-msp.example', deviceLimit: 500, timeZone: 'Europe/London' },
    uid,
    currency: 'GBP',
    devicesStatus: {
      numberOfDevices: live.length,
      numberOfOnlineDevices: online,
      numberOfOfflineDevices: live.length - online,
      numberOfOnDemandDevices: 0,
      numberOfManagedDevices: live.filter((d) => d.deviceClass === 'device').length,
    },
  };
}
