import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, startSpan, traceparentOf, withSpan } from '@mfa/bus';
import { startTracing, stopTracing } from '@mfa/observability';
import { WebEnv } from '../config/web.env';
import { OrgApi } from './org-api';

describe(OrgApi.name, () => {
  let server: Server;
  let sut: OrgApi;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    sut = new OrgApi(Object.assign(new WebEnv(), { ORG_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
  afterAll(() => server.close());
  afterEach(() => stopTracing());

  it("sends the page's span as traceparent to the admin API while tracing is on, nothing otherwise", async () => {
    const call = () => withSpan(startSpan('web', 'GET /console', SpanKind.SERVER, {}), () => sut.json('k', 'GET', '/v1/orgs/x'));
    await call();
    expect(seen[0].traceparent).toBeUndefined();
    startTracing({ service: 'web', spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const span = startSpan('web', 'GET /console', SpanKind.SERVER, {});
    await withSpan(span, () => sut.json('k', 'GET', '/v1/orgs/x'));
    expect(seen[1].traceparent).toBe(traceparentOf(span));
    expect(seen[1].authorization).toBe('Bearer k');
  });
});
