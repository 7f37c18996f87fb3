import { ApolloServerPlugin } from '@apollo/server';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError, GraphQLSchema, getNamedType, getNullableType, isListType, ValidationContext,
} from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

/** Items assumed per plain list field (e.g. asset.patchStates) when estimating cost. */
export const LIST_COST_FACTOR = 20;

/**
 * Depth limit as a validation rule (GraphQL Armor). Its own error is reported as a syntax error; this re-reports
 * it with a code clients can act on.
 */
export function depthLimitRule(maxDepth: number) {
  return maxDepthRule({
    n: maxDepth,
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
  const { maxQueryCost: maxCost, defaultPageSize, maxPageSize } = limits;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName,
              variables: request.variables,
              estimators: [connectionAwareEstimator(defaultPageSize, maxPageSize), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Variables that do not fit their types: execution refuses them with BAD_USER_INPUT before any resolver runs.
            return;
          }
          if (cost > maxCost) {
            throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${maxCost}; ask for smaller pages or fewer nested lists`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
