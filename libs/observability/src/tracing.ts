/**
 * OpenTelemetry traces (docs/operations.md, "Traces"): off unless OTEL_EXPORTER_OTLP_ENDPOINT is
 * set. Then one tracer provider per process exports spans in batches over OTLP/HTTP to
 * `<endpoint>/v1/traces`; the spans themselves are made by hand where work happens (HTTP here,
 * the bus and the job layer in libs/bus). No auto-instrumentation: nothing is patched, and with
 * tracing off nothing is loaded but the API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { Request } from 'express';
import { type BusMetrics, parentContext, parseTraceparent, SpanAttributes, SpanKind, startSpan, Tracing } from '@mfa/bus';

export interface TracingOptions {
  /** `service.name` of the process' resource */
  service: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: spans go to `<endpoint>/v1/traces` (OTLP/HTTP, JSON) */
  endpoint?: string;
  /** instead of the OTLP exporter (tests: a SimpleSpanProcessor over an InMemorySpanExporter) */
  spanProcessors?: SpanProcessor[];
}

let provider: NodeTracerProvider | undefined;

/** The OTLP/HTTP traces URL of an OTEL_EXPORTER_OTLP_ENDPOINT (the spec's rule: append `v1/traces`). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing for this process, once (several services in one test process share it; the
 * first one's name is the resource's, and every span names its service in `mfa.service`).
 * Without an endpoint or processors it does nothing and tracing stays off.
 */
export function startTracing(options: TracingOptions): boolean {
  if (provider) return true;
  const spanProcessors =
    options.spanProcessors ??
    (options.endpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }))] : []);
  if (spanProcessors.length === 0) return false;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    // a caller's sampled flag is followed; spans without a parent are all kept
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
  provider.register(); // AsyncLocalStorage context manager and the W3C propagator
  Tracing.enable();
  return true;
}

/** Exports what is buffered and stops tracing (drain, tests); safe when it never started. */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  Tracing.disable();
  if (!p) return;
  await p.shutdown().catch(() => undefined);
  trace.disable();
  context.disable();
  propagation.disable();
}

/**
 * A SERVER span per HTTP request while tracing is on (not /metrics and /health*), the child of a valid `traceparent` header
 * (an invalid one is ignored and counted as trace_context_invalid_total{source="http"}). Named
 * `<METHOD> <route>` with the matched route, never the URL (it may hold a one-time token).
 */
export function httpSpans(service: string, metrics?: BusMetrics): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    // probes and scrapes every few seconds would bury the requests that matter
    if (!Tracing.enabled || req.url === '/metrics' || req.url?.startsWith('/health')) return next();
    const header = req.headers.traceparent;
    if (header !== undefined && !parseTraceparent(header)) metrics?.invalidTraceContext('http');
    const parent = typeof header === 'string' ? parentContext(header) : ROOT_CONTEXT;
    const method = req.method ?? 'GET';
    const span = startSpan(service, method, SpanKind.SERVER, { 'http.request.method': method }, parent);
    res.once('close', () => {
      const r = req as Request;
      const routePath = (r.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${r.baseUrl ?? ''}${routePath}` : 'unmatched';
      span.updateName(`${method} ${route}`);
      span.setAttributes({
        'http.route': route,
        'http.response.status_code': res.statusCode,
        [SpanAttributes.Outcome]: String(res.statusCode),
      });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    const ctx = trace.setSpan(parent, span);
    // body parsers read on the request's events, which run outside this call: bind them to the span
    context.bind(ctx, req);
    context.bind(ctx, res);
    context.with(ctx, next);
  };
}
