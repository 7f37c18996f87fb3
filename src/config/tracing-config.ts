import { ConfigError } from './config';

/**
 * OpenTelemetry traces, from the standard OTEL_* variables. Off unless asked for: OTEL_TRACES_EXPORTER names otlp or
 * console, or an OTLP endpoint is given (which means otlp). The OTLP exporter reads its own OTEL_EXPORTER_OTLP_*
 * variables (headers, timeout, protocol details) itself; only what decides whether and where is checked here.
 */
export interface TracingConfig {
  exporters: Array<'otlp' | 'console'>;
  serviceName: string;
}

const EXPORTERS = ['otlp', 'console', 'none'] as const;

/** Null when tracing is off. A wrong value is refused, naming its variable, rather than silently tracing nothing. */
export function tracingVars(env: NodeJS.ProcessEnv = process.env): TracingConfig | null {
  const disabled = (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase();
  if (disabled !== '' && disabled !== 'true' && disabled !== 'false') throw new ConfigError('OTEL_SDK_DISABLED', `must be true or false, got "${env.OTEL_SDK_DISABLED}"`);
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const raw = env[name];
    if (!raw) continue;
    let url: URL | null = null;
    try {
      url = new URL(raw);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigError(name, 'must be an http(s) URL, e.g. http://127.0.0.1:4318');
  }
  const raw = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  const named = raw === '' ? [] : raw.split(',').map((e) => e.trim()).filter(Boolean);
  for (const exporter of named) {
    if (!(EXPORTERS as readonly string[]).includes(exporter)) throw new ConfigError('OTEL_TRACES_EXPORTER', `must be otlp, console or none (comma-separated), got "${exporter}"`);
  }
  if (disabled === 'true') return null;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporters = (named.length ? named.filter((e) => e !== 'none') : endpoint ? ['otlp'] : []) as TracingConfig['exporters'];
  if (named.includes('none') || exporters.length === 0) return null;
  const serviceName = (env.OTEL_SERVICE_NAME ?? '').trim() || 'patchgraph';
  return { exporters: [...new Set(exporters)], serviceName };
}
