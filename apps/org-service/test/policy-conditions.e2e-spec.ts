/**
 * Per-action conditions end to end (issue 12 point 3): the policy over the admin API, its
 * versions, audit and hand-over to account-service, and accounts.authorize with an action for
 * members in every state, with and without a fresh session token (org-service HTTP +
 * account-service + mfa-service in this process, real bus and Postgres). mfa-service runs on a
 * FixedClock so a session can be issued 20 minutes in the past (an old token) and then now.
 */
import request from 'supertest';
import { loadConfig } from '@mfa/config';
import type { AuditEvent, AuthorizeReply, AuthorizeRequest, MfaCondition, PolicyRollout } from '@mfa/contracts';
import type { Bus } from '@mfa/bus';
import { startService, type RunningService } from '@mfa/observability';
import {
  addMember,
  createOrg,
  createServiceKey,
  enrollTotp,
  memberServiceBus,
  startTestServices,
  type TestOrg,
  type TestServices,
  totpCode,
  waitFor,
} from '@test/support';
import { FixedClock } from '../../mfa-service/src/common/clock';
import { MfaServiceEnv } from '../../mfa-service/src/config/mfa-service.env';
import { mfaServiceApp } from '../../mfa-service/src/mfa-service.app';
import { MfaServiceModule } from '../../mfa-service/src/mfa-service.module';

const FAST = { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' };
const OLD_MS = 20 * 60_000;

let services: TestServices;
let mfa: RunningService;
let org: TestOrg;
let other: TestOrg;
const clock = new FixedClock();
const closers: Array<() => Promise<void>> = [];

const http = () => request(services.orgUrl);
const authorize = (req: AuthorizeRequest, bus: Bus = services.bus): Promise<AuthorizeReply> => bus.send('accounts.authorize', req);
const failure = (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e) => e,
  );

const billing: MfaCondition = { actions: ['billing:*', 'repo:delete'], maxMfaAgeSeconds: 300 };
const refunds: MfaCondition = { actions: ['billing:refund'], maxMfaAgeSeconds: 60 };

async function putPolicy(
  target: TestOrg,
  body: object,
): Promise<{ policy: { version: number; conditions: MfaCondition[] }; rollout: PolicyRollout }> {
  const res = await http().put(`/v1/orgs/${target.id}/mfa-policy`).set(target.auth).send(body);
  expect(res.status).toBe(202);
  await waitFor(
    async () =>
      (await http().get(`/v1/orgs/${target.id}/rollouts/${res.body.rollout.id}`).set(target.auth)).body.status === 'completed'
        ? true
        : null,
    15_000,
    50,
  );
  return res.body;
}

/** A TOTP device enabled at the clock's time, and a session issued `ageMs` before now (then the clock is back at now). */
async function enrolledWithSessions(accountId: string): Promise<{ old: string; fresh: string }> {
  const now = Date.now();
  clock.set(now - OLD_MS);
  const { secret } = await enrollTotp(services.bus, accountId, { at: clock.now() });
  const old = await services.bus.send('mfa.sessions.issue', { accountId, code: totpCode(secret, 1, clock.now()) });
  clock.set(now);
  const fresh = await services.bus.send('mfa.sessions.issue', { accountId, code: totpCode(secret, 0, clock.now()) });
  expect(Date.parse(fresh.mfaAuthenticatedAt) - Date.parse(old.mfaAuthenticatedAt)).toBeGreaterThan(OLD_MS - 60_000);
  return { old: old.token, fresh: fresh.token };
}

beforeAll(async () => {
  services = await startTestServices({ mfa: false, env: FAST });
  const env = loadConfig(MfaServiceEnv, { ...process.env, ...FAST, MFA_SERVICE_PORT: '0' });
  mfa = await startService({ ...mfaServiceApp, module: (e: MfaServiceEnv) => MfaServiceModule.forRoot(e, { clock }) }, env);
  org = await createOrg(services.orgUrl, services.platformKey);
  other = await createOrg(services.orgUrl, services.platformKey);
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await mfa?.app.close();
  await services?.close();
});

describe('per-action conditions', () => {
  it('are stored, answered, audited, handed over and applied by accounts.authorize in every state', async () => {
    const [bare, enrolled] = [await addMember(services.orgUrl, org), await addMember(services.orgUrl, org)];
    const sessions = await enrolledWithSessions(enrolled.id);

    // before any PUT: none
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body).toMatchObject({ version: 0, conditions: [] });

    const v1 = await putPolicy(org, { requireMfa: false, gracePeriodHours: 0, allowedMethods: ['totp'], conditions: [billing, refunds] });
    expect(v1.policy).toMatchObject({ version: 1, conditions: [billing, refunds] });
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body).toMatchObject({
      version: 1,
      conditions: [billing, refunds],
    });
    const audit = (await http().get(`/v1/orgs/${org.id}/audit-events`).set(org.auth)).body.items as AuditEvent[];
    expect(audit.find((e) => e.action === 'policy.updated' && e.details.version === 1)?.details).toMatchObject({
      conditions: [billing, refunds],
    });

    // not_required, no device: a matching action needs a session all the same
    expect(await authorize({ accountId: bare.id, action: 'billing:invoice' })).toEqual({
      allowed: false,
      reason: 'mfa_required',
      enforcement: expect.objectContaining({ state: 'not_required', policyVersion: 1 }),
      condition: billing,
    });
    expect(await authorize({ accountId: bare.id, action: 'profile:view' })).toMatchObject({ allowed: true, reason: 'ok', condition: null });
    expect(await authorize({ accountId: bare.id })).toMatchObject({ allowed: true, reason: 'ok', condition: null });

    // with a device: an old session is too old for the condition, a fresh one passes; the strictest condition applies
    const e = enrolled.id;
    expect(await authorize({ accountId: e, action: 'billing:invoice', sessionToken: sessions.old })).toMatchObject({
      allowed: false,
      reason: 'mfa_too_old',
      condition: billing,
    });
    expect(await authorize({ accountId: e, action: 'repo:delete', sessionToken: sessions.fresh })).toMatchObject({
      allowed: true,
      reason: 'ok',
      condition: billing,
    });
    expect(await authorize({ accountId: e, action: 'billing:refund', sessionToken: sessions.fresh })).toMatchObject({
      allowed: true,
      condition: refunds,
    });
    expect(await authorize({ accountId: e, action: 'billing:refund' })).toMatchObject({ allowed: false, reason: 'mfa_required' });
    // the request's own max age is lower: it applies
    await new Promise((r) => setTimeout(r, 1100));
    expect(await authorize({ accountId: e, action: 'billing:refund', sessionToken: sessions.fresh, maxMfaAgeSeconds: 1 })).toMatchObject({
      allowed: false,
      reason: 'mfa_too_old',
      condition: refunds,
    });
    // someone else's fresh token is no token
    expect(await authorize({ accountId: bare.id, action: 'billing:refund', sessionToken: sessions.fresh })).toMatchObject({
      allowed: false,
      reason: 'mfa_required',
    });
    // an action no condition matches keeps the rule without conditions (not_required: ok, even with an old token)
    expect(await authorize({ accountId: e, action: 'repo:read', sessionToken: sessions.old })).toMatchObject({
      allowed: true,
      condition: null,
    });

    // v2: required now. compliant needs a session anyway; the condition still sets its age; non_compliant stays enrollment_required
    await putPolicy(org, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'], conditions: [billing] });
    expect(await authorize({ accountId: e, sessionToken: sessions.old })).toMatchObject({
      allowed: true,
      condition: null,
      enforcement: { state: 'compliant' },
    });
    expect(await authorize({ accountId: e, action: 'billing:x', sessionToken: sessions.old })).toMatchObject({
      allowed: false,
      reason: 'mfa_too_old',
      condition: billing,
    });
    expect(await authorize({ accountId: e, action: 'billing:x', sessionToken: sessions.fresh })).toMatchObject({ allowed: true });
    expect(await authorize({ accountId: bare.id, action: 'billing:x' })).toMatchObject({
      allowed: false,
      reason: 'enrollment_required',
      condition: billing,
      enforcement: { state: 'non_compliant' },
    });

    // exempt: allowed without MFA, except for an action under a condition
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect(
      (await http().put(`/v1/orgs/${org.id}/members/${bare.id}/exemption`).set(org.auth).send({ until, reason: 'travel' })).status,
    ).toBe(200);
    expect(await authorize({ accountId: bare.id })).toMatchObject({ allowed: true, enforcement: { state: 'exempt' } });
    expect(await authorize({ accountId: bare.id, action: 'repo:delete' })).toMatchObject({
      allowed: false,
      reason: 'mfa_required',
      condition: billing,
    });

    // v3 without conditions: gone from the answer and from authorize
    const v3 = await putPolicy(org, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
    expect(v3.policy.conditions).toEqual([]);
    expect(await authorize({ accountId: e, action: 'billing:x', sessionToken: sessions.old })).toMatchObject({
      allowed: true,
      condition: null,
    });
  });

  it('names the bad field, survives hostile sizes, and keeps orgs and callers apart', async () => {
    const put = (body: object, target = org, auth: Record<string, string> = org.auth) =>
      http().put(`/v1/orgs/${target.id}/mfa-policy`).set(auth).send(body);
    const base = { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] };
    const refused = async (conditions: unknown, field: RegExp) => {
      const res = await put({ ...base, conditions });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(field) });
    };
    await refused([{ actions: ['billing:*', 'bad*middle'], maxMfaAgeSeconds: 60 }], /conditions\[0\]\.actions\[1\] must be 1\.\.128/);
    await refused([billing, { actions: ['a'], maxMfaAgeSeconds: 30 }], /conditions\[1\]\.maxMfaAgeSeconds must not be less than 60/);
    await refused(
      [{ actions: ['a'], maxMfaAgeSeconds: 60, effect: 'Deny' }],
      /conditions\[0\]\.property effect should not exist|conditions\[0\]\.effect/,
    );
    await refused([{ actions: [], maxMfaAgeSeconds: 60 }], /conditions\[0\]\.actions must contain at least 1/);
    await refused([{ actions: ['x'.repeat(129)], maxMfaAgeSeconds: 60 }], /conditions\[0\]\.actions\[0\]/);
    await refused(['billing:*'], /conditions/);
    await refused({ actions: ['a'], maxMfaAgeSeconds: 60 }, /conditions must be an array/);
    await refused(
      Array.from({ length: 21 }, () => billing),
      /conditions must contain no more than 20/,
    );
    // as many as fit in 64 KiB, each bad: answered 400 naming the first 20 fields, not a 500
    const many = await put({ ...base, conditions: Array.from({ length: 1500 }, () => ({ actions: ['*x'], maxMfaAgeSeconds: 1 })) });
    expect(many.status).toBe(400);
    expect(many.body.message).toMatch(/conditions must contain no more than 20/);
    expect(many.body.details.length).toBeLessThanOrEqual(20);
    // 10,000 conditions and a 1 MB action: over the body limit, refused unread
    const huge = await put({ ...base, conditions: Array.from({ length: 10_000 }, () => billing) });
    expect(huge.status).toBe(413);
    expect((await put({ ...base, conditions: [{ actions: ['a'.repeat(1_000_000)], maxMfaAgeSeconds: 60 }] })).status).toBe(413);
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version).toBeGreaterThanOrEqual(0);

    // accounts.authorize: the action is an action, not a pattern
    const m = await addMember(services.orgUrl, org);
    for (const action of ['billing:*', '*', '', 'a b', 'x'.repeat(129), 7]) {
      expect(await failure(authorize({ accountId: m.id, action } as AuthorizeRequest))).toMatchObject({
        code: 'validation_failed',
        message: expect.stringMatching(/^action: /),
      });
    }
    expect(await failure(authorize({ accountId: m.id, action: 'a'.repeat(1_000_000) }))).toMatchObject({ code: 'validation_failed' });
    expect(await authorize({ accountId: m.id, action: 'x'.repeat(128) })).toMatchObject({ allowed: expect.any(Boolean) });

    // another org's admin can neither read nor write this org's conditions; its own policy is its own
    expect((await put({ ...base, conditions: [billing] }, org, other.auth)).status).toBe(404);
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(other.auth)).status).toBe(404);
    await putPolicy(org, { ...base, requireMfa: false, conditions: [billing] });
    const outsider = await addMember(services.orgUrl, other);
    expect(await authorize({ accountId: outsider.id, action: 'billing:x' })).toMatchObject({ allowed: true, condition: null });
    expect(await authorize({ accountId: m.id, action: 'billing:x' })).toMatchObject({ allowed: false, condition: billing });
    // a member service of the other org cannot learn this org's conditions through authorize
    const key = await createServiceKey(services.orgUrl, other, ['authorize']);
    const otherBus = memberServiceBus(key);
    closers.push(otherBus.close);
    expect(await authorize({ accountId: m.id, action: 'billing:x' }, otherBus.bus)).toEqual({
      allowed: false,
      reason: 'unknown_account',
      enforcement: null,
    });

    // unauthenticated: no key over HTTP, a wrong secret on the bus
    expect((await put({ ...base, conditions: [billing] }, org, {})).status).toBe(401);
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`)).status).toBe(401);
    const forged = memberServiceBus({ id: key.id, secret: `${key.secret.slice(0, -4)}AAAA` }, { timeoutMs: 3000 });
    closers.push(forged.close);
    expect(await failure(authorize({ accountId: m.id, action: 'billing:x' }, forged.bus))).toMatchObject({ code: 'unauthenticated' });
  });
});
