import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { NestFactory } from '@nestjs/core';
import { Bus } from './bus';
import { BusClient } from './bus.client';
import { BusModule } from './bus.module';
import { MfaClient, partitionOf } from '@mfa-platform/client';
import { RedisStreamsServer } from './redis-streams.server';
import type { PrefetchReads } from './prefetch';
import { BUS_CLIENT, replySignedBy, signReply } from './wire';
import {
  calls,
  MFA_STREAM,
  PLATFORM_SECRET,
  replyList,
  TEST_CREDENTIALS,
  popReply,
  flushRedis,
  rawRedis,
  rawRequest,
  REDIS_URL,
  startService,
  waitFor,
} from './testing/bus.fixtures';

const FAR = String(Date.now() + 240_000); // within the 300 s a deadline may be ahead; outlives the suite
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let redis: Redis;
let apps: INestMicroservice[] = [];
let clients: BusClient[] = [];

async function start(opts?: Parameters<typeof startService>[0]) {
  const app = await startService(opts);
  apps.push(app);
  return app;
}
function newBus(timeoutMs?: number) {
  const client = new BusClient({ redisUrl: REDIS_URL, timeoutMs, credentials: TEST_CREDENTIALS });
  clients.push(client);
  return new Bus(client);
}
const pending = async () => ((await redis.xpending(MFA_STREAM, 'mfa')) as [number])[0];
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );

beforeAll(async () => {
  redis = rawRedis();
  await flushRedis(redis);
});
afterAll(() => redis.quit());
beforeEach(async () => {
  calls.length = 0;
  await flushRedis(redis); // the stream, and replay marks of ids the specs reuse
});
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(clients.map((c) => c.close()));
  apps = [];
  clients = [];
});

describe('request/reply', () => {
  it('round-trips through Bus, ClientProxy.send and validates the payload (unknown fields refused)', async () => {
    await start();
    const bus = newBus();
    await expect(bus.send('mfa.internal.ping', {})).resolves.toEqual({ pong: true });
    const accountId = randomUUID();
    const reply = await bus.send('mfa.devices.list', { accountId });
    expect(reply).toEqual({ items: [], accountId, isDto: true, keys: ['accountId'] });
    await expect(bus.send('mfa.devices.list', { accountId, extra: 'x' } as never)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('extra'),
    });
    await expect(lastValueFrom(bus.client.send('mfa.internal.ping', {}))).resolves.toEqual({ pong: true });
    // acked and deleted (on a cluster the XACK follows the reply, not in its MULTI)
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 0);
    expect(await pending()).toBe(0);
  });

  it('answers 500 requests exactly once across two instances, both doing work', async () => {
    await start({ consumerName: 'inst-a' });
    await start({ consumerName: 'inst-b' });
    const bus = newBus(20000);
    const replies = await Promise.all(Array.from({ length: 500 }, () => bus.send('mfa.internal.ping', {})));
    expect(replies.every((r) => r.pong === true)).toBe(true);
    expect(calls).toHaveLength(500);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(500);
    const byConsumer = new Set(calls.map((c) => c.consumer));
    expect([...byConsumer].sort()).toEqual(['inst-a', 'inst-b']);
    expect(await pending()).toBe(0);
  });

  it('serves a request sent while no instance ran once one starts', async () => {
    const bus = newBus(10000);
    const reply = bus.send('mfa.internal.ping', {});
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 1);
    await start();
    await expect(reply).resolves.toEqual({ pong: true });
    expect(calls).toHaveLength(1);
  });

  it('claims an entry a dead instance read but never answered, after claimIdleMs', async () => {
    await redis.xgroup('CREATE', MFA_STREAM, 'mfa', '0', 'MKSTREAM');
    const list = replyList();
    await rawRequest(redis, { id: 'orphan', pattern: 'mfa.internal.ping', data: '{}', replyTo: list, deadline: FAR });
    const stolen = await redis.xreadgroup('GROUP', 'mfa', 'dead-instance', 'COUNT', 10, 'STREAMS', MFA_STREAM, '>');
    expect(stolen).not.toBeNull();
    const t0 = Date.now();
    await start({ claimIdleMs: 300 });
    const raw = (await redis.blpop(list, 5))![1];
    expect(JSON.parse(raw)).toEqual({ id: 'orphan', ok: true, data: { pong: true }, sig: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(replySignedBy(PLATFORM_SECRET, raw)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // not before it looked abandoned
    expect(calls.map((c) => c.requestId)).toEqual(['orphan']);
    await waitFor(async () => (await pending()) === 0);
  });

  it('a client takes only replies signed with its key: a reply forged into its list is ignored', async () => {
    await start();
    const bus = newBus();
    const answer = bus.send('mfa.devices.resync', { ms: 400 } as never);
    const [, fields] = await waitFor(async () => ((await redis.xrange(MFA_STREAM, '-', '+')) as Array<[string, string[]]>)[0]);
    const id = fields[fields.indexOf('id') + 1];
    await redis.rpush(bus.client.replyList, JSON.stringify({ id, ok: true, data: { slept: 'forged' } }));
    await redis.rpush(bus.client.replyList, signReply('a-guessed-secret', JSON.stringify({ id, ok: true, data: { slept: 'forged' } })));
    await expect(answer).resolves.toEqual({ slept: 400 });
  });

  it('dead-letters and answers an entry two consumers died on; it is never handed out a third time', async () => {
    await redis.xgroup('CREATE', MFA_STREAM, 'mfa', '0', 'MKSTREAM');
    const list = replyList();
    const entryId = await rawRequest(redis, { id: 'poison', pattern: 'mfa.internal.ping', data: '{}', replyTo: list, deadline: FAR });
    await redis.xreadgroup('GROUP', 'mfa', 'died-once', 'COUNT', 10, 'STREAMS', MFA_STREAM, '>');
    await redis.xclaim(MFA_STREAM, 'mfa', 'died-twice', 0, entryId); // a claimer that died on it too
    await start({ claimIdleMs: 200 });
    const raw = (await redis.blpop(list, 5))![1];
    expect(JSON.parse(raw)).toMatchObject({
      id: 'poison',
      ok: false,
      error: { code: 'internal', message: expect.stringMatching(/^dead-lettered/) },
    });
    expect(replySignedBy(PLATFORM_SECRET, raw)).toBe(true); // so the caller's client takes it
    expect(calls.map((c) => c.requestId)).not.toContain('poison');
    const dead = (await redis.xrange('bus:mfa:dead', '-', '+')) as Array<[string, string[]]>;
    expect(dead).toHaveLength(1);
    expect(dead[0][1]).toEqual(expect.arrayContaining(['entryId', entryId, 'id', 'poison', 'pattern', 'mfa.internal.ping']));
    await waitFor(async () => (await pending()) === 0 && (await redis.xlen(MFA_STREAM)) === 0);
  });

  it('drops an entry past its deadline unhandled', async () => {
    const list = replyList();
    await rawRequest(redis, { id: 'late', pattern: 'mfa.internal.ping', data: '{}', replyTo: list, deadline: String(Date.now() - 1) });
    await start();
    await expect(newBus().send('mfa.internal.ping', {})).resolves.toEqual({ pong: true });
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 0);
    expect(await redis.llen(list)).toBe(0);
    expect(calls.map((c) => c.requestId)).not.toContain('late');
    expect(await pending()).toBe(0);
  });
});

describe('bad input and handler errors', () => {
  const d = { deadline: FAR };
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ['no id', { pattern: 'mfa.internal.ping', data: '{}', ...d }, 'validation_failed', /^id: /],
    ['no pattern', { id: 'x', data: '{}', ...d }, 'validation_failed', /^pattern: /],
    ['no deadline', { id: 'x', pattern: 'mfa.internal.ping', data: '{}' }, 'validation_failed', /^deadline: /],
    ['an unknown pattern', { id: 'x', pattern: 'mfa.nope', data: '{}', ...d }, 'unknown_pattern', /mfa\.nope/],
    ['data not JSON', { id: 'x', pattern: 'mfa.internal.ping', data: '{nope', ...d }, 'validation_failed', /^data: /],
    [
      'data failing validation',
      { id: 'x', pattern: 'mfa.devices.list', data: '{"accountId":5}', ...d },
      'validation_failed',
      /^accountId: accountId must be a UUID$/,
    ],
  ];

  it.each(cases)('answers an entry with %s with an error reply', async (_name, fields, code, message) => {
    await start();
    const list = replyList();
    await rawRequest(redis, { ...fields, replyTo: list });
    const reply = await popReply(redis, list);
    expect(reply).toMatchObject({ id: fields.id ?? null, ok: false, error: { code } });
    expect(reply.error.message).toMatch(message);
    await expect(newBus().send('mfa.internal.ping', {})).resolves.toEqual({ pong: true }); // still serving
    expect(calls.filter((c) => c.requestId === 'x')).toHaveLength(0);
    await waitFor(async () => (await pending()) === 0);
  });

  it('answers a backlog of huge entries validation_failed, never parsing them, and keeps serving', async () => {
    const list = replyList();
    const huge = 'x'.repeat(6 * 1024 * 1024);
    for (let i = 0; i < 12; i++)
      await rawRequest(redis, { id: `big${i}`, pattern: 'mfa.internal.ping', data: huge, replyTo: list, deadline: FAR }, null);
    await start();
    for (let i = 0; i < 12; i++)
      expect(await popReply(redis, list)).toMatchObject({ ok: false, error: { code: 'validation_failed', message: /^data: larger than/ } });
    await expect(newBus().send('mfa.internal.ping', {})).resolves.toEqual({ pong: true });
  });

  it('names every bad field, nested ones by path and index', async () => {
    await start();
    const bus = newBus();
    const err = await failure(
      bus.send('mfa.internal.devices.summary', {
        orgId: 'nope',
        members: [{ email: 'a@b.co' }, { email: 'bad', displayName: 'far too long' }],
      } as never),
    );
    expect(err.code).toBe('validation_failed');
    expect(err.message).toContain('orgId: orgId must be a UUID');
    expect(err.message).toContain('members.1.email: email must be an email');
    expect(err.message).toContain('members.1.displayName: displayName must be shorter than or equal to 10 characters');
    expect(err.message).not.toContain('members.0');
  });

  it('acks a bad entry without replyTo and keeps serving', async () => {
    await start();
    await rawRequest(redis, { id: 'x', pattern: 'mfa.internal.ping', data: '{nope', deadline: FAR });
    await waitFor(async () => (await redis.xlen(MFA_STREAM)) === 0);
    await expect(newBus().send('mfa.internal.ping', {})).resolves.toEqual({ pong: true });
  });

  it('maps AppError to its code, plain errors to internal with a logged errorId', async () => {
    await start();
    const bus = newBus();
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await expect(failure(bus.send('mfa.sms.send', { accountId: 'a', serialNumber: 's' }))).resolves.toMatchObject({
        name: 'AppError',
        code: 'invalid_code',
        message: 'wrong code',
      });
      await expect(failure(bus.send('mfa.verify', { accountId: 'a', code: '1' }))).resolves.toMatchObject({
        code: 'locked_out',
        message: 'locked out',
      });
      const list = replyList();
      await rawRequest(redis, { id: 'b', pattern: 'mfa.sessions.jwks', data: '{}', replyTo: list, deadline: FAR });
      const reply = await popReply(redis, list);
      expect(reply).toMatchObject({ id: 'b', ok: false, error: { code: 'internal' } });
      expect(reply.error.errorId).toMatch(UUID);
      expect(reply.error.message).not.toContain('boom'); // no internals leak to callers
      const lines = logged.mock.calls.map((c) => c.join(' '));
      expect(lines.some((l) => l.includes(reply.error.errorId) && l.includes('boom: a bug') && l.includes('at '))).toBe(true);
      const viaBus = await failure(bus.send('mfa.sessions.jwks', {}));
      expect(viaBus).toMatchObject({ code: 'internal', errorId: expect.stringMatching(UUID) });
    } finally {
      logged.mockRestore();
    }
  });
});

describe('client', () => {
  it('times out with no server, fails unknown owners at once', async () => {
    const bus = newBus();
    const t0 = Date.now();
    await expect(failure(bus.send('mfa.internal.ping', {}, { timeoutMs: 150 }))).resolves.toMatchObject({ code: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    const t1 = Date.now();
    await expect(failure(bus.send('nobody.ping' as never, {} as never))).resolves.toMatchObject({ code: 'unknown_pattern' });
    expect(Date.now() - t1).toBeLessThan(50);
  });

  it('ignores a late reply and keeps serving', async () => {
    await start();
    const bus = newBus();
    await expect(failure(bus.send('mfa.devices.resync', { ms: 400 } as never, { timeoutMs: 100 }))).resolves.toMatchObject({
      code: 'timeout',
    });
    await new Promise((r) => setTimeout(r, 400)); // the late reply lands on our list
    await expect(bus.send('mfa.internal.ping', {})).resolves.toEqual({ pong: true });
  });
});

describe('close', () => {
  it('finishes the batch in flight, writes its replies, then stops reading', async () => {
    const app = await start();
    const bus = newBus();
    const slow = bus.send('mfa.devices.resync', { ms: 300 } as never);
    await waitFor(() => calls.length === 1);
    const closing = app.close();
    await expect(slow).resolves.toEqual({ slept: 300 });
    await closing;
    apps = [];
    expect(await pending()).toBe(0);
    await expect(failure(bus.send('mfa.internal.ping', {}, { timeoutMs: 300 }))).resolves.toMatchObject({ code: 'timeout' });
    expect(calls).toHaveLength(1);
  });

  it('BusModule.forRoot provides a connected Bus and closes it with the app', async () => {
    await start();
    const ctx = await NestFactory.createApplicationContext(BusModule.forRoot({ redisUrl: REDIS_URL, credentials: TEST_CREDENTIALS }), {
      logger: false,
    });
    await ctx.init();
    const bus = ctx.get(Bus);
    expect(ctx.get(BUS_CLIENT)).toBe(bus.client);
    await expect(bus.send('mfa.internal.ping', {})).resolves.toEqual({ pong: true });
    await ctx.close();
    expect(bus.client.unwrap()).toBeUndefined();
  });

  it('rejects requests in flight when the client closes', async () => {
    const bus = newBus();
    const inFlight = failure(bus.send('mfa.internal.ping', {}));
    await new Promise((r) => setTimeout(r, 20));
    await bus.client.close();
    await expect(inFlight).resolves.toMatchObject({ code: 'unavailable' });
  });
});

describe('partitions (BUS_PARTITIONS)', () => {
  it('reads every partition and the unpartitioned stream; a client puts an account on the partition its id hashes to', async () => {
    await start({ partitions: 3 });
    const client = new BusClient({ redisUrl: REDIS_URL, credentials: TEST_CREDENTIALS, partitions: 3 });
    clients.push(client);
    const bus = new Bus(client);
    const accounts = Array.from({ length: 12 }, () => randomUUID());
    await Promise.all(accounts.map((accountId) => bus.send('mfa.devices.list', { accountId })));
    const expected = accounts.map((a) => `bus:mfa:requests:${partitionOf(a, 3)}`);
    expect(calls.map((c) => c.stream).sort()).toEqual([...expected].sort());
    expect(new Set(expected).size).toBeGreaterThan(1); // 12 random accounts spread (1 in 3^11 they all hash alike)
    // a sender that knows nothing of partitions is still served, from the unpartitioned stream
    calls.length = 0;
    await expect(newBus().send('mfa.devices.list', { accountId: accounts[0] })).resolves.toMatchObject({ accountId: accounts[0] });
    expect(calls.map((c) => c.stream)).toEqual([MFA_STREAM]);
    for (const stream of [MFA_STREAM, 'bus:mfa:requests:0', 'bus:mfa:requests:1', 'bus:mfa:requests:2'])
      await waitFor(async () => (await redis.xlen(stream)) === 0); // acked and deleted on every one
  });

  it('puts an upper-case account id on the partition of its lower-case spelling, from MfaClient and BusClient alike', async () => {
    // an id whose two spellings hash to different partitions: hashed as given, they would part
    const hashed = (id: string) => createHash('sha256').update(id).digest().readUInt32BE(0) % 3;
    let lower = randomUUID();
    while (hashed(lower) === hashed(lower.toUpperCase())) lower = randomUUID();
    const upper = lower.toUpperCase();
    const busClient = new BusClient({ redisUrl: REDIS_URL, credentials: TEST_CREDENTIALS, partitions: 3, timeoutMs: 300 });
    clients.push(busClient);
    const mfaClient = new MfaClient({ redisUrl: REDIS_URL, keyId: 'k1', secret: 's3cret', partitions: 3, timeoutMs: 300, retries: 0 });
    // no server reads the partitions: both calls time out, their entries stay where they were put
    await expect(new Bus(busClient).send('mfa.devices.list', { accountId: upper })).rejects.toMatchObject({ code: 'timeout' });
    await expect(mfaClient.devices.list({ accountId: upper })).rejects.toMatchObject({ code: 'timeout' });
    await mfaClient.close();
    const lengths = await Promise.all([0, 1, 2].map((n) => redis.xlen(`bus:mfa:requests:${n}`)));
    expect(lengths[partitionOf(lower, 3)]).toBe(2);
    expect(lengths.reduce((a, b) => a + b)).toBe(2);
  });

  it('refuses a partition count outside 1..64', () => {
    for (const partitions of [0, 65, 1.5])
      expect(() => new RedisStreamsServer({ redisUrl: REDIS_URL, service: 'mfa', platformSecret: PLATFORM_SECRET, partitions })).toThrow(
        'partitions must be 1..64',
      );
  });
});

describe('handler lookup', () => {
  const server = () => new RedisStreamsServer({ redisUrl: REDIS_URL, service: 'mfa', platformSecret: PLATFORM_SECRET });

  it("finds a plain string pattern without Nest's JSON.parse; other patterns resolve as Nest resolves them", () => {
    const s = server();
    const verify = jest.fn();
    const byObject = jest.fn();
    s.addHandler('mfa.verify', verify);
    s.addHandler({ cmd: 'sum', v: 1 }, byObject);
    const route = jest.spyOn(s as unknown as { getRouteFromPattern(p: string): string }, 'getRouteFromPattern');
    expect(s.getHandlerByPattern('mfa.verify')).toBe(verify);
    expect(route).not.toHaveBeenCalled();
    // not registered as written: Nest's lookup, JSON and all
    expect(s.getHandlerByPattern('"mfa.verify"')).toBe(verify);
    expect(s.getHandlerByPattern('{"v":1,"cmd":"sum"}')).toBe(byObject);
    expect(s.getHandlerByPattern('mfa.nope')).toBeNull();
    expect(s.getHandlerByPattern('{not json')).toBeNull();
    expect(route).toHaveBeenCalledTimes(4);
  });
});

describe('prefetch (BUS_PREFETCH)', () => {
  it("hands a signed entry's read to its handler; never starts one for a bad signature, never hands a refused entry's on", async () => {
    const started: unknown[] = [];
    const prefetch = new Map([
      [
        'mfa.devices.list',
        (data: unknown, reads: PrefetchReads) => {
          started.push(data);
          const accountId = (data as { accountId?: unknown }).accountId;
          return { for: accountId, read: reads.hmget(`k:${String(accountId)}`, 'f') };
        },
      ],
    ]);
    await start({ prefetch });
    const accountId = randomUUID();
    await newBus().send('mfa.devices.list', { accountId });
    await redis.hset(`k:${accountId}`, 'f', 'v');
    await newBus().send('mfa.devices.list', { accountId });
    await newBus().send('mfa.internal.ping', {});
    expect(calls.map((c) => [c.pattern, c.prefetched])).toEqual([
      ['mfa.devices.list', { for: accountId, read: expect.any(Promise) }],
      ['mfa.devices.list', { for: accountId, read: expect.any(Promise) }],
      ['mfa.internal.ping', undefined], // a pattern without a prefetcher
    ]);
    // each read went out with its entry's replay mark, before the handler ran
    expect(await (calls[0].prefetched as { read: Promise<unknown> }).read).toEqual([null]);
    expect(await (calls[1].prefetched as { read: Promise<unknown> }).read).toEqual(['v']);
    expect(started).toEqual([{ accountId }, { accountId }]);

    const list = replyList();
    const entry = { pattern: 'mfa.devices.list', data: JSON.stringify({ accountId }), replyTo: list, deadline: FAR };
    await rawRequest(redis, { ...entry, id: 'forged', keyId: TEST_CREDENTIALS.keyId, sig: 'ab'.repeat(32) });
    expect(await popReply(redis, list)).toMatchObject({ id: 'forged', ok: false, error: { code: 'unauthenticated' } });
    expect(started).toHaveLength(2);
    // a replay: its signature holds, so its read starts, but its handler never runs
    await rawRequest(redis, { ...entry, id: 'twice' });
    expect(await popReply(redis, list)).toMatchObject({ id: 'twice', ok: true });
    await rawRequest(redis, { ...entry, id: 'twice' });
    expect(await popReply(redis, list)).toMatchObject({ id: 'twice', ok: false, error: { message: expect.stringMatching(/replay/) } });
    expect(started).toHaveLength(4);
    expect(calls.filter((c) => c.requestId === 'twice')).toHaveLength(1);
    // data that is not JSON: refused as without a prefetcher, nothing started
    await rawRequest(redis, { ...entry, id: 'junk', data: '{nope' });
    expect(await popReply(redis, list)).toMatchObject({ id: 'junk', ok: false, error: { code: 'validation_failed', message: /^data: / } });
    expect(started).toHaveLength(4);
  });
});
