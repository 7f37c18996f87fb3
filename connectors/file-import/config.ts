import { Setting } from '../sdk/config';
import { given, httpUrlProblem, OptionalWholeNumber, Rule as ConfigRule } from '../sdk/config-rules';
import { urlHostProblem } from './address-guard';
import { importPathProblem } from './import-dir';
import { fileImportPolicy } from './policy';

const Rule = (check: (value: unknown, config: FileImportConfig) => string | undefined) => ConfigRule<FileImportConfig>(check);


/** An http(s) URL whose host, if it is an address or localhost, is one the operator lets feeds reach. */
function httpUrl(value: unknown): string | undefined {
  return given(value) ? (httpUrlProblem(value) ?? urlHostProblem(value as string, fileImportPolicy().addresses)) : undefined;
}

export const PAGE_SIZE = { min: 1, max: 5000, default: 500 } as const;

export class FileImportConfig {
  @Setting({
    description:
      'A local inventory in the server\'s import directory (PATCHGRAPH_IMPORT_DIR; relative paths start there): a .json file, or a directory holding devices.csv, updates.csv and patch-states.csv. Give this or url.',
    optional: true,
  })
  @Rule((value, c) => {
    if (given(value) && given(c.url)) return 'give either path or url, not both';
    if (!given(value) && !given(c.url)) return 'is required unless url is given';
    if (!given(value)) return undefined;
    return typeof value === 'string' ? importPathProblem(value, fileImportPolicy().importDir) : undefined;
  })
  path?: string;

  @Setting({ description: 'Base URL of an inventory feed (GET {url}/devices, /updates, /patch-states). Give this or path.', optional: true })
  @Rule(httpUrl)
  url?: string;

  @Setting({ description: "The feed's OAuth2 token endpoint (client-credentials grant); leave empty for a feed without sign-in.", optional: true })
  @Rule((value, c) => {
    if (!given(value)) return given(c.clientId) || given(c.clientSecret) ? 'is required when clientId or clientSecret is given' : undefined;
    if (!given(c.url)) return 'applies only to a feed: give url as well';
    return httpUrl(value);
  })
  tokenUrl?: string;

  @Setting({ description: 'OAuth2 client id for the feed; required with tokenUrl.', optional: true })
  @Rule((value, c) => (!given(value) && given(c.tokenUrl) ? 'is required when tokenUrl is given' : undefined))
  clientId?: string;

  @Setting({ description: 'OAuth2 client secret for the feed; required with tokenUrl.', secret: true, optional: true })
  @Rule((value, c) => (!given(value) && given(c.tokenUrl) ? 'is required when tokenUrl is given' : undefined))
  clientSecret?: string;

  @Setting({ description: `Records per page asked of the feed, ${PAGE_SIZE.min} to ${PAGE_SIZE.max} (default ${PAGE_SIZE.default}).`, optional: true })
  @OptionalWholeNumber(PAGE_SIZE)
  pageSize?: number = PAGE_SIZE.default;
}
