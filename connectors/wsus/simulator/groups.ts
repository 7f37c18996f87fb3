/**
 * Computer target groups as WSUS keeps them: the built-in "All Computers" at the root, "Unassigned Computers" and the
 * administrator's groups under it. A computer is an explicit member of one group and an implicit member of All
 * Computers, and vComputerGroupMembership lists both.
 */
import type { SimComputer } from './computer';
import { ALL_COMPUTERS, ALL_COMPUTERS_ID, nameGuid, UNASSIGNED_COMPUTERS, UNASSIGNED_COMPUTERS_ID } from './ids';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import type { WsusGroupMembershipRow, WsusTargetGroupRow } from './snapshot';
import type { Role } from './windows';

/** What a group is for, read from its name, so custom group names still get sensible members and approvals. */
export type GroupKind = 'pilot' | 'servers' | 'workstations' | 'other';

export interface SimGroup {
  id: string;
  name: string;
  kind: GroupKind;
}

export const DEFAULT_GROUPS: readonly string[] = ['Servers', 'Workstations', 'Pilot'];

function kindOf(name: string): GroupKind {
  if (/pilot|test|ring ?0|early|canary/i.test(name)) return 'pilot';
  if (/server|srv|infra|datacent/i.test(name)) return 'servers';
  if (/workstation|desktop|laptop|client|\bpcs?\b|user/i.test(name)) return 'workstations';
  return 'other';
}

const isBuiltIn = (name: string) => [ALL_COMPUTERS, UNASSIGNED_COMPUTERS].some((b) => b.toLowerCase() === name.trim().toLowerCase());

/** The administrator's groups; each server makes its own ids for them. */
export function customGroups(serverId: string, names: readonly string[]): SimGroup[] {
  const seen = new Set<string>();
  const groups: SimGroup[] = [];
  for (const name of names) {
    if (isBuiltIn(name) || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    groups.push({ id: nameGuid(`wsus-group:${serverId}:${name}`), name, kind: kindOf(name) });
  }
  return groups;
}

export type Placement = 'own' | 'pilot' | 'unassigned';

/** The group a seeded computer joins: its role's group mostly, a pilot group for some, none for a few new ones. */
export function groupFor(r: SeededRandom, role: Role, groups: readonly SimGroup[], placement?: Placement): string {
  const chosen = placement ?? r.weighted<Placement>([['own', role === 'server' ? 91 : 87], ['pilot', role === 'server' ? 6 : 10], ['unassigned', 3]]);
  if (chosen === 'unassigned' || groups.length === 0) return UNASSIGNED_COMPUTERS;
  const pilots = groups.filter((g) => g.kind === 'pilot');
  if (chosen === 'pilot' && pilots.length > 0) return r.pick(pilots).name;
  const own = groups.filter((g) => g.kind === (role === 'server' ? 'servers' : 'workstations'));
  const others = groups.filter((g) => g.kind === 'other');
  return r.pick(own.length > 0 ? own : others.length > 0 ? others : groups).name;
}

export function groupRows(groups: readonly SimGroup[]): WsusTargetGroupRow[] {
  return [
    { ComputerTargetGroupId: ALL_COMPUTERS_ID, ParentTargetGroupId: null, Name: ALL_COMPUTERS },
    { ComputerTargetGroupId: UNASSIGNED_COMPUTERS_ID, ParentTargetGroupId: ALL_COMPUTERS_ID, Name: UNASSIGNED_COMPUTERS },
    ...groups.map((g) => ({ ComputerTargetGroupId: g.id, ParentTargetGroupId: ALL_COMPUTERS_ID, Name: g.name })),
  ];
}

export function membershipRows(computers: readonly SimComputer[], groups: readonly SimGroup[]): WsusGroupMembershipRow[] {
  const idOf = new Map(groups.map((g) => [g.name, g.id]));
  return computers.flatMap((c) => [
    { ComputerTargetId: c.id, ComputerTargetGroupId: idOf.get(c.group) ?? UNASSIGNED_COMPUTERS_ID, IsExplicitMember: true },
    { ComputerTargetId: c.id, ComputerTargetGroupId: ALL_COMPUTERS_ID, IsExplicitMember: false },
  ]);
}
