/**
 * Error bodies in the two shapes a Graph client meets: Graph's own `{ error: { code, message, innerError } }` and
 * the Microsoft identity platform's OAuth `{ error, error_description: "AADSTSnnn: …", error_codes, … }`.
 */
import { graphDate } from './dates';

/** The ids Graph puts on every answer, as headers and again in innerError, so support can trace a request. */
export interface RequestIds {
  requestId: string;
  clientRequestId: string;
  /** When the answer was made; Graph writes innerError's date in UTC without a zone letter: "2026-02-20T09:00:00". */
  date: string;
}

export interface GraphErrorBody {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string; 'client-request-id': string } };
}

export function graphError(code: string, message: string, ids: RequestIds): GraphErrorBody {
  return { error: { code, message, innerError: { date: ids.date, 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId } } };
}

/** What Graph's gateway answers for each injected status. */
export const STATUS_ERRORS: Readonly<Record<number, { code: string; message: string }>> = {
  429: { code: 'TooManyRequests', message: 'Too many requests from the application for this tenant. Please retry after some time.' },
  500: { code: 'InternalServerError', message: 'An internal server error occurred while processing the request.' },
  502: { code: 'BadGateway', message: 'The gateway received an invalid response from the upstream service.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry later.' },
  504: { code: 'GatewayTimeout', message: 'The gateway timed out waiting for the upstream service.' },
};

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

/**
 * The identity platform's OAuth error. Its description repeats the ids and time at the end, and its timestamp is
 * written "2026-02-20 09:00:00Z" (a space, not a T).
 */
export function entraError(error: string, code: number, text: string, ids: { traceId: string; correlationId: string; authority: string }): EntraErrorBody {
  const timestamp = graphDate(Date.now()).replace('T', ' ');
  return {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${ids.traceId} Correlation ID: ${ids.correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: `${ids.authority}/error?code=${code}`,
  };
}
