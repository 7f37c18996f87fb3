/**
 * Starts the OpenTelemetry SDK. Imported only when tracing is configured (src/config/tracing-config.ts), so a server
 * without it never loads the SDK. Product code makes its spans through @opentelemetry/api (tracing.ts); this module
 * gives them somewhere to go, and instruments mysql2 for MariaDB's statements.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config/tracing-config';
import { projectRoot } from '../util/project-root';
import { setTracingEnabled } from './tracing';

export interface RunningTracing {
  provider: NodeTracerProvider;
  /** Sends what is buffered and stops tracing; the API falls back to its no-op tracer. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Replaces the configured exporters, sent span by span (tests pass an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

export function startTracing(config: TracingConfig, options: TracingOptions = {}): RunningTracing {
  const processors: SpanProcessor[] = options.exporter
    ? [new SimpleSpanProcessor(options.exporter)]
    : config.exporters.map((name) => (name === 'console' ? new SimpleSpanProcessor(new ConsoleSpanExporter()) : new BatchSpanProcessor(new OTLPTraceExporter())));
  // OTEL_RESOURCE_ATTRIBUTES first, then our name and version, as OTEL_SERVICE_NAME (already in `config`) says.
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: serviceVersion() }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register();
  const mysql = instrumentMysql2(provider);
  setTracingEnabled(true);
  return {
    provider,
    async shutdown() {
      setTracingEnabled(false);
      mysql();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * MariaDB statements through mysql2's instrumentation, with the statement text as written (TypeORM's `?`
 * placeholders) and never the values bound to it: without maskStatement the instrumentation would inline them.
 */
/** Returns what undoes it. */
function instrumentMysql2(provider: NodeTracerProvider): () => void {
  const instrumentation = new MySQL2Instrumentation({ maskStatement: true, maskStatementHook: (sql) => sql });
  instrumentation.setTracerProvider(provider);
  // Its require hook only sees mysql2 loaded from now on, and the database module loaded it already: patch the
  // connection class that is in use (the module definition's own patch, as the hook would have applied it).
  const mysql2 = require('mysql2') as { Connection: unknown };
  const version = (require('mysql2/package.json') as { version: string }).version;
  const files = instrumentation.getModuleDefinitions().flatMap((definition) => definition.files).filter((file) => file.name === 'mysql2/lib/connection.js');
  for (const file of files) file.patch(mysql2.Connection, version);
  return () => {
    instrumentation.disable();
    for (const file of files) file.unpatch(mysql2.Connection, version);
  };
}

function serviceVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
