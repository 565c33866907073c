/**
 * Manual OpenTelemetry spans of the bus, the job layer and HTTP (docs/operations.md, "Traces").
 * Only @opentelemetry/api here: the SDK (a tracer provider and its OTLP exporter) is started by
 * libs/observability when OTEL_EXPORTER_OTLP_ENDPOINT is set. Until then `Tracing.enabled` is
 * false and every call site skips tracing at the cost of one boolean check: no span, no context,
 * no traceparent on the wire.
 */
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { parseTraceparent } from '@mfa-platform/client/wire';

let enabled = false;

/**
 * Whether this process makes spans. Process-wide like OpenTelemetry's own tracer provider;
 * switched on by `startTracing` (libs/observability) once its provider is registered.
 */
export const Tracing = {
  get enabled(): boolean {
    return enabled;
  },
  enable(): void {
    enabled = true;
  },
  disable(): void {
    enabled = false;
  },
};

/** Where an invalid traceparent was met: the `source` label of trace_context_invalid_total. */
export type TraceSource = 'bus' | 'job' | 'http';

/** Span attribute names (never an account, org, key id, code or secret: only names from fixed sets). */
export const SpanAttributes = {
  Service: 'mfa.service',
  Pattern: 'bus.pattern',
  Outcome: 'mfa.outcome',
  Caller: 'bus.caller',
  Queue: 'job.queue',
  JobName: 'job.name',
  Attempt: 'job.attempt',
} as const;

/** Outcomes that mean the service failed (not the caller): the span's status is ERROR. */
const FAILURES = new Set(['internal', 'unavailable', 'timeout', 'failed']);

/** The tracer of one service (its instrumentation scope names the service, even in one test process). */
export function tracerOf(service: string) {
  return trace.getTracer(`mfa-platform/${service}`);
}

/** A remote parent from a traceparent (null or invalid: the root context, a new trace). */
export function parentContext(traceparent: string | null | undefined): Context {
  const p = parseTraceparent(traceparent);
  if (!p) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: p.flags & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** The traceparent naming `span` (default: the active span), or undefined without a valid one. */
export function traceparentOf(span: Span | undefined = trace.getActiveSpan()): string | undefined {
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags & TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** The active span's traceparent when tracing is on (what a producer puts on an entry or a job). */
export function currentTraceparent(): string | undefined {
  return enabled ? traceparentOf() : undefined;
}

/** `{traceparent}` for an outgoing HTTP request when tracing is on, else nothing. */
export function traceHeaders(): Record<string, string> {
  const tp = currentTraceparent();
  return tp ? { traceparent: tp } : {};
}

/** Starts a span (not made active): `parent` defaults to the active context. */
export function startSpan(service: string, name: string, kind: SpanKind, attributes: Attributes, parent: Context = context.active()): Span {
  return tracerOf(service).startSpan(name, { kind, attributes: { [SpanAttributes.Service]: service, ...attributes } }, parent);
}

/** Ends a span with its outcome (`ok`, an error code, a job outcome); failures of the service are ERROR. */
export function endSpan(span: Span, outcome: string): void {
  span.setAttribute(SpanAttributes.Outcome, outcome);
  if (FAILURES.has(outcome)) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Runs `fn` with `span` active, so the spans and entries it starts are its children. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

export { SpanKind };
