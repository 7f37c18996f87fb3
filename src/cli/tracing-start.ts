import type { Logger } from 'pino';
import { tracingVars } from '../config/tracing-config';
import type { RunningTracing } from '../observability/tracing-bootstrap';

/**
 * Starts OpenTelemetry when the OTEL_* variables ask for it; otherwise loads nothing of the SDK. A bad variable is a
 * ConfigError (the CLI prints it and exits), like any other setting.
 */
export function startTracingIfConfigured(logger: Logger, env: NodeJS.ProcessEnv = process.env): RunningTracing | null {
  const config = tracingVars(env);
  if (!config) return null;
  // required here, not imported at the top: the SDK loads only when tracing is on.
  const { startTracing } = require('../observability/tracing-bootstrap') as typeof import('../observability/tracing-bootstrap');
  const tracing = startTracing(config);
  logger.info({ exporters: config.exporters, serviceName: config.serviceName }, 'tracing with OpenTelemetry');
  return tracing;
}
