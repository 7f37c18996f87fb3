import { ApolloServerPlugin } from '@apollo/server';
import { NextFunction, Request, Response } from 'express';
import { allowReplicaReads, withReadScope } from '../db/read-routing';

/**
 * Gives each /graphql request its own read scope (src/db/read-routing.ts), reading from the primary: the
 * authentication and rate limits that run before the operation is known stay there, so a key created a moment
 * ago on the primary is accepted at once.
 */
export function readScope() {
  return (_req: Request, _res: Response, next: NextFunction): void => withReadScope(() => next());
}

/**
 * Opens a query operation's reads to the read replicas, when there are any. A mutation keeps the primary
 * throughout, so the object it returns is read back as it just wrote it.
 */
export function replicaReadsForQueries(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'query') allowReplicaReads();
        },
      };
    },
  };
}
