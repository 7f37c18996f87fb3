/**
 * Downloads the public feeds from their official addresses, for `patchgraph intel fetch`. Optional: patchgraph never
 * needs the network (the repository ships a dated baseline, and `intel import` takes files downloaded any way). Each
 * address can be replaced by an environment variable, for a mirror or an offline proxy.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { INTEL_LIMITS } from './intel-error';

export const OFFICIAL_URLS = {
  kev: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  epss: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
  msrc: 'https://api.msrc.microsoft.com/cvrf/v3.0/cvrf',
  cve: 'https://cveawg.mitre.org/api/cve',
} as const;

const ENV = { kev: 'PATCHGRAPH_INTEL_KEV_URL', epss: 'PATCHGRAPH_INTEL_EPSS_URL', msrc: 'PATCHGRAPH_INTEL_MSRC_URL', cve: 'PATCHGRAPH_INTEL_CVE_URL' } as const;

/** A feed to fetch: `kev`, `epss`, `msrc:2024-Aug` (one month's CVRF document) or `cve:CVE-2024-38178` (one record). */
export interface FeedRequest {
  feed: keyof typeof OFFICIAL_URLS;
  url: string;
  fileName: string;
  accept: string;
}

export class FetchRequestError extends Error {}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses one feed argument, refusing anything else with a message that says what is accepted. */
export function feedRequest(arg: string, env: NodeJS.ProcessEnv = process.env): FeedRequest {
  const base = (feed: keyof typeof OFFICIAL_URLS) => (env[ENV[feed]] || OFFICIAL_URLS[feed]).replace(/\/+$/, '');
  if (arg === 'kev') return { feed: 'kev', url: base('kev'), fileName: 'known_exploited_vulnerabilities.json', accept: 'application/json' };
  if (arg === 'epss') return { feed: 'epss', url: base('epss'), fileName: 'epss_scores-current.csv.gz', accept: '*/*' };
  const month = /^msrc:(\d{4})-([A-Za-z]{3})$/.exec(arg);
  if (month && MONTHS.includes(month[2])) {
    const id = `${month[1]}-${month[2]}`;
    return { feed: 'msrc', url: `${base('msrc')}/${id}`, fileName: `msrc-cvrf-${id}.xml`, accept: 'application/xml' };
  }
  const cve = /^cve:(CVE-\d{4}-\d{4,})$/.exec(arg);
  if (cve) return { feed: 'cve', url: `${base('cve')}/${cve[1]}`, fileName: `${cve[1]}.json`, accept: 'application/json' };
  throw new FetchRequestError(`"${arg}" is not a feed: name kev, epss, msrc:<YYYY-Mon> (e.g. msrc:2024-Aug) or cve:<CVE id>`);
}

/**
 * Downloads one feed into `dir`, streamed to disk under the intel file size limit, within `timeoutMs`. Returns the
 * path and size. A non-200 answer, a timeout or an oversized body is an error naming the address; nothing partial
 * is left to import.
 */
export async function downloadFeed(request: FeedRequest, dir: string, options: { timeoutMs?: number; attempts?: number; backoffMs?: number } = {}): Promise<{ path: string; bytes: number }> {
  const { timeoutMs = 120_000, attempts = 3, backoffMs = 2_000 } = options;
  const path = join(dir, request.fileName);
  let res: Response | null = null;
  // A dropped connection, a 429 or a 5xx is worth another try after a pause; anything else is the answer.
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    try {
      res = await fetch(request.url, { headers: { accept: request.accept, 'user-agent': 'patchgraph intel fetch' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      if (res.status === 200 && res.body) break;
      await res.body?.cancel().catch(() => undefined);
      failure = `answered HTTP ${res.status}`;
      if (res.status !== 429 && res.status < 500) throw new FetchRequestError(`${request.url}: ${failure}`);
    } catch (err) {
      if (err instanceof FetchRequestError) throw err;
      const e = err as Error & { cause?: Error };
      failure = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.message ?? e.message);
    }
    if (attempt >= attempts) throw new FetchRequestError(`${request.url}: ${failure}${attempts > 1 ? ` (${attempts} attempts)` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, backoffMs * attempt));
  }
  if (!res?.body) throw new FetchRequestError(`${request.url}: no body`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > INTEL_LIMITS.fileBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new FetchRequestError(`${request.url}: ${declared} bytes; files over ${INTEL_LIMITS.fileBytes} bytes are not accepted`);
  }
  let bytes = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > INTEL_LIMITS.fileBytes) body.destroy(new FetchRequestError(`${request.url}: more than ${INTEL_LIMITS.fileBytes} bytes; not accepted`));
  });
  try {
    await pipeline(body, createWriteStream(path));
  } catch (err) {
    throw err instanceof FetchRequestError ? err : new FetchRequestError(`${request.url}: ${(err as Error).message}`);
  }
  return { path, bytes };
}
