import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { Bus } from './bus';
import { BusClient } from './bus.client';
import { BusMetrics } from './bus-metrics';
import type { CallerDirectory, ServiceKeyRecord } from './callers';
import type { RedisStreamsServer } from './redis-streams.server';
import {
  MFA_STREAM,
  popReply,
  flushRedis,
  rawRedis,
  rawRequest,
  REDIS_URL,
  replyList,
  startService,
  TEST_CREDENTIALS,
  waitFor,
} from './testing/bus.fixtures';

const FAR = () => String(Date.now() + 60_000);
const ORG_A = randomUUID();
const ORG_B = randomUUID();
const ACCOUNT_OF_B = randomUUID();
const SERVICE = { keyId: 'svc-metrics', secret: 'svc-metrics-secret' };
const DOWN_KEY = { keyId: 'svc-directory-down', secret: 'whatever' };

/** A directory with one member-service key (scope verify, org A) and one account in org B; one key id makes it fail. */
class FixedDirectory implements CallerDirectory {
  async serviceKeys(ids: readonly string[]): Promise<Map<string, ServiceKeyRecord>> {
    if (ids.includes(DOWN_KEY.keyId)) throw new Error('directory down');
    const all = new Map<string, ServiceKeyRecord>([
      [SERVICE.keyId, { id: SERVICE.keyId, orgId: ORG_A, scopes: ['verify'], secret: SERVICE.secret, revoked: false }],
    ]);
    return new Map(ids.filter((id) => all.has(id)).map((id) => [id, all.get(id)!]));
  }
  async accountOrgs(ids: readonly string[]): Promise<Map<string, string>> {
    return new Map(ids.filter((id) => id === ACCOUNT_OF_B).map((id) => [id, ORG_B]));
  }
}

let redis: Redis;
let app: INestMicroservice;
let registry: Registry;
let client: BusClient;

/** The value of one series in the text exposition, 0 when absent. */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const json = await registry.getMetricsAsJSON();
  const metric = json.find((m) => m.name === name) as
    { values: Array<{ labels: Record<string, string>; value: number; metricName?: string }> } | undefined;
  const hit = metric?.values.find(
    (v) => (v.metricName === undefined || v.metricName === name) && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  );
  return hit?.value ?? 0;
}

beforeAll(async () => {
  redis = rawRedis();
  await flushRedis(redis);
  registry = new Registry();
  const metrics = BusMetrics.for(registry, 'mfa-service');
  app = await startService({ metrics, directory: new FixedDirectory() });
  client = new BusClient({ redisUrl: REDIS_URL, credentials: TEST_CREDENTIALS, metrics, timeoutMs: 5000 });
});
afterAll(async () => {
  await client.close();
  await app?.close();
  await redis.quit();
});

describe('bus metrics', () => {
  it('counts requests by pattern and outcome, server and client side, with durations and batch sizes', async () => {
    const bus = new Bus(client);
    await bus.send('mfa.internal.ping', {});
    await bus.send('mfa.internal.ping', {});
    await expect(bus.send('mfa.sms.send' as never, {} as never)).rejects.toMatchObject({ code: 'invalid_code' });
    await expect(bus.send('mfa.sessions.jwks' as never, {} as never)).rejects.toMatchObject({ code: 'internal' });

    expect(await value('bus_requests_total', { service: 'mfa-service', pattern: 'mfa.internal.ping', outcome: 'ok' })).toBe(2);
    expect(await value('bus_requests_total', { service: 'mfa-service', pattern: 'mfa.sms.send', outcome: 'invalid_code' })).toBe(1);
    expect(await value('bus_requests_total', { service: 'mfa-service', pattern: 'mfa.sessions.jwks', outcome: 'internal' })).toBe(1);
    expect(await value('bus_client_requests_total', { service: 'mfa-service', pattern: 'mfa.internal.ping', outcome: 'ok' })).toBe(2);
    expect(await value('bus_client_requests_total', { pattern: 'mfa.sms.send', outcome: 'invalid_code' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toMatch(/bus_request_duration_seconds_count\{service="mfa-service",pattern="mfa.internal.ping"\} 2/);
    expect(text).toMatch(/bus_client_request_duration_seconds_count\{service="mfa-service",pattern="mfa.internal.ping"\} 2/);
    expect(text).toMatch(/bus_batch_size_count\{service="mfa-service"\} [1-9]/);
    // the group's pending and lag, read on scrape: nothing left behind
    expect(text).toMatch(/bus_consumer_pending\{service="mfa-service"\} 0/);
    expect(text).toMatch(/bus_consumer_lag\{service="mfa-service"\} 0/);
  });

  it('counts every refusal of the gate by reason, so an attack shows', async () => {
    const list = replyList();
    const id = () => randomUUID();
    const ping = { pattern: 'mfa.internal.ping', data: '{}', replyTo: list };
    const serviceList = `bus:reply:${SERVICE.keyId}:${randomUUID()}`;
    const sent: Array<[reason: string, fields: Record<string, string>, creds?: typeof SERVICE | null]> = [
      ['expired', { ...ping, id: id(), deadline: String(Date.now() - 1000) }],
      ['size', { ...ping, id: 'x'.repeat(600), deadline: FAR() }],
      ['envelope', { ...ping, deadline: FAR() }],
      ['unsigned', { ...ping, id: id(), deadline: FAR() }, null],
      ['deadline', { ...ping, id: id(), deadline: String(Date.now() + 3_600_000) }],
      ['unknown_key', { ...ping, id: id(), deadline: FAR() }, { keyId: 'svc-nobody', secret: 'nope' }],
      ['signature', { ...ping, id: id(), deadline: FAR(), sig: '0'.repeat(64), keyId: TEST_CREDENTIALS.keyId }],
      ['reply_to', { ...ping, id: id(), deadline: FAR(), replyTo: 'bus:reply:someone-else:x' }],
      ['scope', { pattern: 'mfa.devices.list', data: '{}', replyTo: serviceList, id: id(), deadline: FAR() }, SERVICE],
      ['scope', { pattern: 'mfa.internal.ping', data: '{}', replyTo: serviceList, id: id(), deadline: FAR() }, SERVICE],
      ['unknown_pattern', { ...ping, pattern: `mfa.nope.${randomUUID()}`, id: id(), deadline: FAR() }],
      ['invalid_json', { ...ping, data: 'not json', id: id(), deadline: FAR() }],
      [
        'org',
        {
          pattern: 'mfa.verify',
          data: JSON.stringify({ accountId: ACCOUNT_OF_B, code: '123456' }),
          replyTo: serviceList,
          id: id(),
          deadline: FAR(),
        },
        SERVICE,
      ],
      ['unavailable', { ...ping, id: id(), deadline: FAR(), replyTo: `bus:reply:${DOWN_KEY.keyId}:x` }, DOWN_KEY],
    ];
    // the key lookup fails for a whole batch: the entry that makes it fail goes alone, after the others are handled
    const alone = sent.filter(([reason]) => reason === 'unavailable');
    for (const [, fields, creds] of sent.filter(([reason]) => reason !== 'unavailable'))
      await rawRequest(redis, fields, creds === undefined ? TEST_CREDENTIALS : creds);
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 0);
    for (const [, fields, creds] of alone) await rawRequest(redis, fields, creds ?? TEST_CREDENTIALS);
    // a replay: the same id under the same key, twice
    const replayed = { ...ping, id: id(), deadline: FAR() };
    await rawRequest(redis, replayed);
    await rawRequest(redis, replayed);
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 0);

    const expected = new Map<string, number>([['replay', 1]]);
    for (const [reason] of sent) expected.set(reason, (expected.get(reason) ?? 0) + 1);
    for (const [reason, n] of expected) {
      expect([reason, await value('bus_rejected_total', { service: 'mfa-service', reason })]).toEqual([reason, n]);
    }
    // the entry with a made-up pattern is counted under "unknown", never its own name
    expect(await value('bus_requests_total', { pattern: 'unknown', outcome: 'unknown_pattern' })).toBe(1);
    expect(await value('bus_requests_total', { pattern: 'mfa.internal.ping', outcome: 'dropped' })).toBe(2); // expired + reply_to
    expect(await popReply(redis, list)).not.toBeNull(); // refusals are still answered
  });

  it('keeps its series bounded whatever patterns and keys callers invent', async () => {
    const before = (await registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
    for (let i = 0; i < 200; i++) {
      await rawRequest(
        redis,
        { pattern: `mfa.${randomUUID()}`, data: '{}', id: randomUUID(), deadline: FAR() },
        { keyId: `svc-${randomUUID()}`, secret: 's' },
      );
    }
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 0);
    const after = (await registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
    expect(after - before).toBeLessThanOrEqual(2); // at most the first (unknown, unauthenticated) series
    expect(await value('bus_rejected_total', { reason: 'unknown_key' })).toBeGreaterThanOrEqual(200);
  });

  it("refuses patterns named after Object.prototype's members or huge; a service key's JSON-quoted pattern too", async () => {
    const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'p'.repeat(512)];
    // a JSON spelling of a pattern reaches its handler through Nest's lookup: the platform's key may, a service key may not
    const quoted = ['"mfa.internal.ping"', '"mfa.verify"', '["mfa.verify"]'];
    const internal = { code: 'forbidden', message: expect.stringMatching(/an internal pattern; service keys may not send it$/) };
    for (const [creds, patterns, expected] of [
      [SERVICE, [...hostile, ...quoted], internal],
      [TEST_CREDENTIALS, hostile, { code: 'unknown_pattern' }],
    ] as const) {
      for (const pattern of patterns) {
        const list = `bus:reply:${creds.keyId}:${randomUUID()}`;
        await rawRequest(redis, { pattern, data: '{}', replyTo: list, id: randomUUID(), deadline: FAR() }, creds);
        const reply = await popReply(redis, list);
        expect([pattern, reply]).toEqual([pattern, expect.objectContaining({ ok: false, error: expect.objectContaining(expected) })]);
      }
    }
    expect(await value('bus_requests_total', { pattern: '__proto__' })).toBe(0);
  });

  it('reports the consumer up while it reads, down once closed', async () => {
    const server = (app as unknown as { serverInstance: RedisStreamsServer }).serverInstance;
    expect(server.consuming).toBe(true);
    const other = await startService({ consumerName: 'metrics-spec-2' });
    const second = (other as unknown as { serverInstance: RedisStreamsServer }).serverInstance;
    await waitFor(() => second.consuming);
    await other.close();
    expect(second.consuming).toBe(false);
  });
});
