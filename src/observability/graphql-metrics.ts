import type { ApolloServerPlugin } from '@apollo/server';
import { Metrics } from './metrics';

/**
 * Times each GraphQL operation by name and type, and counts the errors in its answer by extensions.code. An
 * operation refused before it could be read (a syntax error, a rate limit) is timed as type "unknown".
 */
export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let type = 'unknown';
      let name: string | null | undefined;
      return {
        async didResolveOperation({ operation, operationName }) {
          type = operation?.operation ?? 'unknown';
          name = operationName ?? operation?.name?.value;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) metrics.graphqlErrors.inc({ code: Metrics.errorCodeLabel(error.extensions?.code) });
        },
        async willSendResponse() {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.graphqlDuration.observe({ operation: metrics.operationLabel(name), type }, seconds);
        },
      };
    },
  };
}
