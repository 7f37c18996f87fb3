/**
 * An audit event's data as a role may read it. The trail is the auditor's, so who did what stays in full; but a
 * connector's settings (accounts, URLs, server paths) are operational detail that roles without the
 * `ConnectorInstance.settings` grant see as {} on the instance itself, and the trail must not hand them out
 * instead. Their names stay, their values are replaced. The chain's hashes cover the stored data, so
 * verifyAuditChain (which reads the stored rows) is unaffected.
 */
import { roleMay } from '../auth/permissions';
import { Role } from '../entities/enums';

export const REDACTED = '[redacted: connector settings are operational detail]';

/** Actions whose data carries a connector's settings, and where. */
const SETTINGS_IN: Record<string, string> = { 'connector.create': 'settings' };

export function auditDataFor(role: Role, action: string, data: string): string {
  const key = SETTINGS_IN[action];
  if (!key || roleMay(role, 'ConnectorInstance.settings')) return data;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data);
  } catch {
    return data;
  }
  const settings = parsed[key];
  if (!settings || typeof settings !== 'object') return data;
  return JSON.stringify({ ...parsed, [key]: Object.fromEntries(Object.keys(settings).map((name) => [name, REDACTED])) });
}
