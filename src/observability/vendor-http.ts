import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { HttpObserver } from '../../connectors/sdk/http/observer';
import { Metrics } from './metrics';
import { startSpan, tracingEnabled } from './tracing';

/**
 * What the engine hands a connector to watch its HTTP traffic: 429s and retries counted by connector kind, and a
 * span per attempt (when tracing) carrying the vendor's request id, so a slow or failed call can be quoted to the
 * vendor. Undefined when there is nothing to record.
 */
export function vendorHttpObserver(connectorKind: string, metrics: Metrics | undefined): HttpObserver | undefined {
  if (!metrics && !tracingEnabled()) return undefined;
  return {
    attempt({ vendor, method, url, attempt }) {
      const span = startSpan(`${method}`, {
        'http.request.method': method, 'url.full': url, 'server.address': hostOf(url), 'patchgraph.vendor': vendor, 'http.request.resend_count': attempt - 1,
      }, SpanKind.CLIENT);
      return ({ status, failure, requestId }) => {
        if (status === 429) metrics?.vendorRateLimited.inc({ connector: connectorKind });
        if (!span) return;
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (requestId) span.setAttribute('patchgraph.vendor.request_id', requestId);
        if (failure) span.setAttribute('error.type', failure);
        if (failure || (status !== undefined && status >= 400)) span.setStatus({ code: SpanStatusCode.ERROR, message: failure ?? `HTTP ${status}` });
        span.end();
      };
    },
    retry({ status }) {
      metrics?.vendorRetries.inc({ connector: connectorKind, cause: Metrics.retryCause(status) });
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
