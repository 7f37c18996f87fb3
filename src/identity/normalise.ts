/**
 * Pure normalisers for the identifiers identity resolution compares across Intune, Datto RMM and WSUS.
 * Every function returns the canonical form, or null when the value must never be used to match
 * (missing, malformed, or a placeholder that many unrelated machines share).
 */
import { compactMac } from '../../connectors/sdk/mac';

type Raw = string | null | undefined;

/**
 * Placeholder serials that firmware vendors, white-box builders and hypervisors leave in SMBIOS.
 * Stored in normalised form (upper-case, no whitespace) so they compare against normaliseSerial's output.
 */
const JUNK_SERIALS: ReadonlySet<string> = new Set([
  'TOBEFILLEDBYO.E.M.',
  'TOBEFILLEDBYO.E.M',
  'SYSTEMSERIALNUMBER',
  'CHASSISSERIALNUMBER',
  'DEFAULTSTRING',
  'DEFAULT',
  'NONE',
  'N/A',
  'NOTSPECIFIED',
  'NOTAPPLICABLE',
  'UNKNOWN',
  'INVALID',
  '0',
  '123456789',
  '1234567890',
]);

/** Serials shorter than this are too likely to collide to identify a machine. */
const MIN_SERIAL_LENGTH = 4;

/**
 * Serial number: trimmed, inner whitespace removed, upper-case.
 * Null for placeholders (see JUNK_SERIALS), for strings made of one repeated character ("0000000000",
 * "XXXXXXX") and for anything shorter than 4 characters.
 */
export function normaliseSerial(s: Raw): string | null {
  if (typeof s !== 'string') return null;
  const v = s.replace(/\s+/g, '').toUpperCase();
  if (v.length < MIN_SERIAL_LENGTH) return null;
  if (JUNK_SERIALS.has(v)) return null;
  if (/^(.)\1*$/u.test(v)) return null;
  return v;
}

/**
 * OUIs of virtual network adapters. These never identify a machine:
 * - Hyper-V (00:15:5D) hands out dynamic MACs from a per-host pool, so VMs on different hosts (and the
 *   "vEthernet" switch adapters of physical hosts running Hyper-V, WSL or Docker) reuse the same values;
 * - VMware (00:50:56, 00:0C:29, 00:05:69, 00:1C:14), VirtualBox (08:00:27), Parallels (00:1C:42) and
 *   Xen (00:16:3E) addresses are copied by clones and templates, and host-only adapters look alike.
 * Matching on them would merge unrelated machines, so they are dropped before matching.
 */
const VIRTUAL_OUIS: ReadonlySet<string> = new Set([
  '00155D', // Microsoft Hyper-V
  '005056', // VMware (static / vCenter)
  '000C29', // VMware Workstation / ESXi generated
  '000569', // VMware (legacy)
  '001C14', // VMware
  '080027', // Oracle VirtualBox
  '001C42', // Parallels
  '00163E', // Xen
]);

/**
 * MAC address: 12 upper-case hex digits without separators. Accepts "A4:C3:F0:12:34:56",
 * "a4-c3-f0-12-34-56", "a4c3.f012.3456" and "a4c3f0123456".
 * Null for malformed input, the all-zero address, group (multicast/broadcast) addresses, locally
 * administered addresses (second-lowest bit of the first octet set: Windows/iOS/Android randomised
 * Wi-Fi MACs, VPN and virtual adapters, e.g. "DA:…", "02:…") and the virtual OUIs above.
 */
export function normaliseMac(m: Raw): string | null {
  const v = compactMac(m);
  if (!v || /^0+$/.test(v)) return null;
  const firstOctet = parseInt(v.slice(0, 2), 16);
  if (firstOctet & 0x01) return null; // group address, includes broadcast FF:FF:FF:FF:FF:FF
  if (firstOctet & 0x02) return null; // locally administered / randomised
  if (VIRTUAL_OUIS.has(v.slice(0, 6))) return null;
  return v;
}

/** Names that machines report before they are named, or that every machine shares. */
const JUNK_HOSTNAMES: ReadonlySet<string> = new Set(['LOCALHOST', 'UNKNOWN', 'NONE', 'DEFAULT', 'N/A']);

/**
 * Hostname: the first DNS label of a hostname or FQDN, trimmed and upper-case
 * ("fs01.corp.example.local" → "FS01"). Null for empty input, "localhost" (also "localhost.localdomain"),
 * other placeholders, and IP address literals (WSUS and RMM agents sometimes report an IP as the name).
 * Auto-generated Windows names such as "DESKTOP-4F7K2QZ" are kept: their random suffix makes them usable.
 */
export function normaliseHostname(h: Raw): string | null {
  if (typeof h !== 'string') return null;
  const trimmed = h.trim();
  if (trimmed === '') return null;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(trimmed) || trimmed.includes(':')) return null;
  const label = trimmed.split('.')[0].trim().toUpperCase();
  if (label === '' || JUNK_HOSTNAMES.has(label)) return null;
  return label;
}

/**
 * Microsoft Entra (Azure AD) device id: a lower-case GUID ("{…}" braces accepted and stripped).
 * Null for anything that is not a GUID and for the all-zero GUID, which Intune reports for devices
 * that are not Entra-joined or registered.
 */
export function normaliseAzureAdId(id: Raw): string | null {
  if (typeof id !== 'string') return null;
  let v = id.trim().toLowerCase();
  if (v.startsWith('{') && v.endsWith('}')) v = v.slice(1, -1);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return null;
  if (/^[0-]+$/.test(v)) return null;
  return v;
}

/**
 * UUIDs firmware leaves unset or fills with a board template: AMI's sample value ships on many white-box boards, so
 * every machine built on them reports it.
 */
const JUNK_SMBIOS_UUIDS: ReadonlySet<string> = new Set(['03000200-0400-0500-0006-000700080009']);

/**
 * SMBIOS system UUID: a lower-case GUID ("{…}" braces and a missing hyphenation accepted). Null for anything that is
 * not a GUID, for one hex digit repeated (all-zero and all-F are how firmware says "not set") and for known board
 * templates. Clones of one image or VM template carry the same UUID too; the caller voids those (shared-serials.ts).
 */
export function normaliseSmbiosUuid(id: Raw): string | null {
  if (typeof id !== 'string') return null;
  let v = id.trim().toLowerCase();
  if (v.startsWith('{') && v.endsWith('}')) v = v.slice(1, -1);
  if (/^[0-9a-f]{32}$/.test(v)) v = `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return null;
  if (/^(.)\1*$/u.test(v.replace(/-/g, ''))) return null;
  if (JUNK_SMBIOS_UUIDS.has(v)) return null;
  return v;
}
