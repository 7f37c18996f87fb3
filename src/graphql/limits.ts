import { ApolloServerPlugin } from '@apollo/server';
import { RequestHandler } from 'express';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  DocumentNode, GraphQLError, GraphQLSchema, getNamedType, getNullableType, getVariableValues, isListType, Lexer, Source, TokenKind, ValidationContext,
} from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { OperationCosts } from './operation-costs';

/** Items assumed per plain list field (e.g. asset.patchStates) when estimating cost. */
export const LIST_COST_FACTOR = 20;

/**
 * Depth limit as a validation rule (GraphQL Armor). Its own error is reported as a syntax error; this re-reports
 * it with a code clients can act on. The depth is of fields: a fragment (spread or inline) adds none, where Armor's
 * default counted each spread as two levels, so a client that composes its queries from fragments (Relay, Apollo
 * Client) was refused a page whose fields were well within the limit.
 */
export function depthLimitRule(maxDepth: number) {
  return maxDepthRule({
    n: maxDepth,
    flattenFragments: true,
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null, error: GraphQLError) => {
        ctx?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'QUERY_TOO_DEEP', maxDepth } }),
        );
      },
    ],
  });
}

/**
 * Fields (each fragment counted every time it is spread) the cost estimator walks at most. Past it the estimator
 * stops and the query is refused: a document that large is never a legitimate portal query.
 */
export const MAX_ESTIMATED_FIELDS = 10_000;

const BAD_REQUEST_HTTP = { status: 400 };

/** Alias limit as a validation rule (GraphQL Armor), re-reported with its own code like the depth limit. */
export function aliasLimitRule(maxAliases: number) {
  return maxAliasesRule({
    n: maxAliases,
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null) => {
        ctx?.reportError(
          new GraphQLError(`The operation has more than ${maxAliases} aliased fields`, { extensions: { code: 'QUERY_TOO_MANY_ALIASES', maxAliases } }),
        );
      },
    ],
  });
}

export interface DocumentLimits {
  maxTokens: number;
  maxAliases: number;
  maxDirectives: number;
}

/**
 * Counts the document's tokens, aliases and directives from its text and returns the refusal, if any. Parsing, and validation
 * above all (overlapping-field checks grow with the square of repeated fields), cost more than the request did to
 * send; counting stops at the first token over a limit, so a 1 MB body of `a0: tenants { totalCount } …` is refused
 * after a cheap scan.
 */
export function checkDocumentSize(source: string, limits: DocumentLimits): GraphQLError | undefined {
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  let directives = 0;
  let aliases = 0;
  let parenthesesDepth = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) {
        return new GraphQLError(`The query document has more than ${limits.maxTokens} tokens; send a smaller query`, {
          extensions: { code: 'QUERY_TOO_LARGE', maxTokens: limits.maxTokens },
        });
      }
      if (token.kind === TokenKind.PAREN_L) parenthesesDepth++;
      if (token.kind === TokenKind.PAREN_R) parenthesesDepth--;
      // Outside parentheses a colon can only follow an alias: arguments, variable definitions and input objects
      // all sit inside them. (aliasLimitRule also counts aliases again for every use of a fragment.)
      if (token.kind === TokenKind.COLON && parenthesesDepth === 0 && ++aliases > limits.maxAliases) {
        return new GraphQLError(`The query document has more than ${limits.maxAliases} aliased fields`, {
          extensions: { code: 'QUERY_TOO_MANY_ALIASES', maxAliases: limits.maxAliases },
        });
      }
      // `@` starts a directive and appears nowhere else in an executable document.
      if (token.kind === TokenKind.AT && ++directives > limits.maxDirectives) {
        return new GraphQLError(`The query document has more than ${limits.maxDirectives} directives`, {
          extensions: { code: 'QUERY_TOO_MANY_DIRECTIVES', maxDirectives: limits.maxDirectives },
        });
      }
    }
  } catch (err) {
    // A syntax error in the text: the parser, which has the same token limit, meets it and answers GRAPHQL_PARSE_FAILED.
    // Anything else is a fault in the check itself, and the request is refused with it (a 500), never let through.
    if (!(err instanceof GraphQLError)) throw err;
  }
  return undefined;
}

/**
 * checkDocumentSize on every GraphQL request, in front of Apollo: its plugins cannot refuse a request before parsing
 * (an error thrown that early becomes a 500). Reads the query where Apollo will: `query` of a JSON body (each
 * element of a batch) or of the URL of a GET.
 */
export function documentSizeLimit(limits: DocumentLimits): RequestHandler {
  return (req, res, next) => {
    const documents: unknown[] = req.method === 'GET'
      ? [new URLSearchParams(req.url.split('?')[1] ?? '').get('query')]
      : (Array.isArray(req.body) ? req.body : [req.body]).map((request: { query?: unknown } | null) => request?.query);
    for (const document of documents) {
      if (typeof document !== 'string') continue;
      const refusal = checkDocumentSize(document, limits);
      if (refusal) {
        res.status(400).json({ errors: [{ message: refusal.message, extensions: refusal.extensions }] });
        return;
      }
    }
    next();
  };
}

/**
 * Cost of a field: connections cost their page size times their selection, plain lists LIST_COST_FACTOR times,
 * so `assets(first: 500) { patchStates { update { vulnerabilities } } }` is priced for what it can return.
 */
export function connectionAwareEstimator(defaultPageSize: number, maxPageSize: number): ComplexityEstimator {
  return ({ field, args, childComplexity, type }) => {
    const named = getNamedType(field.type);
    if (named.name.endsWith('Connection')) {
      // A page larger than the maximum is refused with its own, clearer error when the field resolves.
      const n = Math.min(Number(args.first ?? args.last ?? defaultPageSize), maxPageSize);
      return 1 + Math.max(n, 1) * childComplexity;
    }
    // edges/nodes of a connection are already priced by the connection's page size.
    if (type.name.endsWith('Connection') || type.name.endsWith('Edge')) return 1 + childComplexity;
    if (isListType(getNullableType(field.type))) return 1 + LIST_COST_FACTOR * childComplexity;
    return undefined;
  };
}

export interface CostLimits {
  maxQueryCost: number;
  defaultPageSize: number;
  maxPageSize: number;
}

export function costLimitPlugin(schema: GraphQLSchema, limits: CostLimits): ApolloServerPlugin {
  const { maxQueryCost: maxCost } = limits;
  const known = new OperationCosts();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          // Variables that do not fit their types are the client's mistake, not an unknown cost: execution coerces
          // them with this same function and refuses the request with BAD_USER_INPUT before any resolver runs.
          // Checked here, outside the estimate, so that every failure of the estimate itself can refuse the query.
          if (operation && getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}).errors) return;
          // No operation to estimate (an unknown operationName, or several operations and none named): Apollo's
          // execution refuses it with OPERATION_RESOLUTION_FAILURE before any resolver runs; calling it too complex misled.
          if (!operation) return;
          let cost = known.get(document, request.operationName, request.variables);
          if (cost === undefined) {
            cost = estimateCost(schema, document, request.operationName, request.variables, limits);
            known.set(document, request.operationName, request.variables, cost);
          }
          if (cost > maxCost) {
            throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${maxCost}; ask for smaller pages or fewer nested lists`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost, http: BAD_REQUEST_HTTP },
            });
          }
        },
      };
    },
  };
}

/** The operation's estimated cost, a finite number; a query whose cost is unknown is refused, never run. */
function estimateCost(
  schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined, limits: CostLimits,
): number {
  const { maxQueryCost: maxCost, defaultPageSize, maxPageSize } = limits;
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables,
      maxQueryNodes: MAX_ESTIMATED_FIELDS,
      estimators: [connectionAwareEstimator(defaultPageSize, maxPageSize), simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (err) {
    // The estimator gives up exactly on the huge ones.
    const reason = err instanceof Error ? err.message : String(err);
    throw new GraphQLError(`Query cost could not be estimated (${reason}); it is refused. Ask for fewer fields`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', maxCost, maxFields: MAX_ESTIMATED_FIELDS, http: BAD_REQUEST_HTTP },
    });
  }
  if (!Number.isFinite(cost)) {
    throw new GraphQLError('Query cost could not be estimated; it is refused', {
      extensions: { code: 'QUERY_TOO_COMPLEX', maxCost, http: BAD_REQUEST_HTTP },
    });
  }
  return cost;
}
