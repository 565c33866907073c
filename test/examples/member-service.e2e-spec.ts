/**
 * examples/member-service against the real services (org, account and mfa in this process, the
 * test's Postgres and Redis): a member signs in, is sent to enrollment, enrolls, steps up with a
 * code and does the sensitive action, all through the example's HTTP routes.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { MfaClient, type CreateTotpDeviceReply } from '@mfa-platform/client';
import { addMember, createOrg, createServiceKey, startTestServices, waitFor, type TestOrg, type TestServices } from '@test/support';
import { base32Decode } from '../../apps/mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../apps/mfa-service/src/methods/totp/totp';
import { createMemberService } from '../../examples/member-service/src/app';
import { parseUsers } from '../../examples/member-service/src/users';

const RETURN_ORIGIN = 'http://member.example.test';
const SENSITIVE_MAX_AGE = 2;

let s: TestServices;
let org: TestOrg;
let mfa: MfaClient;
let server: Server;
let url: string;
let accountId: string;

const code = (secret: string, offset: number) => hotp(base32Decode(secret), timeStep(Date.now()) + offset);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  s = await startTestServices({ env: { WEB_ALLOWED_RETURN_ORIGINS: RETURN_ORIGIN, WEB_PUBLIC_URL: 'http://enroll.example.test' } });
  org = await createOrg(s.orgUrl, s.platformKey);
  const put = await request(s.orgUrl)
    .put(`/v1/orgs/${org.id}/mfa-policy`)
    .set(org.auth)
    .send({ requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
  expect(put.status).toBe(202);
  accountId = (await addMember(s.orgUrl, org)).id; // added after the PUT: non_compliant at once
  const key = await createServiceKey(s.orgUrl, org);
  mfa = new MfaClient({ keyId: key.id, secret: key.secret, redisUrl: process.env.REDIS_URL, timeoutMs: 10_000 });
  const app = createMemberService({
    mfa,
    users: parseUsers(`alice:correct horse:${accountId}`),
    sensitiveMaxMfaAgeSeconds: SENSITIVE_MAX_AGE,
    enrollReturnUrl: `${RETURN_ORIGIN}/account`,
  });
  server = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await mfa?.close();
  await s?.close();
});

describe('examples/member-service', () => {
  it('signs in, sends to enrollment, steps up with a code, then allows the sensitive action only while the MFA is fresh', async () => {
    const browser = request.agent(url); // keeps the session cookie, follows no redirect

    expect((await browser.get('/account')).body).toMatchObject({ code: 'not_signed_in' });
    const wrong = await browser.post('/sign-in').send({ username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');

    // not enrolled under a required policy: 303 to a one-time link of the hosted enrollment page
    const signIn = await browser.post('/sign-in').send({ username: 'alice', password: 'correct horse' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers['set-cookie']?.[0]).toMatch(/^sid=.+HttpOnly/);
    expect(signIn.headers.location).toMatch(/^http:\/\/enroll\.example\.test\/enroll\/[\w-]{43}$/);
    // the link is real: the web app's redemption finds this member and the return URL
    const token = signIn.headers.location.split('/').pop()!;
    expect(await s.bus.send('mfa.internal.enrollment.links.redeem', { token })).toMatchObject({
      state: 'redeemed',
      accountId,
      returnUrl: `${RETURN_ORIGIN}/account`,
    });
    expect((await browser.get('/account')).status).toBe(303);

    // what the enrollment page does: a TOTP device enabled with two consecutive codes
    const dev = (await mfa.devices.create({ accountId, type: 'totp', name: 'phone' })) as CreateTotpDeviceReply;
    await mfa.devices.enable({
      accountId,
      serialNumber: dev.serialNumber,
      code1: code(dev.secretBase32, -1),
      code2: code(dev.secretBase32, 0),
    });
    await waitFor(async () => (await mfa.accounts.get({ accountId })).enforcement.state === 'compliant', 15_000, 50);

    // compliant: the account page now wants a code
    const needsCode = await browser.get('/account');
    expect(needsCode.status).toBe(401);
    expect(needsCode.body).toMatchObject({ code: 'step_up_required', reason: 'mfa_required' });
    expect((await browser.post('/transfers').send({ to: 'bob', amount: 10 })).body).toMatchObject({ code: 'step_up_required' });

    const badCode = await browser.post('/step-up').send({ code: code(dev.secretBase32, 0) }); // already used to enable
    expect(badCode.status).toBe(401);
    expect(badCode.body.code).toBe('invalid_code');
    const stepUp = await browser.post('/step-up').send({ code: code(dev.secretBase32, 1) });
    expect(stepUp.status).toBe(200);
    expect(stepUp.body).toMatchObject({ mfaAuthenticatedAt: expect.any(String), expiresAt: expect.any(String) });

    expect(await browser.get('/account').then((r) => [r.status, r.body])).toEqual([
      200,
      { username: 'alice', accountId, mfa: 'compliant' },
    ]);
    const transfer = await browser.post('/transfers').send({ to: 'bob', amount: 10 });
    expect(transfer.status).toBe(201);
    expect(transfer.body).toEqual({ transferred: { to: 'bob', amount: 10 } });

    // past maxMfaAgeSeconds the sensitive action asks again; the account page does not
    await sleep((SENSITIVE_MAX_AGE + 1.2) * 1000);
    const stale = await browser.post('/transfers').send({ to: 'bob', amount: 10 });
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ code: 'step_up_required', reason: 'mfa_too_old' });
    expect((await browser.get('/account')).status).toBe(200);

    expect((await browser.post('/sign-out')).status).toBe(204);
    expect((await browser.get('/account')).status).toBe(401);
  });

  it('answers bad input with a clear 4xx, never a 500', async () => {
    const browser = request.agent(url);
    const missing = await browser.post('/sign-in').send({ username: 'alice' });
    expect([missing.status, missing.body.message]).toEqual([400, 'password: required, a string of at most 200 characters']);
    const malformed = await browser.post('/sign-in').set('content-type', 'application/json').send('{"username":');
    expect([malformed.status, malformed.body.code]).toEqual([400, 'validation_failed']);
    expect((await browser.post('/step-up').send({ code: '123456' })).status).toBe(401); // not signed in

    expect((await browser.post('/sign-in').send({ username: 'alice', password: 'correct horse' })).status).toBe(200); // enrolled now
    const amount = await browser.post('/transfers').send({ to: 'bob', amount: -5 });
    expect([amount.status, amount.body.message]).toEqual([400, 'amount: required, a positive number']);
    const notACode = await browser.post('/step-up').send({ code: 'not-a-code' });
    expect([notACode.status, notACode.body.code]).toEqual([401, 'invalid_code']);
    const tooLong = await browser.post('/step-up').send({ code: 'x'.repeat(65) });
    expect([tooLong.status, tooLong.body.message]).toEqual([400, 'code: required, a string of at most 64 characters']);
    expect((await browser.get('/nope')).status).toBe(404);
  });
});
