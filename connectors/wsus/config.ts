import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../sdk/config';
import { given, OptionalWholeNumber, Rule, STALE_AFTER_DAYS } from '../sdk/config-rules';
import type { TargetGroupUse } from './mapping';

export { STALE_AFTER_DAYS };

export type WsusSource = 'collector' | 'sqlserver';
export const INGEST_KEY_MIN_LENGTH = 32;

const forSql = (value: unknown, c: WsusConfig, what: string): string | undefined =>
  c.source === 'sqlserver' && !given(value) ? `is required when source is sqlserver (${what})` : undefined;

/**
 * One instance reads one WSUS server. By default the server pushes: the collector on the WSUS host uploads a
 * snapshot with the instance's ingest key. Where SUSDB is on a full SQL Server reachable over TCP, patchgraph can
 * read the same views itself instead (source: sqlserver).
 */
export class WsusConfig {
  @Setting({ description: "'collector' (default): the WSUS host uploads snapshots; 'sqlserver': patchgraph reads SUSDB on a full SQL Server over TCP.", optional: true })
  @IsOptional()
  @IsIn(['collector', 'sqlserver'], { message: 'must be collector or sqlserver' })
  source?: WsusSource = 'collector';

  @Setting({
    description: `The key the collector sends (Authorization: Bearer …) to upload to this instance only; at least ${INGEST_KEY_MIN_LENGTH} characters, e.g. from openssl rand -base64 32.`,
    secret: true,
    optional: true,
  })
  @Rule<WsusConfig>((value, c) => {
    if ((c.source ?? 'collector') !== 'collector') return given(value) ? 'applies only when source is collector' : undefined;
    if (!given(value)) return 'is required when source is collector';
    return typeof value === 'string' && value.trim().length >= INGEST_KEY_MIN_LENGTH ? undefined : `must be at least ${INGEST_KEY_MIN_LENGTH} characters`;
  })
  ingestKey?: string;

  @Setting({ description: 'SQL Server host name holding SUSDB (source sqlserver). Windows Internal Database cannot be reached this way: use the collector.', optional: true })
  @Rule<WsusConfig>((value, c) => forSql(value, c, 'the SQL Server host'))
  sqlServer?: string;

  @Setting({ description: 'SQL Server TCP port (default 1433).', optional: true })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be a TCP port' })
  @Max(65535, { message: 'must be a TCP port' })
  sqlPort?: number = 1433;

  @Setting({ description: 'Database name (default SUSDB).', optional: true })
  @IsOptional()
  @IsString()
  sqlDatabase?: string = 'SUSDB';

  @Setting({ description: 'A SQL login in the SUSDB role PublicViewAccess (read-only views).', optional: true })
  @Rule<WsusConfig>((value, c) => forSql(value, c, 'a login in PublicViewAccess'))
  sqlUser?: string;

  @Setting({ description: "That login's password.", secret: true, optional: true })
  @Rule<WsusConfig>((value, c) => forSql(value, c, "the login's password"))
  sqlPassword?: string;

  @Setting({ description: 'Encrypt the SQL connection (default true).', optional: true })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  sqlEncrypt?: boolean = true;

  @Setting({ description: "'sites' (default): a computer's WSUS target group names its site; 'ignore': target groups are not used.", optional: true })
  @IsOptional()
  @IsIn(['sites', 'ignore'], { message: 'must be sites or ignore' })
  targetGroups?: TargetGroupUse = 'sites';

  @Setting({ description: `A computer that has not reported to WSUS for this many days is reported inactive (default ${STALE_AFTER_DAYS.default}).`, optional: true })
  @OptionalWholeNumber(STALE_AFTER_DAYS, 'days')
  staleAfterDays?: number = STALE_AFTER_DAYS.default;
}
