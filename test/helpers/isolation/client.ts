/**
 * Sends the probes: the server's own size checks decide, before sending, whether a generated document fits (the
 * token, alias and directive counts the server applies), and a selection that does not fit is split until it does.
 * A refusal by a limit after all (depth or cost, QUERY_TOO_*) splits again.
 */
import { request } from 'node:http';
import { Config } from '../../../src/config/config';
import { checkDocumentSize } from '../../../src/graphql/limits';
import { GraphQLResponse } from '../server';
import { FieldSelection, printOperation, Selection, splitSelection } from './selection';

export type Gql = (query: string, variables: Record<string, unknown> | undefined, key: string) => Promise<GraphQLResponse>;

/**
 * POSTs a GraphQL request on a connection of its own. The probes share one event loop with the server, and a busy
 * stretch outlasts the server's keep-alive timeout: a pooled connection would then be closed under the next
 * request, which would fail without ever reaching the server.
 */
export function gqlOver(baseUrl: string): Gql {
  return (query, variables, key) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ query, variables });
    const req = request(`${baseUrl}/graphql`, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}`, connection: 'close' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        try {
          resolve({ status: res.statusCode ?? 0, headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(new Error(`HTTP ${res.statusCode}: not JSON: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const LIMIT_CODES = new Set(['QUERY_TOO_COMPLEX', 'QUERY_TOO_DEEP', 'QUERY_TOO_LARGE', 'QUERY_TOO_MANY_ALIASES', 'QUERY_TOO_MANY_DIRECTIVES']);

export const codesOf = (res: GraphQLResponse): string[] => (res.body.errors ?? []).map((e) => String(e.extensions?.code ?? 'NO_CODE'));
export const isLimitRefusal = (res: GraphQLResponse) => codesOf(res).some((c) => LIMIT_CODES.has(c));

/**
 * Why the document would be refused by the server's size limits (tokens, aliases, directives), or null. Depth and cost
 * are left to the server: checking them here too parsed, validated and costed every probe twice, a fifth of the
 * walk's time, and send() splits a selection the server refuses for either.
 */
export function limitProblem(config: Config, document: string): string | null {
  const size = checkDocumentSize(document, { maxTokens: config.maxQueryTokens, maxAliases: config.maxQueryAliases, maxDirectives: config.maxQueryDirectives });
  return size ? String(size.extensions.code) : null;
}

export interface Piece {
  document: string;
  selection: FieldSelection;
}

/**
 * The root selection as documents that fit the limits. `unfit` receives the parts that cannot be made to fit
 * (a single path over a limit): the walk reports them instead of skipping them.
 */
export function fitPieces(config: Config, kind: 'query' | 'mutation', root: FieldSelection, unfit: (s: FieldSelection, why: string) => void): Piece[] {
  const document = printOperation(kind, [root]);
  const problem = limitProblem(config, document);
  if (!problem) return [{ document, selection: root }];
  const halves = splitSelection(root) as [FieldSelection, FieldSelection] | null;
  if (!halves) {
    unfit(root, problem);
    return [];
  }
  return halves.flatMap((h) => fitPieces(config, kind, h, unfit));
}

/** Runs tasks with at most `width` at a time. */
export async function pool<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]);
    }
  }));
  return out;
}

export type { Selection };
