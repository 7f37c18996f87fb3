import type { ApolloServerPlugin } from '@apollo/server';
import { SpanKind, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { startSpan, tracingEnabled, withSpan } from './tracing';

/**
 * A span per GraphQL request, active while Apollo handles it so that loader batches and statements nest under it.
 * Started here, before Apollo (whose plugin hooks cannot wrap the execution in a context); named by the plugin
 * below once the operation is known, and ended when the answer has been sent.
 */
export function graphqlSpan() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!tracingEnabled()) {
      next();
      return;
    }
    const span = startSpan('graphql.operation', { 'http.request.method': req.method }, SpanKind.SERVER)!;
    let ended = false;
    // 'finish' when the answer was sent; 'close' alone when the client went away first.
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    withSpan(span, next);
  };
}

/** Names the request's span after its operation ("query Fleet") and marks it failed when the answer has errors. */
export function graphqlTracingPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      if (!tracingEnabled()) return {};
      return {
        async didResolveOperation({ operation, operationName }) {
          const span = trace.getActiveSpan();
          if (!span || !operation) return;
          const name = operationName ?? operation.name?.value;
          span.updateName(`${operation.operation} ${name ?? 'anonymous'}`);
          span.setAttributes({ 'graphql.operation.type': operation.operation, 'graphql.operation.name': name ?? 'anonymous' });
        },
        async didEncounterErrors({ errors }) {
          const span = trace.getActiveSpan();
          if (!span) return;
          const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'UNKNOWN')))];
          span.setAttribute('graphql.error.codes', codes);
          span.setStatus({ code: 2, message: codes.join(', ') });
        },
      };
    },
  };
}
