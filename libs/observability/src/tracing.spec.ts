import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { currentTraceparent, endSpan, parentContext, Periodic, SpanKind, startSpan, traceparentOf, Tracing, withSpan } from '@mfa/bus';
import { BaseEnv, ConfigError, loadConfig } from '@mfa/config';
import { startTracing, stopTracing, tracesUrl } from './tracing';

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  body: any;
}

/** A stand-in OTLP/HTTP collector: records every request it gets. */
async function collector(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: text ? JSON.parse(text) : null });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

afterEach(() => stopTracing());

describe('startTracing', () => {
  it('does nothing without an endpoint: tracing stays off, no span, no traceparent', async () => {
    expect(startTracing({ service: 'spec' })).toBe(false);
    expect(Tracing.enabled).toBe(false);
    // the API alone: a no-op tracer, and the producers put nothing on the wire
    const span = startSpan('spec', 'x', SpanKind.INTERNAL, {});
    expect(span.isRecording()).toBe(false);
    expect(withSpan(span, () => currentTraceparent())).toBeUndefined();
  });

  it('exports spans over OTLP/HTTP to <endpoint>/v1/traces with the service name and attributes', async () => {
    const otlp = await collector();
    try {
      expect(startTracing({ service: 'spec-service', endpoint: `${otlp.url}/` })).toBe(true);
      expect(Tracing.enabled).toBe(true);
      const parent = startSpan('spec-service', 'mfa.internal.ping', SpanKind.SERVER, { 'bus.pattern': 'mfa.internal.ping' });
      const tp = withSpan(parent, () => currentTraceparent());
      expect(tp).toBe(traceparentOf(parent));
      const child = startSpan('spec-service', 'child', SpanKind.INTERNAL, {}, parentContext(tp));
      endSpan(child, 'ok');
      endSpan(parent, 'internal');
      await stopTracing(); // flushes the batch

      expect(otlp.received).toHaveLength(1);
      const [{ method, url, contentType, body }] = otlp.received;
      expect({ method, url, contentType }).toEqual({ method: 'POST', url: '/v1/traces', contentType: 'application/json' });
      const resource = body.resourceSpans[0].resource.attributes;
      expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'spec-service' } });
      const spans = body.resourceSpans[0].scopeSpans.flatMap((x: any) => x.spans);
      const byName = Object.fromEntries(spans.map((x: any) => [x.name, x]));
      expect(byName['mfa.internal.ping'].attributes).toEqual(
        expect.arrayContaining([
          { key: 'mfa.service', value: { stringValue: 'spec-service' } },
          { key: 'mfa.outcome', value: { stringValue: 'internal' } },
        ]),
      );
      expect(byName['mfa.internal.ping'].status.code).toBe(2); // ERROR: the service failed
      expect(byName.child.traceId).toBe(byName['mfa.internal.ping'].traceId);
      expect(byName.child.parentSpanId).toBe(byName['mfa.internal.ping'].spanId);
      // afterwards the API is back to its no-ops
      expect(Tracing.enabled).toBe(false);
      expect(trace.getSpan(context.active())).toBeUndefined();
    } finally {
      otlp.server.close();
    }
  });

  it('tracesUrl appends v1/traces once', () => {
    expect(tracesUrl('http://c:4318')).toBe('http://c:4318/v1/traces');
    expect(tracesUrl('https://c/otlp/')).toBe('https://c/otlp/v1/traces');
  });
});

describe('Periodic under tracing', () => {
  it("runs a pass kicked from a request outside that request's trace (a pass serves many requests)", async () => {
    startTracing({ service: 'spec', spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const seen: Array<string | undefined> = [];
    const periodic = new Periodic('spec', 60_000, async () => void seen.push(currentTraceparent()), console);
    const span = startSpan('spec', 'request', SpanKind.SERVER, {});
    await withSpan(span, async () => {
      expect(currentTraceparent()).toBeDefined();
      await periodic.run();
    });
    expect(seen).toEqual([undefined]);
    await periodic.stop();
  });
});

describe('OTEL_EXPORTER_OTLP_ENDPOINT at boot', () => {
  it('is optional and must be an http(s) URL without query when set', () => {
    expect(loadConfig(BaseEnv, {}).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('');
    expect(loadConfig(BaseEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel:4318');
    for (const bad of ['otel:4318', 'ftp://otel', 'http://otel:4318/?x=1', 'not a url']) {
      let err: unknown;
      try {
        loadConfig(BaseEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join()).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    }
  });
});
