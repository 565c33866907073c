import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminApi, createOrg } from '../../bench/lib/fixture';
import { ServiceProcess } from '../../bench/lib/service-process';
import { PLATFORM_API_KEY } from './deployment';

interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/**
 * Traces across real processes (docs/operations.md, "Traces"): org-service, account-service and
 * mfa-service from dist/, each exporting over OTLP/HTTP to a stand-in collector; the trace
 * context crosses processes only on the bus and in job data.
 */
describe('traces across service processes', () => {
  const keysDir = mkdtempSync(join(tmpdir(), 'mfa-traces-keys-'));
  const spans: ExportedSpan[] = [];
  const started: ServiceProcess[] = [];
  let collector: Server;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/v1/traces') {
          for (const rs of JSON.parse(body).resourceSpans ?? []) {
            const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
            for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ service, ...s });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const env: NodeJS.ProcessEnv = {
      NODE_ENV: 'development',
      DATABASE_URL: process.env.DATABASE_URL,
      REDIS_URL: process.env.REDIS_URL,
      PLATFORM_API_KEY,
      LOG_LEVEL: 'error',
      KEYS_DIR: keysDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200', // the SDK's own variable: export every 200 ms
    };
    for (const name of ['account-service', 'mfa-service', 'org-service'] as const) started.push(await ServiceProcess.start(name, env));
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    collector?.close();
  });

  it('one PUT mfa-policy is one trace in the three services, down to the rollout job', async () => {
    const org = started.find((s) => s.name === 'org-service')!;
    const { orgId, admin } = await createOrg(new AdminApi(`http://127.0.0.1:${org.port}`, PLATFORM_API_KEY), `traces ${Date.now()}`);
    await admin.call('POST', `/v1/orgs/${orgId}/members`, { email: `m${Date.now()}@traces.test` });
    const traceId = 'a1'.repeat(16);
    const res = await fetch(`http://127.0.0.1:${org.port}/v1/orgs/${orgId}/mfa-policy`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${admin.key}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${'b2'.repeat(8)}-01`,
      },
      body: JSON.stringify({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] }),
    });
    expect(res.status).toBe(202);

    const inTrace = () => spans.filter((s) => s.traceId === traceId);
    const expected = [
      'org-service PUT /v1/orgs/:orgId/mfa-policy',
      'org-service accounts.internal.policy.apply',
      'account-service accounts.internal.policy.apply',
      'mfa-service mfa.internal.policy.apply',
      'account-service materialize-policy',
      'org-service rollout-progress',
    ];
    const seen = () => new Set(inTrace().map((s) => `${s.service} ${s.name}`));
    // each process exports on its own (every 200 ms here)
    const end = Date.now() + 20_000;
    while (!expected.every((e) => seen().has(e)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect([...seen()]).toEqual(expect.arrayContaining(expected));
    // each hop between processes is a parent and its child
    const byId = new Map(inTrace().map((s) => [s.spanId, s]));
    const handled = inTrace().find((s) => s.service === 'account-service' && s.name === 'accounts.internal.policy.apply')!;
    expect(byId.get(handled.parentSpanId!)).toMatchObject({ service: 'org-service', name: 'accounts.internal.policy.apply' });
    const job = inTrace().find((s) => s.name === 'materialize-policy')!;
    expect(byId.get(job.parentSpanId!)).toMatchObject({ service: 'account-service', name: 'accounts.internal.policy.apply' });
  });
});
