/**
 * Whether a WSUS approval reaches a change's targets. WSUS approves an update for a computer group, and a computer
 * takes the approvals of the groups it is in. patchgraph keeps, for each WSUS computer, the custom group it is an
 * explicit member of (the source device's `targetGroup` attribute); "All Computers" holds every computer of the WSUS
 * server and "Unassigned Computers" those in no custom group. An approval stands behind a change when its group,
 * on the same WSUS server (connector instance), holds one of the change's target machines. Approvals a group gets
 * from a parent group, and memberships beyond the one kept, are not followed.
 */
export interface TargetDevice {
  connectorInstanceId: string;
  /** The custom WSUS group the computer is an explicit member of; null when none. */
  group: string | null;
}

const norm = (name: string) => name.trim().toLowerCase();

export function approvalReaches(approval: { connectorInstanceId: string; groupName: string }, targets: readonly TargetDevice[]): boolean {
  const group = norm(approval.groupName);
  return targets.some((t) => t.connectorInstanceId === approval.connectorInstanceId && (
    group === 'all computers' || (t.group === null ? group === 'unassigned computers' : norm(t.group) === group)
  ));
}
