import { Redis } from 'ioredis';
import { generateSync } from 'otplib';
import { BusServices, InternalPatterns, Patterns, type CreateTotpDeviceReply } from '@mfa/contracts';
import { addMembers } from '../../bench/lib/fixture';
import { closedLoop } from '../../bench/lib/load';
import { requestFields, replyPrefixOf } from '@mfa/bus';
import { Deployment } from './deployment';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(200);
  }
}

describe('faults (real processes)', () => {
  const system = new Deployment();
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL!);
    await system.start({ MFA_MAX_FAILURES: '5', MFA_LOCKOUT_SECONDS: '900' });
  });
  afterAll(async () => {
    await system.stop();
    redis.disconnect();
  });

  /** A member of a new org with an enabled TOTP device (the two previous steps used), and the code of now. */
  async function enrolledMember(prefix: string): Promise<{ accountId: string; right: string }> {
    const { orgId, admin } = await system.newOrg();
    const [accountId] = await addMembers(admin, orgId, 1, prefix);
    const device = (await system.bus.send(Patterns.MfaDevicesCreate, { accountId, type: 'totp', name: 'phone' })) as CreateTotpDeviceReply;
    const now = Math.floor(Date.now() / 1000);
    const code = (t: number) => generateSync({ secret: device.secretBase32, epoch: t });
    await system.bus.send(Patterns.MfaDevicesEnable, {
      accountId,
      serialNumber: device.serialNumber,
      code1: code(now - 60),
      code2: code(now - 30),
    });
    return { accountId, right: code(now) };
  }

  const reply = (i: number) => `${replyPrefixOf(system.credentials.keyId)}chaos:${i}`;

  it('an mfa-service instance killed with requests in flight: every request answered exactly once', async () => {
    const survivor = await system.add('mfa-service');
    const victim = system.instances('mfa-service')[0];
    const total = 20_000;
    const deadline = String(Date.now() + 60_000);
    const pipeline = redis.pipeline();
    for (let i = 0; i < total; i++) {
      pipeline.xadd(
        BusServices.mfa.stream,
        '*',
        ...requestFields(system.credentials, `k${i}`, InternalPatterns.MfaPing, {}, reply(i), Number(deadline)),
      );
    }
    await pipeline.exec();
    await wait(30);
    await victim.stop(true); // SIGKILL: no clean shutdown, entries it read stay pending

    // the survivor claims what the victim read but never answered (after the claim idle time)
    await until(
      async () => {
        const pending = await redis.xpending(BusServices.mfa.stream, BusServices.mfa.group);
        const length = await redis.xlen(BusServices.mfa.stream);
        return Number(pending[0]) === 0 && length === 0 ? true : undefined;
      },
      60_000,
      'the stream to drain',
    );

    const lengths = redis.pipeline();
    for (let i = 0; i < total; i++) lengths.llen(reply(i));
    const counts = (await lengths.exec())!.map(([, n]) => Number(n));
    expect(counts.filter((n) => n === 0).length).toBe(0);
    expect(counts.filter((n) => n > 1).length).toBe(0);
    expect(survivor.pid).toBeGreaterThan(0);
  });

  it('a 48 MB entry, signed or not, is answered validation_failed by a 128 MB-heap service that keeps its pid and keeps serving', async () => {
    const mfa = system.instances('mfa-service')[0];
    const pid = mfa.pid;
    const data = '[' + '{},'.repeat(16_000_000) + '{}]';
    for (const [i, signed] of [
      [0, true],
      [1, false],
    ] as const) {
      const fields = signed
        ? requestFields(system.credentials, `huge${i}`, Patterns.MfaDevicesList, null, reply(900_000 + i), Date.now() + 30_000)
        : ['id', `huge${i}`, 'pattern', Patterns.MfaDevicesList, 'replyTo', reply(900_000 + i), 'deadline', String(Date.now() + 30_000)];
      const at = fields.indexOf('data');
      if (at >= 0) fields[at + 1] = data;
      else fields.push('data', data);
      await redis.xadd(BusServices.mfa.stream, '*', ...fields);
      const popped = await redis.blpop(reply(900_000 + i), 30);
      expect(JSON.parse(popped![1])).toMatchObject({ id: `huge${i}`, ok: false, error: { code: 'validation_failed' } });
    }
    expect(await system.bus.send(InternalPatterns.MfaPing, {})).toEqual({ pong: true });
    expect(mfa.pid).toBe(pid);
  });

  it('1,000 wrong codes: locked out after the limit, and the right code is refused while locked', async () => {
    const { accountId, right } = await enrolledMember('lock');
    const wrong = (i: number) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
    const inFlight = 20;
    const answers: string[] = [];
    const result = await closedLoop(1000, inFlight, async (i) => {
      const reply = await system.bus.send(Patterns.MfaVerify, { accountId, code: wrong(i) });
      answers.push(reply.valid ? 'valid' : reply.reason);
    });
    expect(result.errors).toBe(0);
    expect(answers).not.toContain('valid');
    // failures are counted one at a time: the first 5 answer invalid_code, and every request
    // after them, even one that raced the lockout's start, answers locked_out
    expect(answers.filter((a) => a === 'invalid_code')).toHaveLength(5);
    expect(answers.filter((a) => a === 'locked_out')).toHaveLength(995);

    expect(await system.bus.send(Patterns.MfaVerify, { accountId, code: right })).toEqual({ valid: false, reason: 'locked_out' });
  });

  it('the same code sent 50 times at once to two instances: exactly 1 accepted', async () => {
    while (system.instances('mfa-service').filter((s) => s.running).length < 2) await system.add('mfa-service');
    const { accountId, right: same } = await enrolledMember('replay');
    const replies = await Promise.all(Array.from({ length: 50 }, () => system.bus.send(Patterns.MfaVerify, { accountId, code: same })));
    expect(replies.filter((r) => r.valid)).toHaveLength(1);
    // the replays count as failures: 5 invalid_code, then the lockout answers the rest
    expect(replies.filter((r) => !r.valid && r.reason === 'invalid_code')).toHaveLength(5);
    expect(replies.filter((r) => !r.valid && r.reason === 'locked_out')).toHaveLength(44);
  });

  it('Postgres unreachable for a while: clear errors, nothing half-written, recovery without a restart', async () => {
    const { orgId, admin } = await system.newOrg();
    await addMembers(admin, orgId, 3, 'pg');
    const before = await admin.call<{ version: number }>('GET', `/v1/orgs/${orgId}/mfa-policy`);
    const pids = system.services.map((s) => s.pid);

    await system.proxy.cut();
    const health = await fetch(`${system.platform.baseUrl}/health`);
    expect(health.status).toBe(503);

    const started = Date.now();
    const put = await fetch(`${system.platform.baseUrl}/v1/orgs/${orgId}/mfa-policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] }),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(put.status).toBeGreaterThanOrEqual(500);
    const body = (await put.json()) as { code?: unknown; message?: unknown };
    expect(typeof body.code).toBe('string');
    expect(typeof body.message).toBe('string');

    await expect(system.bus.send(Patterns.AccountsGet, { accountId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      code: expect.stringMatching(/unavailable|internal|timeout/),
    });

    await system.proxy.restore();
    const after = await until(
      async () => {
        const res = await fetch(`${system.platform.baseUrl}/v1/orgs/${orgId}/mfa-policy`, {
          headers: { authorization: `Bearer ${admin.key}` },
        });
        return res.ok ? ((await res.json()) as { version: number }) : undefined;
      },
      30_000,
      'org-service to reach Postgres again',
    );
    expect(after.version).toBe(before.version);
    await until(async () => ((await fetch(`${system.platform.baseUrl}/health`)).ok ? true : undefined), 30_000, 'health');
    expect((await system.bus.send(InternalPatterns.AccountsPing, {})).pong).toBe(true);
    const members = await admin.call<{ items: unknown[] }>('GET', `/v1/orgs/${orgId}/members`);
    expect(members.items).toHaveLength(3);
    expect(system.services.map((s) => s.pid)).toEqual(pids);
  });
});
