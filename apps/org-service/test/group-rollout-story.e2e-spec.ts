/**
 * Issue 12, "Done when", as one story: an admin previews, then turns on, MFA for one group with
 * its own grace period and a "billing needs MFA within 5 minutes" condition, and member services
 * see exactly that over the bus (accounts.authorize with a service key): the group's members
 * pending with the group's deadline, then non_compliant after it; `billing:refund` needs a
 * session at most 5 minutes old of them only; the others unchanged; a member removed from the
 * group loses both at once. The three services share one FixedClock (time moves, nobody sleeps).
 */
import request from 'supertest';
import { FixedClock } from '@mfa/clock';
import type { Bus } from '@mfa/bus';
import type { AuthorizeReply, AuthorizeRequest, MfaCondition, PolicyPreview, PolicyRollout } from '@mfa/contracts';
import {
  addMember,
  createOrg,
  createServiceKey,
  memberServiceBus,
  startTestServices,
  type TestOrg,
  type TestServices,
  waitFor,
} from '@test/support';
import { base32Decode } from '../../mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../mfa-service/src/methods/totp/totp';

const H = 3_600_000;
const OLD_MS = 20 * 60_000;
// ahead of the database's clock, so the rows it stamps (accounts, the policy's time) are in this clock's past
const clock = new FixedClock(new Date(Date.now() + 60_000));

let s: TestServices;
let org: TestOrg;
let member: { bus: Bus; close(): Promise<void> };
const http = () => request(s.orgUrl);
const codeAt = (secret: string, offsetSteps: number) => hotp(base32Decode(secret), timeStep(clock.now()) + offsetSteps);
/** as a member service sees it: its own service key, on the bus */
const authorize = (req: AuthorizeRequest): Promise<AuthorizeReply> => member.bus.send('accounts.authorize', req);

const billing: MfaCondition = { actions: ['billing:*'], maxMfaAgeSeconds: 300 };

/** A TOTP device, a session from 20 minutes ago and one from now (the clock ends where it was). */
async function enrolledWithSessions(accountId: string): Promise<{ old: string; fresh: string }> {
  const now = clock.now().getTime();
  clock.set(now - OLD_MS);
  const created = await s.bus.send('mfa.devices.create', { accountId, type: 'totp', name: 'phone' });
  const secret = (created as { secretBase32: string }).secretBase32;
  await s.bus.send('mfa.devices.enable', {
    accountId,
    serialNumber: created.serialNumber,
    code1: codeAt(secret, -1),
    code2: codeAt(secret, 0),
  });
  const old = await s.bus.send('mfa.sessions.issue', { accountId, code: codeAt(secret, 1) });
  clock.set(now);
  const fresh = await s.bus.send('mfa.sessions.issue', { accountId, code: codeAt(secret, 0) });
  // the device reached account-service (device-events queue)
  await waitFor(async () => ((await authorize({ accountId, sessionToken: fresh.token })).allowed ? true : null), 10_000, 50);
  return { old: old.token, fresh: fresh.token };
}

beforeAll(async () => {
  s = await startTestServices({ clock, env: { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' } });
  org = await createOrg(s.orgUrl, s.platformKey);
  member = memberServiceBus(await createServiceKey(s.orgUrl, org, ['authorize']));
});
afterAll(async () => {
  await member?.close();
  await s?.close();
});

describe('issue 12, done when: a group policy with its own grace and a billing condition, previewed, turned on, seen by member services', () => {
  it('is exactly what member services see', async () => {
    const [ana, ben, cy, dee] = [
      await addMember(s.orgUrl, org),
      await addMember(s.orgUrl, org),
      await addMember(s.orgUrl, org),
      await addMember(s.orgUrl, org),
    ];
    // ana (no device) and ben (enrolled) are admins; cy (no device) and dee (enrolled) are not
    const benSessions = await enrolledWithSessions(ben.id);
    const deeSessions = await enrolledWithSessions(dee.id);
    const created = await http().post(`/v1/orgs/${org.id}/groups`).set(org.auth).send({ name: 'admins' });
    expect(created.status).toBe(201);
    const admins: string = created.body.id;
    expect(
      (
        await http()
          .put(`/v1/orgs/${org.id}/groups/${admins}/members`)
          .set(org.auth)
          .send({ add: [ana.id, ben.id] })
      ).status,
    ).toBe(200);
    // the org itself keeps MFA off
    const orgPolicy = { requireMfa: false, gracePeriodHours: 0, allowedMethods: ['totp', 'webauthn'] };
    expect((await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send(orgPolicy)).status).toBe(202);

    // before: nobody is required, billing asks nothing
    for (const id of [ana.id, cy.id])
      expect(await authorize({ accountId: id, action: 'billing:refund' })).toMatchObject({
        allowed: true,
        enforcement: { state: 'not_required' },
        condition: null,
      });

    // 1. the admin previews the group's policy: its two members, ana blocked two days from now
    const body = { requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp', 'webauthn'], conditions: [billing] };
    const previewedAt = clock.now();
    const pre = await http()
      .post(`/v1/orgs/${org.id}/mfa-policy/preview`)
      .set(org.auth)
      .send({ ...body, groupId: admins });
    expect(pre.status).toBe(200);
    const p = pre.body as PolicyPreview;
    expect(p.members).toEqual({
      total: 2,
      byStateNow: { not_required: 2, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 },
      byStateAfter: { not_required: 0, pending: 1, compliant: 1, non_compliant: 0, exempt: 0 },
    });
    expect(p.blockedAt).toEqual([{ date: new Date(previewedAt.getTime() + 48 * H).toISOString().slice(0, 10), count: 1 }]);
    expect(p.sample.map((m) => [m.id, m.enforcement.state, m.enforcement.groups])).toEqual([[ana.id, 'pending', [admins]]]);

    // 2. ... and turns it on
    const put = await http().put(`/v1/orgs/${org.id}/groups/${admins}/mfa-policy`).set(org.auth).send(body);
    expect(put.status).toBe(202);
    expect(put.body.policy).toMatchObject({ groupId: admins, version: 1, requireMfa: true, gracePeriodHours: 48, conditions: [billing] });
    await waitFor(
      async () =>
        (
          await http()
            .get(`/v1/orgs/${org.id}/rollouts/${(put.body.rollout as PolicyRollout).id}`)
            .set(org.auth)
        ).body.status === 'completed'
          ? true
          : null,
      15_000,
      50,
    );
    const deadline = new Date(Date.parse(put.body.policy.updatedAt) + 48 * H).toISOString();
    // what the preview said is what the PUT did: ana blocked at the group's deadline (the preview's "if PUT now", minus the moments between)
    expect(Math.abs(Date.parse(p.sample[0].blockedAt) - Date.parse(deadline))).toBeLessThan(2 * 60_000);

    // 3. member services see it: ana pending with the group's deadline, ben compliant; cy and dee as before
    expect(await authorize({ accountId: ana.id })).toMatchObject({
      allowed: true,
      reason: 'ok',
      enforcement: { state: 'pending', graceDeadline: deadline, groups: [admins] },
      condition: null,
    });
    expect(await authorize({ accountId: ben.id, sessionToken: benSessions.old })).toMatchObject({
      allowed: true,
      enforcement: { state: 'compliant', groups: [admins] },
    });
    expect(await authorize({ accountId: cy.id })).toMatchObject({
      allowed: true,
      enforcement: { state: 'not_required', graceDeadline: null, groups: [] },
    });

    // billing needs a session at most 5 minutes old, of the group's members only
    expect(await authorize({ accountId: ben.id, sessionToken: benSessions.old, action: 'billing:refund' })).toEqual({
      allowed: false,
      reason: 'mfa_too_old',
      enforcement: expect.objectContaining({ state: 'compliant' }),
      condition: billing,
    });
    expect(await authorize({ accountId: ben.id, sessionToken: benSessions.fresh, action: 'billing:refund' })).toMatchObject({
      allowed: true,
      reason: 'ok',
      condition: billing,
    });
    expect(await authorize({ accountId: ben.id, sessionToken: benSessions.old, action: 'profile:view' })).toMatchObject({
      allowed: true,
      condition: null,
    });
    expect(await authorize({ accountId: ana.id, action: 'billing:refund' })).toMatchObject({
      allowed: false,
      reason: 'mfa_required',
      condition: billing,
    });
    expect(await authorize({ accountId: dee.id, sessionToken: deeSessions.old, action: 'billing:refund' })).toMatchObject({
      allowed: true,
      reason: 'ok',
      enforcement: { state: 'not_required' },
      condition: null,
    });
    expect(await authorize({ accountId: cy.id, action: 'billing:refund' })).toMatchObject({ allowed: true, condition: null });

    // 4. the group's deadline passes: ana is blocked, the others are not
    clock.set(Date.parse(deadline) - 1000);
    expect((await authorize({ accountId: ana.id })).enforcement).toMatchObject({ state: 'pending' });
    clock.set(Date.parse(deadline) + 1000);
    expect(await authorize({ accountId: ana.id })).toMatchObject({
      allowed: false,
      reason: 'enrollment_required',
      enforcement: { state: 'non_compliant', graceDeadline: deadline },
    });
    expect(await authorize({ accountId: cy.id })).toMatchObject({ allowed: true, enforcement: { state: 'not_required' } });

    // 5. removed from the group: the requirement and the condition go at once
    const removed = await http()
      .put(`/v1/orgs/${org.id}/groups/${admins}/members`)
      .set(org.auth)
      .send({ remove: [ana.id, ben.id] });
    expect([removed.status, removed.body.memberCount]).toEqual([200, 0]);
    expect(await authorize({ accountId: ana.id, action: 'billing:refund' })).toMatchObject({
      allowed: true,
      reason: 'ok',
      enforcement: { state: 'not_required', graceDeadline: null, groups: [] },
      condition: null,
    });
    expect(await authorize({ accountId: ben.id, sessionToken: benSessions.old, action: 'billing:refund' })).toMatchObject({
      allowed: true,
      enforcement: { state: 'not_required', groups: [] },
      condition: null,
    });
  });
});
