import { IsNotEmpty, IsString } from 'class-validator';
import { OptionalWholeNumber, SecureUrl, Setting, STALE_AFTER_DAYS } from '../sdk';

export class NinjaOneConfig {
  @Setting({
    description:
      'Your NinjaOne instance, e.g. https://app.ninjarmm.com (US), https://eu.ninjarmm.com, https://ca.ninjarmm.com or https://oc.ninjarmm.com.',
  })
  @SecureUrl()
  apiUrl!: string;

  @Setting({ description: 'Client id of a NinjaOne API application (Administration → Apps → API) using the client-credentials grant.' })
  @IsString()
  @IsNotEmpty()
  clientId!: string;

  @Setting({ description: 'Client secret of that API application.', secret: true })
  @IsString()
  @IsNotEmpty()
  clientSecret!: string;

  @Setting({
    description: `A device that has not contacted NinjaOne for this many days is reported inactive (default ${STALE_AFTER_DAYS.default}).`,
    optional: true,
  })
  @OptionalWholeNumber(STALE_AFTER_DAYS, 'days')
  staleAfterDays?: number = STALE_AFTER_DAYS.default;
}

/** The instance URL without a trailing slash: the token endpoint and /v2 both hang off it. */
export function instanceUrl(config: NinjaOneConfig): string {
  return config.apiUrl.replace(/\/+$/, '');
}
