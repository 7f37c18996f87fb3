import { IsString, Matches } from 'class-validator';
import { Setting } from '../sdk/config';
import { OptionalWholeNumber, SecureUrl, STALE_AFTER_DAYS } from '../sdk/config-rules';

export { STALE_AFTER_DAYS };

export const PAGE_SIZE = { min: 1, max: 250, default: 250 } as const;
/** Datto allows 600 reads per rolling minute per account and slows answers above 90 %; stay below that. */
export const READS_PER_MINUTE = { min: 10, max: 600, default: 500 } as const;
export const BACKOFF_SECONDS = { min: 1, max: 900, default: 120 } as const;

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
  @OptionalWholeNumber(PAGE_SIZE)
  pageSize?: number = PAGE_SIZE.default;

  @Setting({
    description: `Reads per rolling minute patchgraph allows itself on this account, shared by every instance using the same API key (default ${READS_PER_MINUTE.default}; Datto's limit is 600 per account, and other integrations share it).`,
    optional: true,
  })
  @OptionalWholeNumber(READS_PER_MINUTE)
  readsPerMinute?: number = READS_PER_MINUTE.default;

  @Setting({
    description: `Seconds to wait after Datto answers 429 (too many requests) before trying again (default ${BACKOFF_SECONDS.default}): pressing on risks a temporary IP block.`,
    optional: true,
  })
  @OptionalWholeNumber(BACKOFF_SECONDS, 'seconds')
  backoffOn429Seconds?: number = BACKOFF_SECONDS.default;

  @Setting({
    description: `A device Datto has not seen for this many days is reported inactive: its posture is out of date (default ${STALE_AFTER_DAYS.default}).`,
    optional: true,
  })
  @OptionalWholeNumber(STALE_AFTER_DAYS, 'days')
  staleAfterDays?: number = STALE_AFTER_DAYS.default;
}
