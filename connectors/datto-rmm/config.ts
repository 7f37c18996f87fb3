import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Setting } from '../sdk/config';
import { SecureUrl } from '../sdk/config-rules';

export const PAGE_SIZE = { min: 1, max: 250, default: 250 } as const;
/** Datto allows 600 reads per rolling minute per account and slows answers above 90 %; stay below that. */
export const READS_PER_MINUTE = { min: 10, max: 600, default: 500 } as const;
export const BACKOFF_SECONDS = { min: 1, max: 900, default: 120 } as const;
export const STALE_AFTER_DAYS = { min: 1, max: 365, default: 30 } as const;

/**
 * One instance reads one Datto RMM account. Usually it is MSP-wide (created without a tenant): the account's sites
 * are the MSP's clients, mapped to tenants with mapVendorSite.
 */
export class DattoRmmConfig {
  @Setting({
    description: "The account's API URL, by platform: https://{pinotage|merlot|concord|vidal|zinfandel|syrah}-api.centrastage.net (shown with the API keys in Datto RMM).",
  })
  @IsString({ message: 'is required' })
  @SecureUrl()
  apiUrl!: string;

  @Setting({ description: "The API key of the Datto RMM user patchgraph acts as (Setup → Users → the user → API Keys)." })
  @IsString({ message: 'is required' })
  @Matches(/^\S{6,}$/, { message: 'must be the API key, without spaces' })
  apiKey!: string;

  @Setting({ description: 'The secret key shown once when the API key was generated.', secret: true })
  @IsString({ message: 'is required' })
  @Matches(/\S/, { message: 'is required' })
  apiSecret!: string;

  @Setting({ description: `Devices per page (max), ${PAGE_SIZE.min} to ${PAGE_SIZE.max} (default ${PAGE_SIZE.default}).`, optional: true })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(PAGE_SIZE.min, { message: `must be at least ${PAGE_SIZE.min}` })
  @Max(PAGE_SIZE.max, { message: `must be at most ${PAGE_SIZE.max}` })
  pageSize?: number = PAGE_SIZE.default;

  @Setting({
    description: `Reads per rolling minute patchgraph allows itself on this account, shared by every instance using the same API key (default ${READS_PER_MINUTE.default}; Datto's limit is 600 per account, and other integrations share it).`,
    optional: true,
  })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(READS_PER_MINUTE.min, { message: `must be at least ${READS_PER_MINUTE.min}` })
  @Max(READS_PER_MINUTE.max, { message: `must be at most ${READS_PER_MINUTE.max}` })
  readsPerMinute?: number = READS_PER_MINUTE.default;

  @Setting({
    description: `Seconds to wait after Datto answers 429 (too many requests) before trying again (default ${BACKOFF_SECONDS.default}): pressing on risks a temporary IP block.`,
    optional: true,
  })
  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(BACKOFF_SECONDS.min, { message: `must be at least ${BACKOFF_SECONDS.min}` })
  @Max(BACKOFF_SECONDS.max, { message: `must be at most ${BACKOFF_SECONDS.max}` })
  backoffOn429Seconds?: number = BACKOFF_SECONDS.default;

  @Setting({
    description: `A device Datto has not seen for this many days is reported inactive: its posture is out of date (default ${STALE_AFTER_DAYS.default}).`,
    optional: true,
  })
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(STALE_AFTER_DAYS.min, { message: `must be at least ${STALE_AFTER_DAYS.min}` })
  @Max(STALE_AFTER_DAYS.max, { message: `must be at most ${STALE_AFTER_DAYS.max}` })
  staleAfterDays?: number = STALE_AFTER_DAYS.default;
}
