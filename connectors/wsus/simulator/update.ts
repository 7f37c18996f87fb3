/**
 * An update as the simulated server holds it, and its vUpdate row. Only cumulative updates carry a fixed revision:
 * whether one is installed follows from the computer's build, as it does on a real machine.
 */
import type { WsusUpdateRow } from './snapshot';
import { susdbTime } from './susdb-time';

export type UpdateKind = 'cumulative' | 'servicing-stack' | 'dotnet' | 'definition' | 'edge' | 'msrt' | 'driver';

export interface SimUpdate {
  id: string;
  revision: number;
  title: string;
  kind: UpdateKind;
  /** Digits only; null for what Microsoft ships without a KB (Edge, drivers). */
  kb: string | null;
  /** The row writes "KB5043076" rather than "5043076": collectors differ. */
  kbPrefixed: boolean;
  severity: string | null;
  classification: string;
  products: string[];
  /** Microsoft's release (CreationDate) and this server's synchronisation of it (ArrivalDate). */
  created: number;
  arrival: number;
  declined: boolean;
  /** The row writes IsDeclined as 0/1 (sqlcmd, CSV exports) rather than false/true (Invoke-Sqlcmd + ConvertTo-Json). */
  bitAsInteger: boolean;
  /** The Windows release (build number) it is for; null when every Windows computer is offered it. */
  release: number | null;
  /** A cumulative update's revision of `release` ("4169" of 22631.4169): a computer at or past it has it. */
  fixedRevision: number | null;
  /** A driver's makes: only those computers are offered it. */
  makes: readonly string[] | null;
  /** Installing it asks for a restart, so a computer can sit at "installed, pending reboot". */
  restart: boolean;
}

export function updateRow(u: SimUpdate): WsusUpdateRow {
  return {
    UpdateId: u.id,
    RevisionNumber: u.revision,
    DefaultTitle: u.title,
    KnowledgebaseArticle: u.kb === null ? null : u.kbPrefixed ? `KB${u.kb}` : u.kb,
    // Microsoft stopped naming bulletins (MSyy-nnn) in 2017.
    SecurityBulletin: null,
    MsrcSeverity: u.severity,
    CreationDate: susdbTime(u.created),
    ArrivalDate: susdbTime(u.arrival),
    IsDeclined: u.bitAsInteger ? (u.declined ? 1 : 0) : u.declined,
    ClassificationTitle: u.classification,
    ProductTitles: u.products,
  };
}
