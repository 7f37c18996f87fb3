import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { DocumentNode, execute, ExecutionResult, getVariableValues, GraphQLError, GraphQLSchema, OperationDefinitionNode, printSchema } from 'graphql';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

type Gateway = ApolloServerOptionsWithGateway<never>['gateway'];

/**
 * Query operations compiled once per document and operation by graphql-jit, instead of interpreted by graphql-js
 * for every request. graphql-js walks the selection set and looks up each field's definition, arguments and
 * serializer for every value: on a portal page that is thousands of look-ups for ~700 values, about a seventh of
 * the request. The compiled function calls the same resolvers (permission guards, tenant-scoped loaders) with the
 * same arguments and serializes leaves with the same scalars.
 *
 * Wired as Apollo's gateway executor, its one supported way to execute operations itself; parsing, validation
 * (with the depth and alias limits), the cost plugin and every other plugin run as before, and only execution is
 * replaced. Mutations (serial, rare, and where a write must never behave differently) and any document the compiler
 * cannot take run on graphql-js exactly as before.
 */
export function compiledExecution(schema: GraphQLSchema): Gateway {
  // A document is compiled the second time it runs: a portal's queries repeat, and one sent once (every one of a
  // client that makes each request unique) is interpreted rather than paying for code generation it never reuses.
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null | 'seen once'>>();
  const compiledFor = (document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null): CompiledQuery | null => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    const key = operationName ?? '';
    let query = byName.get(key);
    if (query === undefined) {
      byName.set(key, 'seen once');
      return null;
    }
    if (query === 'seen once') {
      query = null;
      if (operation.operation === 'query') {
        // disablingCapturingStackErrors: an error's stack is never shown (formatError drops it), and capturing one per
        // non-null violation costs more than the rest of its handling.
        const result = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
        if (isCompiledQuery(result)) query = result;
      }
      byName.set(key, query);
    }
    return query;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        executor: async ({ document, operation, operationName, request, context }) => {
          const query = operation ? compiledFor(document, operation, operationName) : null;
          // Variables that do not coerce are refused by graphql-js, in the words Apollo recognises as BAD_USER_INPUT.
          const coerces = !operation?.variableDefinitions?.length
            || !getVariableValues(schema, operation.variableDefinitions, request.variables ?? {}).errors;
          if (!query || !coerces) {
            return (await execute({ schema, document, contextValue: context, variableValues: request.variables, operationName: request.operationName })) as ExecutionResult<Record<string, unknown>>;
          }
          const result = await query.query(undefined, context, request.variables ?? {});
          if (result.errors) result.errors = result.errors.map(asGraphQLJsError);
          return result as ExecutionResult<Record<string, unknown>>;
        },
      };
    },
    async stop() {},
  };
}

/**
 * graphql-jit's errors are its own GraphQLError, without the `extensions` object graphql-js always gives (Apollo's
 * error formatting reads `extensions.code` and fails on it): each becomes graphql-js's own, with the same message,
 * locations, path and original error, so formatError unwraps and codes it exactly as before.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(error) === GraphQLError.prototype) return error;
  const converted = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions ?? undefined });
  if (error.locations) Object.defineProperty(converted, 'locations', { value: error.locations, enumerable: true, writable: true, configurable: true });
  return converted;
}
