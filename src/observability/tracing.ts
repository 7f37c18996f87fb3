/**
 * Spans from product code, through @opentelemetry/api only: the SDK is loaded by tracing-bootstrap.ts when the
 * OTEL_* variables ask for traces. Until then `tracingEnabled` is false and every helper here calls straight
 * through, so a server without tracing pays one boolean test per span it would have made.
 */
import { Attributes, context, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

let enabled = false;

/** Set by the bootstrap once a tracer provider is registered (and cleared when it shuts down). */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

const tracer = () => trace.getTracer('patchgraph');

/** Runs `fn` in a span of its own, a child of the active one; the span ends when `fn` settles and records its failure. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span | undefined) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!enabled) return fn(undefined);
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A span started now and ended by the caller (an HTTP attempt seen through the SDK's observer); undefined when off. */
export function startSpan(name: string, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span | undefined {
  if (!enabled) return undefined;
  return tracer().startSpan(name, { kind, attributes }, context.active());
}

/** Runs `fn` with `span` as the active span, so what it starts (statements, batches) nests under it. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  if (!span) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Marks a span failed with the error's class and message (messages here are the redacted ones users see). */
export function failed(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message.slice(0, 500) : 'failed' });
  span.setAttribute('error.type', err instanceof Error ? err.name : 'unknown');
}

/** The first keyword of a statement (SELECT, INSERT…), the span's name as the database conventions have it. */
export function statementOperation(sql: string): string {
  const word = /^\s*\(?\s*([A-Za-z]+)/.exec(sql)?.[1];
  return word ? word.toUpperCase() : 'SQL';
}

/** A span around one SQL statement: its text only, never its parameters. */
export function sqlSpan<T>(system: string, sql: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const operation = statementOperation(sql);
  return inSpan(operation, { 'db.system.name': system, 'db.operation.name': operation, 'db.query.text': sql.length > 4000 ? `${sql.slice(0, 4000)}…` : sql }, () => fn(), SpanKind.CLIENT);
}
