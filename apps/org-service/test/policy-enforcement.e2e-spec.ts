/**
 * The policy life cycle end to end: org-service HTTP + account-service + mfa-service in this
 * process over the real bus (Redis database from TEST_REDIS_DB), answers of accounts.authorize
 * for members in every state.
 */
import request from 'supertest';
import { loadConfig } from '@mfa/config';
import type { AuthorizeReply, Member, PolicyRollout } from '@mfa/contracts';
import { startService, type RunningService } from '@mfa/observability';
import { addMember, createOrg, enrollTotp, startTestServices, type TestOrg, type TestServices, totpCode, waitFor } from '@test/support';
import { MfaServiceEnv } from '../../mfa-service/src/config/mfa-service.env';
import { mfaServiceApp } from '../../mfa-service/src/mfa-service.app';

const FAST = { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' };

let services: TestServices;
let mfa: RunningService;
let org: TestOrg;

const http = () => request(services.orgUrl);

async function putPolicy(body: object): Promise<{ policy: { version: number }; rollout: PolicyRollout }> {
  const res = await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send(body);
  expect(res.status).toBe(202);
  return res.body;
}

async function completed(rolloutId: string): Promise<PolicyRollout> {
  return waitFor(
    async () => {
      const res = await http().get(`/v1/orgs/${org.id}/rollouts/${rolloutId}`).set(org.auth);
      return res.body.status === 'completed' ? (res.body as PolicyRollout) : null;
    },
    15_000,
    50,
  );
}

const member = async (id: string): Promise<Member> => (await http().get(`/v1/orgs/${org.id}/members/${id}`).set(org.auth)).body;
const authorize = (accountId: string, extra: { sessionToken?: string; maxMfaAgeSeconds?: number } = {}): Promise<AuthorizeReply> =>
  services.bus.send('accounts.authorize', { accountId, ...extra });

beforeAll(async () => {
  services = await startTestServices({ mfa: false, env: FAST });
  mfa = await startService(mfaServiceApp, loadConfig(MfaServiceEnv, { ...process.env, MFA_SERVICE_PORT: '0' }));
  org = await createOrg(services.orgUrl, services.platformKey);
});

afterAll(async () => {
  await mfa?.app.close();
  await services?.close();
});

describe('policy push and enforcement', () => {
  it('runs the whole life cycle with authorize answers for every state', async () => {
    const [a, b, c] = [await addMember(services.orgUrl, org), await addMember(services.orgUrl, org), await addMember(services.orgUrl, org)];

    // before any PUT: version 0, MFA off, everyone allowed
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body).toMatchObject({
      version: 0,
      requireMfa: false,
      gracePeriodHours: 0,
      allowedMethods: ['totp', 'sms'],
    });
    expect(await authorize(b.id)).toMatchObject({ allowed: true, reason: 'ok', enforcement: { state: 'not_required', policyVersion: 0 } });

    // v1: required, 72 h grace; every member is pending at once
    const v1 = await putPolicy({ requireMfa: true, gracePeriodHours: 72, allowedMethods: ['totp'], maxMfaAgeSeconds: 3600 });
    expect(v1.policy).toMatchObject({ version: 1, requireMfa: true, maxMfaAgeSeconds: 3600 });
    expect(['running', 'completed']).toContain(v1.rollout.status);
    expect((await member(b.id)).enforcement).toMatchObject({ state: 'pending', policyVersion: 1 });
    const r1 = await completed(v1.rollout.id);
    expect(r1).toMatchObject({ applied: 3, total: 3, policyVersion: 1 });
    expect(await authorize(b.id)).toMatchObject({ allowed: true, reason: 'ok', enforcement: { state: 'pending' } });
    expect(await authorize(b.id, { maxMfaAgeSeconds: 300 })).toMatchObject({ allowed: false, reason: 'mfa_required' });

    // a enrolls: compliant, then needs a session token
    const device = await enrollTotp(services.bus, a.id);
    await waitFor(async () => (await member(a.id)).enforcement.state === 'compliant', 15_000, 50);
    expect(await authorize(a.id)).toMatchObject({ allowed: false, reason: 'mfa_required', enforcement: { state: 'compliant' } });
    const session = await services.bus.send('mfa.sessions.issue', { accountId: a.id, code: totpCode(device.secret, 1) });
    expect(await authorize(a.id, { sessionToken: session.token })).toMatchObject({ allowed: true, reason: 'ok' });
    expect(await authorize(a.id, { sessionToken: session.token, maxMfaAgeSeconds: 60 })).toMatchObject({ allowed: true, reason: 'ok' });
    expect(await authorize(a.id, { sessionToken: session.token.slice(0, -4) + 'AAAA' })).toMatchObject({
      allowed: false,
      reason: 'mfa_required',
    });
    // someone else's token
    expect(await authorize(b.id, { sessionToken: session.token, maxMfaAgeSeconds: 60 })).toMatchObject({
      allowed: false,
      reason: 'mfa_required',
    });

    // c is exempt for a day
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const exempt = await http().put(`/v1/orgs/${org.id}/members/${c.id}/exemption`).set(org.auth).send({ until, reason: 'travelling' });
    expect(exempt.status).toBe(200);
    expect(exempt.body.enforcement).toMatchObject({ state: 'exempt', exemptUntil: until });
    expect(
      (await http().put(`/v1/orgs/${org.id}/members/${c.id}/exemption`).set(org.auth).send({ until: '2001-01-01T00:00:00Z', reason: 'x' }))
        .body.code,
    ).toBe('validation_failed');

    // v2: grace 0 moves every deadline: b non_compliant, c still exempt, a still compliant
    const v2 = await putPolicy({ requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
    expect(await authorize(b.id)).toMatchObject({
      allowed: false,
      reason: 'enrollment_required',
      enforcement: { state: 'non_compliant', policyVersion: 2 },
    });
    expect(await authorize(c.id)).toMatchObject({ allowed: true, reason: 'ok', enforcement: { state: 'exempt' } });
    expect(await authorize(a.id, { sessionToken: session.token })).toMatchObject({
      allowed: true,
      reason: 'ok',
      enforcement: { state: 'compliant' },
    });
    // a member added after the PUT is under it at once
    const late = await addMember(services.orgUrl, org);
    expect(await authorize(late.id)).toMatchObject({
      allowed: false,
      reason: 'enrollment_required',
      enforcement: { state: 'non_compliant', policyVersion: 2 },
    });
    await completed(v2.rollout.id);

    // listing by state and stats use the same rule
    const stats = (await http().get(`/v1/orgs/${org.id}`).set(org.auth)).body.members;
    expect(stats).toMatchObject({ total: 4, byState: { compliant: 1, exempt: 1, non_compliant: 2, pending: 0, not_required: 0 } });
    const nonCompliant = (await http().get(`/v1/orgs/${org.id}/members?state=non_compliant`).set(org.auth)).body.items
      .map((m: Member) => m.id)
      .sort();
    expect(nonCompliant).toEqual([b.id, late.id].sort());

    // admin reset of a's only device: deadline now + 0 h, non_compliant at once
    const reset = await http().delete(`/v1/orgs/${org.id}/members/${a.id}/mfa-devices/${device.serialNumber}`).set(org.auth);
    expect(reset.status).toBe(204);
    expect(await authorize(a.id, { sessionToken: session.token })).toMatchObject({
      allowed: false,
      reason: 'enrollment_required',
      enforcement: { state: 'non_compliant' },
    });

    // removing the exemption; then policy off: everyone not_required
    expect((await http().delete(`/v1/orgs/${org.id}/members/${c.id}/exemption`).set(org.auth)).body.enforcement).toMatchObject({
      state: 'non_compliant',
      exemptUntil: null,
    });
    const v3 = await putPolicy({ requireMfa: false, gracePeriodHours: 0, allowedMethods: ['totp', 'sms'] });
    for (const id of [a.id, b.id, c.id, late.id])
      expect(await authorize(id)).toMatchObject({ allowed: true, reason: 'ok', enforcement: { state: 'not_required', policyVersion: 3 } });
    expect(await completed(v3.rollout.id)).toMatchObject({ applied: 4, total: 4 });
    expect(await authorize('6f1c1a38-0000-4000-8000-000000000000')).toEqual({
      allowed: false,
      reason: 'unknown_account',
      enforcement: null,
    });
  });

  it('validates the policy body and scopes rollouts to the org', async () => {
    const bad = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: 'yes', gracePeriodHours: 9000, allowedMethods: ['totp', 'totp'] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.message).toMatch(/requireMfa/);
    expect(bad.body.message).toMatch(/gracePeriodHours/);
    expect(bad.body.message).toMatch(/allowedMethods/);
    expect(
      (await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send({ requireMfa: true, gracePeriodHours: 1, allowedMethods: [] }))
        .status,
    ).toBe(400);
    expect((await http().get(`/v1/orgs/${org.id}/rollouts/not-a-uuid`).set(org.auth)).status).toBe(404);
    const other = await createOrg(services.orgUrl, services.platformKey);
    const mine = await putPolicy({ requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] });
    expect((await http().get(`/v1/orgs/${other.id}/rollouts/${mine.rollout.id}`).set(other.auth)).status).toBe(404);
  });
});
