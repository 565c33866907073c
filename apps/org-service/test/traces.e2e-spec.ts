/**
 * OpenTelemetry traces across the services (docs/operations.md, "Traces"): one admin request is
 * one trace through org-service, the bus, account-service and the rollout job it started; a
 * traceparent on the bus is signed with the entry, and a hostile one is ignored, never an error.
 * The three services run in this process with one tracer provider exporting to memory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { platformCredentialsFromEnv, replyPrefixOf, requestFields, Tracing } from '@mfa/bus';
import { InternalPatterns, Patterns } from '@mfa/contracts';
import { MfaClient } from '@mfa-platform/client';
import { startTracing, stopTracing } from '@mfa/observability';
import { PolicyHandoverService } from '../src/policy/policy-handover.service';
import { addMember, bearer, createOrg, createServiceKey, startTestServices, type TestServices, waitFor } from '@test/support';

const exporter = new InMemorySpanExporter();
let s: TestServices;
let redis: Redis;
const creds = platformCredentialsFromEnv('test');

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const traceparent = (traceId = hex(16), spanId = hex(8)) => ({ traceId, spanId, header: `00-${traceId}-${spanId}-01` });
const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((x) => x.spanContext().traceId === traceId);
const named = (spans: ReadableSpan[], name: string, service: string) =>
  spans.find((x) => x.name === name && x.attributes['mfa.service'] === service);

async function metric(port: number, line: RegExp): Promise<number> {
  const text = (await request(`http://127.0.0.1:${port}`).get('/metrics')).text;
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').pop()) : 0;
}

/** A signed accounts.internal.ping XADDed by hand, with any extra fields; resolves with its reply. */
async function ping(extra: string[] = [], signedTraceparent?: string): Promise<{ ok: boolean; data?: unknown; error?: { code: string } }> {
  const id = randomUUID();
  const replyTo = `${replyPrefixOf(creds.keyId)}${randomUUID()}`;
  const fields = requestFields(creds, id, InternalPatterns.AccountsPing, {}, replyTo, Date.now() + 10_000, signedTraceparent);
  await redis.xadd('bus:accounts:requests', '*', ...fields, ...extra);
  const res = await redis.blpop(replyTo, 10);
  return JSON.parse(res![1]);
}

beforeAll(async () => {
  startTracing({ service: 'traces-e2e', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  s = await startTestServices();
  redis = new Redis(process.env.REDIS_URL!, { protocol: 2 });
});
afterAll(async () => {
  redis?.disconnect();
  await s?.close();
  await stopTracing();
});

describe('one trace across the services', () => {
  it('holds the PUT mfa-policy of org-service, its bus calls, account-service and mfa-service handling them, and the rollout job', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const member = await addMember(s.orgUrl, org);
    const caller = traceparent();
    const res = await request(s.orgUrl)
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set({ ...bearer(org.adminKey), traceparent: caller.header })
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
    expect(res.status).toBe(202);

    // the rollout job runs after the reply; its progress job (org-service) after that
    const spans = await waitFor(() => {
      const all = spansOf(caller.traceId);
      return named(all, 'materialize-policy', 'account-service') && named(all, 'rollout-progress', 'org-service') ? all : null;
    }, 20_000);

    const http = named(spans, 'PUT /v1/orgs/:orgId/mfa-policy', 'org-service')!;
    expect(http).toBeDefined();
    expect(http.kind).toBe(SpanKind.SERVER);
    expect(http.parentSpanContext?.spanId).toBe(caller.spanId); // the caller's header, as the parent only
    expect(http.attributes).toMatchObject({ 'http.route': '/v1/orgs/:orgId/mfa-policy', 'http.response.status_code': 202 });

    const sent = spans.find((x) => x.name === InternalPatterns.AccountsPolicyApply && x.kind === SpanKind.CLIENT)!;
    expect(sent.attributes).toMatchObject({
      'mfa.service': 'org-service',
      'bus.pattern': InternalPatterns.AccountsPolicyApply,
      'mfa.outcome': 'ok',
    });
    expect(sent.parentSpanContext?.spanId).toBe(http.spanContext().spanId);

    const handled = spans.find((x) => x.name === InternalPatterns.AccountsPolicyApply && x.kind === SpanKind.SERVER)!;
    expect(handled.attributes).toMatchObject({ 'mfa.service': 'account-service', 'mfa.outcome': 'ok', 'bus.caller': 'platform' });
    expect(handled.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
    expect(named(spans, InternalPatterns.MfaPolicyApply, 'mfa-service')).toBeDefined();

    const job = named(spans, 'materialize-policy', 'account-service')!;
    expect(job.kind).toBe(SpanKind.CONSUMER);
    expect(job.attributes).toMatchObject({ 'job.queue': 'policy-rollouts', 'job.name': 'materialize-policy', 'mfa.outcome': 'completed' });
    expect(job.parentSpanContext?.spanId).toBe(handled.spanContext().spanId);

    // the spans name patterns, jobs and routes: never an org, an account, a key or a body
    const said = JSON.stringify(spans.map((x) => [x.name, x.attributes]));
    for (const secret of [org.id, member.id, member.email, org.adminKey]) expect(said).not.toContain(secret);
  });

  it("a hand-over the relay delivers later (outside any request) joins the PUT's trace, kept in its outbox row", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const put = await request(s.orgUrl)
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(bearer(org.adminKey))
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
    expect(put.status).toBe(202);
    const [row] = await s.org.app
      .get(DataSource)
      .query(`SELECT id, kind, payload, attempts FROM org.outbox WHERE payload->>'rolloutId' = $1`, [put.body.rollout.id]);
    const stored = row.payload.traceparent as string;
    expect(stored).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    exporter.reset();
    // as the relay does: no active span; the hand-over is idempotent by version
    await s.org.app.get(PolicyHandoverService).deliver([row]);
    const sent = await waitFor(() =>
      exporter.getFinishedSpans().find((x) => x.name === InternalPatterns.AccountsPolicyApply && x.kind === SpanKind.CLIENT),
    );
    expect(sent.spanContext().traceId).toBe(stored.slice(3, 35));
    expect(sent.parentSpanContext?.spanId).toBe(stored.slice(36, 52));
  });

  it('ignores an invalid traceparent header: the request is answered, a new trace starts, and it is counted', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const before = await metric(s.org.port, /^trace_context_invalid_total\{.*source="http"/);
    exporter.reset();
    const res = await request(s.orgUrl)
      .get(`/v1/orgs/${org.id}`)
      .set({ ...bearer(org.adminKey), traceparent: `00-${'f'.repeat(5000)}` });
    expect(res.status).toBe(200);
    expect(await metric(s.org.port, /^trace_context_invalid_total\{.*source="http"/)).toBe(before + 1);
    const span = await waitFor(() => exporter.getFinishedSpans().find((x) => x.name === 'GET /v1/orgs/:orgId') ?? null);
    expect(span.parentSpanContext).toBeUndefined();
    // probes and scrapes make no span
    expect(exporter.getFinishedSpans().filter((x) => String(x.attributes['http.route']).match(/health|metrics/))).toEqual([]);
  });
});

describe('traceparent on the bus', () => {
  it('a signed one is the parent of the handler span', async () => {
    const caller = traceparent();
    expect(await ping([], caller.header)).toMatchObject({ ok: true, data: { pong: true } });
    const span = await waitFor(() => spansOf(caller.traceId).find((x) => x.name === InternalPatterns.AccountsPing) ?? null, 5000);
    expect(span.parentSpanContext).toMatchObject({ traceId: caller.traceId, spanId: caller.spanId, isRemote: true });
  });

  it("a member service's MfaClient sends its caller's traceparent, signed, and the platform's span joins that trace", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const key = await createServiceKey(s.orgUrl, org);
    const accountId = (await addMember(s.orgUrl, org)).id;
    const caller = traceparent();
    const mfa = new MfaClient({ keyId: key.id, secret: key.secret, redisUrl: process.env.REDIS_URL, traceparent: () => caller.header });
    try {
      expect(await mfa.accounts.get({ accountId })).toMatchObject({ id: accountId });
      // a bad one from the caller is not sent: the call still works, in a trace of its own
      expect(await mfa.accounts.get({ accountId }, { traceparent: 'garbage' })).toMatchObject({ id: accountId });
    } finally {
      await mfa.close();
    }
    const span = await waitFor(() => spansOf(caller.traceId).find((x) => x.name === Patterns.AccountsGet) ?? null, 5000);
    expect(span.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(span.attributes).toMatchObject({ 'mfa.service': 'account-service', 'bus.caller': 'service', 'mfa.outcome': 'ok' });
    expect(JSON.stringify(span.attributes)).not.toContain(key.id);
    expect(spansOf(caller.traceId).filter((x) => x.name === Patterns.AccountsGet)).toHaveLength(1);
  });

  it('one added to an entry signed without it is refused: nobody grafts spans onto a caller', async () => {
    const reply = await ping(['traceparent', traceparent().header]);
    expect(reply).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
  });

  it.each([
    ['a huge one (1 MiB)', `00-${'a'.repeat(1024 * 1024)}`],
    ['a malformed one', '00-not-a-trace-01'],
    ['one of another version', `01-${hex(16)}-${hex(8)}-01`],
    ['an upper-case one', traceparent().header.toUpperCase()],
    ['one with a zero trace id', `00-${'0'.repeat(32)}-${hex(8)}-01`],
  ])('%s is ignored: the entry is handled, its span starts a new trace, and it is counted', async (_what, hostile) => {
    const metricLine = /^trace_context_invalid_total\{.*service="account-service".*source="bus"/;
    const before = await metric(s.account.port, metricLine);
    exporter.reset();
    expect(await ping(['traceparent', hostile])).toMatchObject({ ok: true, data: { pong: true } });
    expect(await metric(s.account.port, metricLine)).toBe(before + 1);
    const span = await waitFor(() => exporter.getFinishedSpans().find((x) => x.name === InternalPatterns.AccountsPing) ?? null, 5000);
    expect(span.parentSpanContext).toBeUndefined();
  });
});

describe('tracing off', () => {
  it('makes no span, even for a request that carries a traceparent', async () => {
    Tracing.disable();
    try {
      exporter.reset();
      const org = await createOrg(s.orgUrl, s.platformKey);
      const res = await request(s.orgUrl)
        .put(`/v1/orgs/${org.id}/mfa-policy`)
        .set({ ...bearer(org.adminKey), traceparent: traceparent().header })
        .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
      expect(res.status).toBe(202);
      await s.bus.send(InternalPatterns.AccountsPing, {});
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      Tracing.enable();
    }
  });
});
