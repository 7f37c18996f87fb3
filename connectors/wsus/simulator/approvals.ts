/**
 * Approvals as an administrator makes them: security and other monthly updates to the pilot group within hours of
 * arriving, to the other groups a day or two later (so this month's may sit in pilot only), each to the groups whose
 * computers it is for; Defender definitions by the auto-approval rule to All Computers; drivers left alone except a
 * pulled one (Uninstall) and one kept out of pilot (NotApproved); Edge kept off servers (NotApproved).
 */
import type { SimGroup } from './groups';
import { ALL_COMPUTERS_ID } from './ids';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import type { WsusApprovalRow } from './snapshot';
import { DAY, HOUR, MINUTE, susdbTime } from './susdb-time';
import type { SimUpdate } from './update';
import { releaseOf } from './windows';

export type ApprovalAction = 'Install' | 'Uninstall' | 'NotApproved';

export interface SimApproval {
  id: string;
  updateId: string;
  groupId: string;
  action: ApprovalAction;
  created: number;
  /** Null where the collector cannot read it. */
  admin: string | null;
}

/** What WSUS records as the approver of an automatic approval rule's approvals. */
const AUTO_APPROVER = 'WUS Server';

export function seedApprovals(r: SeededRandom, nowMs: number, updates: readonly SimUpdate[], groups: readonly SimGroup[], netbios: string): SimApproval[] {
  const approvals: SimApproval[] = [];
  const admin = () => r.weighted<string | null>([[`${netbios}\\wsus-admin`, 70], [`${netbios}\\a.khan-adm`, 10], [`${netbios}\\j.doe-adm`, 5], [null, 15]]);
  const add = (u: SimUpdate, groupId: string, action: ApprovalAction, created: number, by: string | null) => {
    if (created <= nowMs) approvals.push({ id: r.guid(), updateId: u.id, groupId, action, created, admin: by });
  };
  const pick = (kinds: readonly SimGroup['kind'][]) => kinds.map((k) => groups.find((g) => g.kind === k)).find(Boolean)?.id ?? ALL_COMPUTERS_ID;
  let drivers = 0;
  for (const u of updates) {
    if (u.declined) continue; // declining an update removes its approvals
    switch (u.kind) {
      case 'definition':
        add(u, ALL_COMPUTERS_ID, 'Install', u.arrival + r.between(1, 5) * MINUTE, AUTO_APPROVER);
        break;
      case 'driver': {
        const n = drivers++;
        if (n === 0) add(u, pick(['workstations', 'other', 'pilot']), 'Uninstall', u.arrival + r.between(3, 10) * DAY, admin());
        if (n === 1) add(u, pick(['pilot', 'workstations', 'other']), 'NotApproved', u.arrival + r.between(1, 3) * DAY, admin());
        break;
      }
      default: {
        const targets = groups.length > 0 ? groups.filter((g) => isFor(g, u)) : [{ id: ALL_COMPUTERS_ID, kind: 'other' as const }];
        for (const g of targets) {
          if (u.kind === 'edge' && g.kind === 'servers') add(u, g.id, 'NotApproved', u.arrival + r.between(1, 12) * HOUR, admin());
          else if (g.kind === 'pilot') add(u, g.id, 'Install', u.arrival + r.between(2, 8) * HOUR + r.int(HOUR), admin());
          // Now and then the administrator forgets a group.
          else if (!r.chance(0.04)) add(u, g.id, 'Install', u.arrival + r.between(1, 2) * DAY + r.int(6 * HOUR), admin());
        }
      }
    }
  }
  return approvals;
}

/** Whether `u` is one the administrator approves for `g`: a server group gets server updates and those for all. */
function isFor(g: SimGroup, u: SimUpdate): boolean {
  if (u.release === null || (g.kind !== 'servers' && g.kind !== 'workstations')) return true;
  return releaseOf(u.release).role === (g.kind === 'servers' ? 'server' : 'workstation');
}

export function approvalRow(a: SimApproval): WsusApprovalRow {
  return {
    UpdateApprovalId: a.id,
    UpdateId: a.updateId,
    ComputerTargetGroupId: a.groupId,
    Action: a.action,
    CreationDate: susdbTime(a.created),
    AdministratorName: a.admin,
  };
}
