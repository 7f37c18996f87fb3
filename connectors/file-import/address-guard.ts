/**
 * Keeps an inventory feed (`url`, `tokenUrl`) off the server's own networks: loopback, private, link-local,
 * unique-local, CGNAT, multicast, unspecified and reserved addresses are refused unless the operator allows them.
 * Otherwise an admin could point an instance at a cloud metadata service (169.254.169.254) or an internal host and
 * read the answer back through sync errors and test results.
 *
 * Host names are checked when they are resolved, right before connecting, and the connection goes to the address
 * that was checked: a name that resolves to a public address for the check and to 10.0.0.5 a moment later (DNS
 * rebinding) never gets a second lookup. Each redirect is a new connection, so it is checked the same way.
 */
import { lookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';
import { ConfigError } from '../sdk/errors';

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** The system's resolver (getaddrinfo, so /etc/hosts counts), every address it gives. */
export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

interface Range {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  name: string;
}

const INTERNAL_RANGES: Range[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', name: 'an unspecified address' },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', name: 'a private address' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', name: 'a carrier-grade NAT address' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', name: 'a loopback address' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', name: 'a link-local address' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', name: 'a private address' },
  { network: '192.0.0.0', prefix: 24, family: 'ipv4', name: 'a reserved address' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', name: 'a private address' },
  { network: '198.18.0.0', prefix: 15, family: 'ipv4', name: 'a reserved address' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', name: 'a multicast address' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', name: 'a reserved address' },
  { network: '::', prefix: 128, family: 'ipv6', name: 'an unspecified address' },
  { network: '::1', prefix: 128, family: 'ipv6', name: 'a loopback address' },
  { network: '100::', prefix: 64, family: 'ipv6', name: 'a reserved address' },
  { network: 'fc00::', prefix: 7, family: 'ipv6', name: 'a unique-local address' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', name: 'a link-local address' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', name: 'a site-local address' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', name: 'a multicast address' },
];

const RANGES = INTERNAL_RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { ...range, list };
});

/**
 * The IPv4 address an IPv6 address carries and routes to: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
 * NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::). ::ffff:127.0.0.1 reaches 127.0.0.1, so it is judged as that.
 */
export function embeddedIPv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && (words[5] === 0xffff || words[5] === 0) && !(words[5] === 0 && words[6] === 0)) return v4(words[6], words[7]);
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return v4(words[6], words[7]);
  if (words[0] === 0x2002) return v4(words[1], words[2]);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address, or undefined if it is not one. */
function ipv6Words(address: string): number[] | undefined {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(text) !== 6) return undefined;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const words = tail === undefined ? front : [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  return words.length === 8 ? words : undefined;
}

/** What kind of internal address `address` is ("a loopback address"), or undefined for a public one. */
export function internalAddressKind(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  const v4 = family === 6 ? embeddedIPv4(bare) : bare;
  if (v4 !== undefined && family === 6) {
    const inner = internalAddressKind(v4);
    if (inner) return inner;
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return RANGES.find((range) => range.family === type && range.list.check(bare, type))?.name;
}

/** The internal addresses the operator allows: all of them, some host names, or some networks. */
export interface AddressAllowance {
  any: boolean;
  hosts: ReadonlySet<string>;
  networks: BlockList;
  /** The entries as given, for messages. */
  entries: readonly string[];
}

export function noPrivateAddresses(): AddressAllowance {
  return { any: false, hosts: new Set(), networks: new BlockList(), entries: [] };
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;

/**
 * Reads an allow-list: host names (matched exactly, case-insensitive), addresses and CIDR networks, e.g.
 * ["inventory.corp.example", "10.20.0.0/16", "fd00::/8"]. Throws an Error naming the first bad entry.
 */
export function parseAllowance(entries: readonly string[], any = false): AddressAllowance {
  const allowance: AddressAllowance & { hosts: Set<string> } = { any, hosts: new Set(), networks: new BlockList(), entries: [...entries] };
  for (const raw of entries) {
    const entry = raw.trim();
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    const address = (cidr ? cidr[1] : entry).replace(/^\[|\]$/g, '');
    const family = isIP(address);
    if (family !== 0) {
      const prefix = cidr ? Number(cidr[2]) : family === 4 ? 32 : 128;
      if (prefix > (family === 4 ? 32 : 128)) throw new Error(`"${entry}" has a prefix longer than the address`);
      allowance.networks.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
      // An allowed IPv4 network covers its IPv4-mapped IPv6 form too: it is the same host.
      if (family === 4) allowance.networks.addSubnet(`::ffff:${address}`, 96 + prefix, 'ipv6');
    } else if (!cidr && HOST_NAME.test(entry)) {
      allowance.hosts.add(entry.toLowerCase().replace(/\.$/, ''));
    } else {
      throw new Error(`"${entry}" is neither a host name, an IP address nor a CIDR network (e.g. 10.20.0.0/16)`);
    }
  }
  return allowance;
}

function allowed(allowance: AddressAllowance, hostname: string, address: string): boolean {
  if (allowance.any || allowance.hosts.has(hostname.toLowerCase().replace(/\.$/, ''))) return true;
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  return family !== 0 && allowance.networks.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export const HOW_TO_ALLOW = 'an operator can allow internal feeds with PATCHGRAPH_ALLOW_PRIVATE_URLS=true or PATCHGRAPH_PRIVATE_URL_ALLOW_LIST';

/**
 * Why `url` may not be used, judging only what it says (no DNS): an IP literal in any form the URL parser accepts
 * (decimal 2130706433 and hex 0x7f.1 become 127.0.0.1) or a localhost name. Undefined when fine or unknowable yet.
 */
export function urlHostProblem(url: string, allowance: AddressAllowance): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return undefined; // the URL rule itself reports an unparseable URL
  }
  const bare = hostname.replace(/^\[|\]$/g, '');
  const name = bare.toLowerCase().replace(/\.$/, '');
  // localhost is loopback by definition (RFC 6761), whatever a resolver says.
  const address = isIP(bare) ? bare : name === 'localhost' || name.endsWith('.localhost') ? '127.0.0.1' : undefined;
  if (address === undefined) return undefined;
  const kind = internalAddressKind(address);
  if (kind === undefined || allowed(allowance, name, address)) return undefined;
  return `points at ${hostname}, ${kind}; ${HOW_TO_ALLOW}`;
}

/**
 * Resolves `hostname` and returns its addresses if every one of them may be reached. One internal address among
 * public ones refuses the whole name: the connection could be made to any of them.
 */
export async function checkedAddresses(
  hostname: string,
  allowance: AddressAllowance,
  resolve: Resolver,
  field: string,
): Promise<Array<{ address: string; family: number }>> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(bare) ? [{ address: bare, family: isIP(bare) }] : await resolveOrFail(hostname, resolve, field);
  if (addresses.length === 0) throw new ConfigError(field, `${hostname} resolves to no address`);
  for (const { address } of addresses) {
    const kind = internalAddressKind(address);
    if (kind !== undefined && !allowed(allowance, bare, address)) {
      const shown = address === bare ? hostname : `${hostname}, which resolves to ${address},`;
      throw new ConfigError(field, `refusing to connect to ${shown} ${kind}; ${HOW_TO_ALLOW}`);
    }
  }
  return addresses;
}

async function resolveOrFail(hostname: string, resolve: Resolver, field: string): Promise<Array<{ address: string; family: number }>> {
  try {
    return await resolve(hostname);
  } catch (err) {
    throw new ConfigError(field, `${hostname} could not be resolved (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

export interface GuardedFetchOptions {
  allowance: AddressAllowance;
  resolve: Resolver;
  /** The setting named in refusals: "url" or "tokenUrl". */
  field: string;
  /** Redirects followed before giving up. Default 5. */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A fetch for HttpClient that connects only to checked addresses. Built on node:http because the global fetch
 * resolves names itself and cannot be handed a lookup. Redirects are followed here, each hop checked afresh;
 * credentials are dropped when a redirect leaves the origin, as fetch does.
 */
export function guardedFetch(options: GuardedFetchOptions): typeof fetch {
  const maxRedirects = options.maxRedirects ?? 5;
  const guarded = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = bodyOf(init.body);
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      const problem = urlHostProblem(url.href, options.allowance);
      if (problem) throw new ConfigError(options.field, problem.replace(/^points at/, 'refusing to connect to'));
      const response = await send(url, method, headers, body, init.signal ?? undefined, options);
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location) return response;
      await response.body?.cancel().catch(() => undefined);
      if (hop >= maxRedirects) throw new ConfigError(options.field, `${url.origin} redirected more than ${maxRedirects} times`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new ConfigError(options.field, `${url.origin} redirected to a ${next.protocol} URL`);
      if (next.origin !== url.origin) {
        headers.delete('authorization');
        headers.delete('cookie');
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        headers.delete('content-type');
      }
      url = next;
    }
  };
  return guarded as typeof fetch;
}

function bodyOf(body: RequestInit['body']): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return Buffer.from(body);
  throw new TypeError('guardedFetch sends string, form and byte bodies only');
}

function send(url: URL, method: string, headers: Headers, body: string | Buffer | undefined, signal: AbortSignal | undefined, options: GuardedFetchOptions): Promise<Response> {
  const transport = url.protocol === 'https:' ? https : http;
  const outgoing: Record<string, string> = {};
  headers.forEach((value, key) => {
    outgoing[key] = value;
  });
  if (body !== undefined) outgoing['content-length'] = String(Buffer.byteLength(body));
  return new Promise<Response>((resolvePromise, reject) => {
    const request = transport.request(
      url,
      {
        method,
        headers: outgoing,
        signal,
        // A fresh connection per request: a pooled socket would skip the check for a name resolved earlier.
        agent: false,
        lookup: (hostname, lookupOptions, callback) => {
          checkedAddresses(hostname, options.allowance, options.resolve, options.field).then(
            (addresses) => {
              if ((lookupOptions as { all?: boolean }).all) (callback as unknown as (err: null, all: typeof addresses) => void)(null, addresses);
              else callback(null, addresses[0].address, addresses[0].family);
            },
            (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
          );
        },
      },
      (res) => {
        const responseHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const status = res.statusCode ?? 0;
        const noBody = status === 204 || status === 205 || status === 304 || method === 'HEAD';
        if (noBody) res.resume();
        const stream = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        try {
          resolvePromise(new Response(stream, { status, statusText: res.statusMessage, headers: responseHeaders }));
        } catch (err) {
          res.destroy();
          reject(err);
        }
      },
    );
    request.on('error', (err) => reject(refusalOf(err) ?? err));
    request.end(body);
  });
}

/** The lookup's refusal travels through the socket's error; hand it back as the typed error it was. */
function refusalOf(err: unknown): ConfigError | undefined {
  return err instanceof ConfigError ? err : undefined;
}
