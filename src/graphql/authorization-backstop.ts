import { ApolloServerPlugin } from '@apollo/server';
import { FieldNode, OperationDefinitionNode } from 'graphql';
import { RequestContext } from './context';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * The last line of authorization, in the manner of Fleet's authz checker: an operation that executed without a
 * single permission check is refused whatever it produced. Every operation goes through the matrix today; this
 * catches the day a field is wired around it (a schema built without enforcePermissions, say). Introspection,
 * when it is enabled at all, is open to every authenticated principal and needs no check.
 */
export function authorizationBackstop(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let executed = false;
      let introspectionOnly = false;
      return {
        async didResolveOperation({ operation }) {
          introspectionOnly = operation !== undefined && isIntrospectionOnly(operation);
        },
        async executionDidStart() {
          executed = true;
        },
        async willSendResponse({ contextValue, response }) {
          if (!executed || introspectionOnly || contextValue.authz.checks > 0 || response.body.kind !== 'single') return;
          // Without data nothing resolved (variables that did not coerce, say): there is nothing to withhold.
          const { data } = response.body.singleResult;
          if (data === undefined || data === null) return;
          contextValue.logger.error('an operation ran without any authorization check; its result was withheld');
          response.http.status = 403;
          response.body.singleResult = {
            errors: [{ message: 'No authorization check ran for this operation, so its result is withheld', extensions: { code: 'FORBIDDEN' } }],
          };
        },
      };
    },
  };
}

function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  const fields = operation.selectionSet.selections;
  return fields.length > 0 && fields.every((s) => s.kind === 'Field' && INTROSPECTION_FIELDS.has((s as FieldNode).name.value));
}
