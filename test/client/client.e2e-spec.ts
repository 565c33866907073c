import type { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '@mfa/config';
import { startService } from '@mfa/observability';
import {
  addMember,
  createOrg,
  createServiceKey,
  startTestServices,
  TEST_BUS_PARTITIONS,
  TEST_CLUSTER_NODES,
  TEST_REDIS_URL,
  testRedis,
  type TestOrg,
  type TestServiceKey,
  type TestServices,
} from '@test/support';
import { AccountServiceEnv } from '../../apps/account-service/src/config/account-service.env';
import { accountServiceApp } from '../../apps/account-service/src/account-service.app';
import { base32Decode } from '../../apps/mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../apps/mfa-service/src/methods/totp/totp';
import { MfaClient, MfaError, partitionOf, type CreateTotpDeviceReply } from '@mfa-platform/client';

/** The published client against the real services, in this process (docs/client.md). */
let s: TestServices;
let org: TestOrg;
let key: TestServiceKey;
let redis: Redis;
let restarted: Awaited<ReturnType<typeof startService>> | undefined;
const clients: MfaClient[] = [];
// the tests' Redis, or their cluster by its nodes (npm run test:cluster)
const where = TEST_CLUSTER_NODES ? { clusterNodes: TEST_CLUSTER_NODES } : { redisUrl: TEST_REDIS_URL };
/** Deletes request streams no service here reads (partitions at or past the services' BUS_PARTITIONS), one DEL each. */
const dropUnread = (service: string, upTo: number) =>
  Promise.all(
    Array.from({ length: upTo }, (_, n) => n)
      .filter((n) => TEST_BUS_PARTITIONS === 1 || n >= TEST_BUS_PARTITIONS)
      .map((n) => redis.del(`bus:${service}:requests:${n}`)),
  );
const client = (extra: Partial<ConstructorParameters<typeof MfaClient>[0]> = {}, k: { id: string; secret: string } = key) => {
  const c = new MfaClient({ keyId: k.id, secret: k.secret, ...where, timeoutMs: 10_000, ...extra });
  clients.push(c);
  return c;
};
const failure = (p: Promise<unknown>): Promise<MfaError> =>
  p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e) => e,
  );
const code = (secret: string, offset: number) => hotp(base32Decode(secret), timeStep(Date.now()) + offset);

beforeAll(async () => {
  s = await startTestServices();
  redis = testRedis() as Redis; // a Cluster has the same command methods
  org = await createOrg(s.orgUrl, s.platformKey);
  key = await createServiceKey(s.orgUrl, org);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  redis.disconnect();
  await s.close(); // closes the first account-service (already closed: a no-op)
  await restarted?.app.close();
});

describe('MfaClient', () => {
  it('calls every member-facing pattern, signed, over one reply list', async () => {
    const mfa = client();
    const accountId = (await addMember(s.orgUrl, org)).id;
    expect(await mfa.accounts.get({ accountId })).toMatchObject({ id: accountId, orgId: org.id });
    expect(await mfa.accounts.authorize({ accountId })).toMatchObject({ allowed: true, reason: 'ok' });
    expect((await mfa.sessions.jwks()).keys.length).toBeGreaterThan(0);

    const dev = (await mfa.devices.create({ accountId, type: 'totp', name: 'phone' })) as CreateTotpDeviceReply;
    expect(dev).toMatchObject({
      status: 'pending',
      secretBase32: expect.any(String),
      qrCodePng: expect.stringMatching(/^data:image\/png;base64,/),
    });
    const enabled = await mfa.devices.enable({
      accountId,
      serialNumber: dev.serialNumber,
      code1: code(dev.secretBase32, -1),
      code2: code(dev.secretBase32, 0),
    });
    expect(enabled).toMatchObject({ serialNumber: dev.serialNumber, status: 'active' });
    expect((await mfa.devices.list({ accountId })).items).toEqual([
      expect.objectContaining({ serialNumber: dev.serialNumber, status: 'active' }),
    ]);

    const session = await mfa.sessions.issue({
      accountId,
      code: code(dev.secretBase32, 1),
      serialNumber: dev.serialNumber,
      durationSeconds: 900,
    });
    expect(session).toMatchObject({ token: expect.any(String), expiresAt: expect.any(String) });
    expect(await mfa.accounts.authorize({ accountId, sessionToken: session.token, maxMfaAgeSeconds: 600 })).toMatchObject({
      allowed: true,
      reason: 'ok',
    });
    expect(await mfa.accounts.authorize({ accountId, maxMfaAgeSeconds: 600 })).toMatchObject({ allowed: false, reason: 'mfa_required' });

    // an action under one of the policy's conditions names it, and needs the session
    const condition = { actions: ['billing:*'], maxMfaAgeSeconds: 300 };
    const put = await request(s.orgUrl)
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: false, gracePeriodHours: 0, allowedMethods: ['totp', 'sms'], conditions: [condition] });
    expect(put.status).toBe(202);
    expect(await mfa.accounts.authorize({ accountId, action: 'billing:refund' })).toMatchObject({
      allowed: false,
      reason: 'mfa_required',
      condition,
    });
    expect(await mfa.accounts.authorize({ accountId, sessionToken: session.token, action: 'billing:refund' })).toMatchObject({
      allowed: true,
      condition,
    });
    expect(await mfa.accounts.authorize({ accountId, action: 'profile:view' })).toMatchObject({ allowed: true, condition: null });

    // many requests in flight at once share the one reply list, each matched by id
    const many = await Promise.all(Array.from({ length: 50 }, () => mfa.accounts.get({ accountId })));
    expect(new Set(many.map((m) => m.id))).toEqual(new Set([accountId]));

    const stepUp = await failure(mfa.recoveryCodes.generate({ accountId }));
    expect(stepUp).toBeInstanceOf(MfaError);
    expect(stepUp.code).toBe('step_up_required');
    const { codes } = await mfa.recoveryCodes.generate({ accountId, sessionToken: session.token });
    expect(codes).toHaveLength(10);
    expect(await mfa.verify({ accountId, code: codes[0] })).toMatchObject({ valid: true, method: 'recovery_code' });
    expect(await mfa.verify({ accountId, code: codes[0] })).toEqual({ valid: false, reason: 'invalid_code' });

    const sms = await mfa.devices.create({
      accountId,
      type: 'sms',
      name: 'mobile',
      phoneNumber: '+14155550123',
      sessionToken: session.token,
    });
    expect(sms).toMatchObject({ status: 'pending' });
    // creating it sent a code; another within 30 s is refused, typed, with the contract's code
    const again = await failure(mfa.sms.send({ accountId, serialNumber: sms.serialNumber }));
    expect(again).toMatchObject({ name: 'MfaError', code: 'rate_limited' });

    expect(
      await mfa.devices.resync({
        accountId,
        serialNumber: dev.serialNumber,
        code1: code(dev.secretBase32, 4),
        code2: code(dev.secretBase32, 5),
      }),
    ).toMatchObject({ status: 'active' });
    expect(await mfa.devices.deactivate({ accountId, serialNumber: dev.serialNumber, sessionToken: session.token })).toMatchObject({
      status: 'deactivated',
    });
    expect(await mfa.sessions.revoke({ accountId })).toMatchObject({ revoked: true });
    expect((await failure(mfa.devices.enable({ accountId, serialNumber: 'nope', code1: '123456', code2: '123456' }))).code).toBe(
      'not_found',
    );
  });

  it('is told, with the contract code, when its signing is wrong or its scope too small', async () => {
    const accountId = (await addMember(s.orgUrl, org)).id;
    const wrong = await failure(client({}, { id: key.id, secret: 'not-the-secret' }).accounts.get({ accountId }));
    expect(wrong).toMatchObject({ name: 'MfaError', code: 'unauthenticated' });
    expect(wrong.message).toContain('sig');
    const verifyOnly = await createServiceKey(s.orgUrl, org, ['verify']);
    expect((await failure(client({}, verifyOnly).accounts.get({ accountId }))).code).toBe('forbidden');
    const other = await createOrg(s.orgUrl, s.platformKey);
    const stranger = (await addMember(s.orgUrl, other)).id;
    expect((await failure(client().devices.list({ accountId: stranger }))).code).toBe('not_found');
    expect((await failure(client().call('nobody.serves.this', {}))).code).toBe('unknown_pattern');
  });

  it('diagnoses a rejected code (scope enroll, own org only) and makes enrollment links', async () => {
    const mfa = client();
    const accountId = (await addMember(s.orgUrl, org)).id;
    expect(await mfa.devices.diagnose({ accountId, code: '123456', action: 'export' })).toEqual({
      action: 'export',
      findings: [expect.objectContaining({ code: 'no_active_device' })],
    });
    const dev = (await mfa.devices.create({ accountId, type: 'totp', name: 'phone' })) as CreateTotpDeviceReply;
    await mfa.devices.enable({
      accountId,
      serialNumber: dev.serialNumber,
      code1: code(dev.secretBase32, -1),
      code2: code(dev.secretBase32, 0),
    });
    const skewed = await mfa.devices.diagnose({ accountId, serialNumber: dev.serialNumber, code: code(dev.secretBase32, 6) });
    expect(skewed.findings).toEqual([
      expect.objectContaining({ code: 'clock_skew', steps: expect.any(Number), command: expect.stringContaining('mfa devices resync') }),
    ]);
    expect((await failure(mfa.devices.diagnose({ accountId, code: '' }))).code).toBe('validation_failed');
    const other = await createOrg(s.orgUrl, s.platformKey);
    const stranger = (await addMember(s.orgUrl, other)).id;
    expect((await failure(mfa.devices.diagnose({ accountId: stranger, code: '123456' }))).code).toBe('not_found');
    const verifyOnly = await createServiceKey(s.orgUrl, org, ['verify']);
    expect((await failure(client({}, verifyOnly).devices.diagnose({ accountId, code: '123456' }))).code).toBe('forbidden');
    expect(await mfa.enrollmentLinks.create({ accountId })).toEqual({
      url: expect.stringMatching(/\/enroll\/[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
  });

  it('times out past its deadline, and spreads entries over partitions by account id', async () => {
    // the services read partitions below TEST_BUS_PARTITIONS only (none when it is 1): an account
    // hashing past them is never answered
    const partitions = TEST_BUS_PARTITIONS + 4;
    const parted = client({ partitions, timeoutMs: 400, retries: 0 });
    let accountId = (await addMember(s.orgUrl, org)).id;
    while (TEST_BUS_PARTITIONS > 1 && partitionOf(accountId, partitions) < TEST_BUS_PARTITIONS)
      accountId = (await addMember(s.orgUrl, org)).id;
    const started = Date.now();
    expect((await failure(parted.accounts.get({ accountId }))).code).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(Date.now() - started).toBeLessThan(2000);
    const stream = `bus:accounts:requests:${partitionOf(accountId, partitions)}`;
    const [entry] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    expect(entry[1]).toEqual(expect.arrayContaining(['pattern', 'accounts.get', 'keyId', key.id]));
    expect(JSON.parse(entry[1][entry[1].indexOf('data') + 1])).toEqual({ accountId });
    await dropUnread('accounts', partitions);
  });

  it('retries `unavailable` with backoff until the service can answer', async () => {
    // mfa-service answers unavailable while account-service (its key directory) is down
    const fresh = await createServiceKey(s.orgUrl, org);
    const accountId = (await addMember(s.orgUrl, org)).id;
    await s.account.app.close();
    const retried: string[] = [];
    const mfa = client({ timeoutMs: 40_000, retries: 10, retryBaseMs: 200, onRetry: (err) => retried.push(err.code) }, fresh);
    const pending = mfa.devices.list({ accountId });
    while (retried.length === 0) await new Promise((r) => setTimeout(r, 100));
    restarted = await startService(
      accountServiceApp,
      loadConfig(AccountServiceEnv, { ...process.env, ACCOUNT_SERVICE_PORT: '0', PLATFORM_API_KEY: s.platformKey }),
    );
    expect(await pending).toEqual({ items: [] });
    expect(retried[0]).toBe('unavailable');
  });

  it('closes cleanly: calls in flight fail with unavailable and its reply list is gone', async () => {
    const mfa = new MfaClient({ keyId: key.id, secret: key.secret, ...where, partitions: 2, timeoutMs: 5000 });
    const inFlight = mfa.accounts.get({ accountId: '00000000-0000-4000-8000-000000000000' });
    await mfa.close();
    expect((await failure(inFlight)).code).toBe('unavailable');
    expect((await failure(mfa.sessions.jwks())).code).toBe('unavailable');
    expect(await redis.exists(mfa.replyList)).toBe(0);
    await dropUnread('accounts', 2);
  });
});
