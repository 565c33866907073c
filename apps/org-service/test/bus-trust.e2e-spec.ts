import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { type Bus, replyPrefixOf, signEntry } from '@mfa/bus';
import { InternalPatterns, type BusPattern, type ReplyOf, type RequestOf } from '@mfa/contracts';
import {
  addMember,
  createApiKey,
  createOrg,
  createServiceKey,
  memberServiceBus,
  startTestServices,
  type TestOrg,
  type TestServiceKey,
  type TestServices,
  waitFor,
} from '@test/support';
import { memberServiceRule, generatePassword, dbOfUrl } from '../../../tools/redis-acl';

/**
 * The trust model on the bus (docs/security.md): service keys made by org admins, every entry
 * signed, bound to the key's org and scopes, replay and far deadlines refused, replyTo confined.
 */
let s: TestServices;
let redis: Redis;
let orgA: TestOrg;
let orgB: TestOrg;
let keyA: TestServiceKey;
let memberA: string;
let memberB: string;
const closers: Array<() => Promise<void>> = [];

function busOf(key: TestServiceKey, extra = {}): Bus {
  const m = memberServiceBus(key, extra);
  closers.push(m.close);
  return m.bus;
}
const failure = (p: Promise<unknown>) =>
  p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e) => e,
  );
const send = <P extends BusPattern>(bus: Bus, pattern: P, data: RequestOf<P>): Promise<ReplyOf<P>> => bus.send(pattern, data);

/** XADD by hand, as a member service in another language would; signed with `key` unless `sig` is given. */
async function raw(fields: Record<string, string>, key: TestServiceKey | null = keyA, stream = 'bus:accounts:requests'): Promise<void> {
  const f: Record<string, string> = { deadline: String(Date.now() + 10_000), ...fields };
  if (key && !f.sig) {
    f.keyId ??= key.id;
    f.sig = signEntry(key.secret, f.id ?? '', f.pattern ?? '', f.deadline, f.replyTo ?? '', f.data ?? '');
  }
  await redis.xadd(stream, '*', ...Object.entries(f).flat());
}
async function replyOn(list: string, seconds = 5): Promise<any> {
  const res = await redis.blpop(list, seconds);
  return res ? JSON.parse(res[1]) : null;
}

beforeAll(async () => {
  s = await startTestServices();
  redis = new Redis(process.env.REDIS_URL!, { protocol: 2 });
  orgA = await createOrg(s.orgUrl, s.platformKey);
  orgB = await createOrg(s.orgUrl, s.platformKey);
  keyA = await createServiceKey(s.orgUrl, orgA);
  memberA = (await addMember(s.orgUrl, orgA)).id;
  memberB = (await addMember(s.orgUrl, orgB)).id;
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  redis.disconnect();
  await s.close();
});

describe('service keys over the admin API', () => {
  const path = (org: TestOrg) => `/v1/orgs/${org.id}/service-keys`;

  it('shows the secret once, lists keys without it, and audits creation and revocation', async () => {
    expect(keyA).toMatchObject({
      id: expect.any(String),
      name: expect.any(String),
      scopes: ['verify', 'enroll', 'recovery', 'sessions', 'authorize'],
      secret: expect.stringMatching(/^mfask_/),
    });
    const auditor = await createApiKey(s.orgUrl, orgA, 'auditor');
    const list = await request(s.orgUrl)
      .get(path(orgA))
      .set({ Authorization: `Bearer ${auditor.key}` });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(expect.objectContaining({ id: keyA.id, revokedAt: null }));
    expect(JSON.stringify(list.body)).not.toContain(keyA.secret);
    const k = await createServiceKey(s.orgUrl, orgA, ['verify']);
    expect(
      (
        await request(s.orgUrl)
          .delete(`${path(orgA)}/${k.id}`)
          .set(orgA.auth)
      ).status,
    ).toBe(204);
    const audit = await request(s.orgUrl).get(`/v1/orgs/${orgA.id}/audit-events`).set(orgA.auth);
    const actions = audit.body.items.filter((e: any) => e.target.id === k.id).map((e: any) => e.action);
    expect(actions.sort()).toEqual(['service_key.created', 'service_key.revoked']);
    expect(JSON.stringify(audit.body)).not.toContain(k.secret);
  });

  it('refuses auditors writing, other orgs, no key, and bad or hostile bodies', async () => {
    const auditor = await createApiKey(s.orgUrl, orgA, 'auditor');
    expect(
      (
        await request(s.orgUrl)
          .post(path(orgA))
          .set({ Authorization: `Bearer ${auditor.key}` })
          .send({ name: 'x' })
      ).status,
    ).toBe(403);
    expect((await request(s.orgUrl).get(path(orgA)).set(orgB.auth)).status).toBe(404);
    expect((await request(s.orgUrl).post(path(orgA)).set(orgB.auth).send({ name: 'x' })).status).toBe(404);
    expect(
      (
        await request(s.orgUrl)
          .delete(`${path(orgA)}/${keyA.id}`)
          .set(orgB.auth)
      ).status,
    ).toBe(404);
    expect(
      (
        await request(s.orgUrl)
          .delete(`${path(orgB)}/${keyA.id}`)
          .set(orgB.auth)
      ).status,
    ).toBe(404); // A's key through B's org
    expect((await request(s.orgUrl).get(path(orgA))).status).toBe(401);
    expect((await request(s.orgUrl).post(path(orgA)).send({ name: 'x' })).status).toBe(401);
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(101) },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['root'] },
      { name: 'x', scopes: 'verify' },
    ]) {
      const res = await request(s.orgUrl).post(path(orgA)).set(orgA.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const huge = await request(s.orgUrl)
      .post(path(orgA))
      .set(orgA.auth)
      .send({ name: 'x'.repeat(200_000) });
    expect([400, 413]).toContain(huge.status);
  });

  it('keeps at most 100 keys in force per org', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    for (let i = 0; i < 100; i++) await createServiceKey(s.orgUrl, org, ['verify']);
    const over = await request(s.orgUrl).post(path(org)).set(org.auth).send({ name: 'one too many' });
    expect([over.status, over.body.code]).toEqual([409, 'conflict']);
    const { body } = await request(s.orgUrl).get(path(org)).set(org.auth);
    expect(
      (
        await request(s.orgUrl)
          .delete(`${path(org)}/${body.items[0].id}`)
          .set(org.auth)
      ).status,
    ).toBe(204);
    expect((await request(s.orgUrl).post(path(org)).set(org.auth).send({ name: 'after a revoke' })).status).toBe(201);
  });
});

describe('a member service on the bus', () => {
  it("reaches its own org's members and nothing of another org, exactly as if it did not exist", async () => {
    const bus = busOf(keyA);
    await expect(send(bus, 'accounts.get', { accountId: memberA })).resolves.toMatchObject({ id: memberA, orgId: orgA.id });
    const foreign = await failure(send(bus, 'accounts.get', { accountId: memberB }));
    const unknown = await failure(send(bus, 'accounts.get', { accountId: randomUUID() }));
    expect([foreign.code, foreign.message]).toEqual(['not_found', unknown.message]);
    await expect(send(bus, 'accounts.authorize', { accountId: memberB })).resolves.toEqual({
      allowed: false,
      reason: 'unknown_account',
      enforcement: null,
    });
    await expect(send(bus, 'accounts.get', { accountId: memberA.toUpperCase() })).resolves.toMatchObject({ id: memberA });
    await expect(failure(send(bus, 'mfa.devices.list', { accountId: 'not-a-uuid' }))).resolves.toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/^accountId/),
    });
    await expect(send(bus, 'mfa.devices.list', { accountId: memberA })).resolves.toEqual({ items: [] });
    for (const [pattern, data] of [
      ['mfa.devices.list', { accountId: memberB }],
      ['mfa.devices.create', { accountId: memberB, type: 'totp', name: 'attacker' }],
      ['mfa.verify', { accountId: memberB, code: '123456' }],
      ['mfa.sessions.issue', { accountId: memberB, code: '123456' }],
      ['mfa.sessions.revoke', { accountId: memberB }],
      ['mfa.recovery-codes.generate', { accountId: memberB }],
    ] as const) {
      const err = await failure(bus.send(pattern, data));
      expect([pattern, err.code]).toEqual([pattern, 'not_found']);
    }
  });

  it('may send no internal pattern, and only the patterns of its scopes', async () => {
    const bus = busOf(keyA);
    for (const pattern of Object.values(InternalPatterns)) {
      const err = await failure(bus.send(pattern, { orgId: orgB.id, accountId: memberB }));
      expect([pattern, err.code]).toEqual([pattern, 'forbidden']);
    }
    const verifyOnly = busOf(await createServiceKey(s.orgUrl, orgA, ['verify']));
    await expect(failure(send(verifyOnly, 'accounts.authorize', { accountId: memberA }))).resolves.toMatchObject({ code: 'forbidden' });
    await expect(failure(send(verifyOnly, 'mfa.devices.create', { accountId: memberA, type: 'totp', name: 'x' }))).resolves.toMatchObject({
      code: 'forbidden',
    });
    await expect(send(verifyOnly, 'mfa.verify', { accountId: memberA, code: '123456' })).resolves.toEqual({
      valid: false,
      reason: 'no_active_device',
    });
    await expect(send(verifyOnly, 'mfa.sessions.jwks', {})).resolves.toMatchObject({ keys: expect.any(Array) });
  });

  it('is refused without a signature, with a wrong one, a replayed id or a far deadline', async () => {
    const list = `${replyPrefixOf(keyA.id)}${randomUUID()}`;
    const base = { pattern: 'accounts.get', data: JSON.stringify({ accountId: memberA }), replyTo: list };
    await raw({ ...base, id: 'unsigned' }, null);
    expect(await replyOn(list)).toMatchObject({ id: 'unsigned', ok: false, error: { code: 'unauthenticated' } });
    await raw({ ...base, id: 'badsig', keyId: keyA.id, sig: 'ab'.repeat(32) });
    expect(await replyOn(list)).toMatchObject({
      id: 'badsig',
      ok: false,
      error: { code: 'unauthenticated', message: expect.stringMatching(/^sig: /) },
    });
    await raw({ ...base, id: 'nokey', keyId: randomUUID(), sig: 'ab'.repeat(32) });
    expect(await replyOn(list)).toMatchObject({
      id: 'nokey',
      ok: false,
      error: { code: 'unauthenticated', message: expect.stringMatching(/^keyId: /) },
    });
    await raw({ ...base, id: 'far', deadline: String(Date.now() + 301_000) });
    expect(await replyOn(list)).toMatchObject({
      id: 'far',
      ok: false,
      error: { code: 'unauthenticated', message: expect.stringMatching(/^deadline: /) },
    });
    const once = { ...base, id: `once-${randomUUID()}`, deadline: String(Date.now() + 10_000) };
    await raw(once);
    expect(await replyOn(list)).toMatchObject({ ok: true, data: { id: memberA } });
    await raw(once); // the same signed entry, captured and sent again
    expect(await replyOn(list)).toMatchObject({ ok: false, error: { code: 'unauthenticated', message: expect.stringMatching(/replay/) } });
  });

  it('writes nothing to a replyTo outside its own prefix', async () => {
    const victims = ['mfa:failures:victim', `bus:reply:${randomUUID()}:theirs`, 'bus:mfa:requests:x'];
    for (const replyTo of victims)
      await raw({ id: randomUUID(), pattern: 'accounts.get', data: JSON.stringify({ accountId: memberA }), replyTo });
    // an unauthenticated entry naming a non-reply key is not answered either
    await raw({ id: randomUUID(), pattern: 'accounts.get', data: '{}', replyTo: 'mfa:failures:victim2' }, null);
    const mine = `${replyPrefixOf(keyA.id)}${randomUUID()}`;
    await raw({ id: randomUUID(), pattern: 'accounts.get', data: JSON.stringify({ accountId: memberA }), replyTo: mine });
    expect(await replyOn(mine)).toMatchObject({ ok: true }); // served in order: the others were handled before it
    for (const key of [...victims, 'mfa:failures:victim2']) expect(await redis.exists(key)).toBe(0);
  });

  it('answers an oversized entry validation_failed without parsing it, and keeps serving', async () => {
    const list = `${replyPrefixOf(keyA.id)}${randomUUID()}`;
    await raw(
      { id: 'big', pattern: 'mfa.devices.list', data: JSON.stringify({ accountId: memberA, pad: 'x'.repeat(70_000) }), replyTo: list },
      keyA,
      'bus:mfa:requests',
    );
    expect(await replyOn(list)).toMatchObject({
      id: 'big',
      ok: false,
      error: { code: 'validation_failed', message: 'data: larger than 65536 bytes' },
    });
    // 32 MB of tiny objects: more than a 128 MB heap would survive as parsed JSON
    await raw(
      { id: 'huge', pattern: 'mfa.devices.list', data: '[' + '{},'.repeat(10_000_000) + '{}]', replyTo: list },
      null,
      'bus:mfa:requests',
    );
    expect(await replyOn(list, 10)).toMatchObject({ id: 'huge', ok: false, error: { code: 'validation_failed' } });
    await expect(send(busOf(keyA), 'mfa.devices.list', { accountId: memberA })).resolves.toEqual({ items: [] });
  });

  it("is refused within 5 s of its key's revocation, on every instance", async () => {
    const key = await createServiceKey(s.orgUrl, orgA);
    const bus = busOf(key);
    await expect(send(bus, 'accounts.get', { accountId: memberA })).resolves.toMatchObject({ id: memberA });
    await expect(send(bus, 'mfa.devices.list', { accountId: memberA })).resolves.toEqual({ items: [] });
    expect((await request(s.orgUrl).delete(`/v1/orgs/${orgA.id}/service-keys/${key.id}`).set(orgA.auth)).status).toBe(204);
    const t0 = Date.now();
    for (const pattern of ['accounts.get', 'mfa.devices.list'] as const) {
      const refused = () =>
        send(bus, pattern, { accountId: memberA }).then(
          () => false,
          (e) => e.code === 'unauthenticated',
        );
      await waitFor(refused, 5000, 100);
    }
    expect(Date.now() - t0).toBeLessThan(5000);
    const listed = await request(s.orgUrl).get(`/v1/orgs/${orgA.id}/service-keys`).set(orgA.auth);
    expect(listed.body.items.find((k: any) => k.id === key.id)).toMatchObject({
      revokedAt: expect.any(String),
      lastUsedAt: expect.any(String),
    });
  });

  it('works as a Redis ACL user limited to sending requests and reading its own replies', async () => {
    const user = `svc-test-${randomUUID()}`;
    const password = generatePassword();
    await redis.call('ACL', 'SETUSER', user, ...memberServiceRule(keyA.id, { user, password, db: dbOfUrl(process.env.REDIS_URL!) }));
    try {
      const bus = busOf(keyA, { redisOptions: { username: user, password, enableReadyCheck: false } });
      await expect(send(bus, 'accounts.get', { accountId: memberA })).resolves.toMatchObject({ id: memberA });
      await expect(send(bus, 'mfa.devices.list', { accountId: memberA })).resolves.toEqual({ items: [] });
      const limited = new Redis(process.env.REDIS_URL!, { username: user, password, enableReadyCheck: false, protocol: 2 });
      await expect(limited.xrange('bus:mfa:requests', '-', '+')).rejects.toThrow(/NOPERM/);
      await expect(limited.rpush('bus:reply:someone-else:x', 'forged')).rejects.toThrow(/NOPERM/);
      limited.disconnect();
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });
});
