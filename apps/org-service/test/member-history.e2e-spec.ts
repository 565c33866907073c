/**
 * A member's enforcement history end to end: org-service HTTP → accounts.internal.members.history
 * → account-service's replay over member_events and org_policy_versions, with mfa-service's
 * device events, on one FixedClock shared by the three services (time moves, nobody sleeps).
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { FixedClock } from '@mfa/clock';
import type { HistoryItem, Member } from '@mfa/contracts';
import { addMember, bearer, createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';
import { base32Decode } from '../../mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../mfa-service/src/methods/totp/totp';

const H = 3_600_000;
// ahead of the database's clock, so every row the database stamps (creation, policy time) is in this clock's past
const clock = new FixedClock(new Date(Date.now() + 60_000));

let services: TestServices;
let org: TestOrg;
let other: TestOrg;

const http = () => request(services.orgUrl);
const code = (secret: string, offsetSteps: number) => hotp(base32Decode(secret), timeStep(clock.now()) + offsetSteps);
const member = async (id: string): Promise<Member> => (await http().get(`/v1/orgs/${org.id}/members/${id}`).set(org.auth)).body;
const historyUrl = (orgId: string, accountId: string) => `/v1/orgs/${orgId}/members/${accountId}/history`;

async function history(
  accountId: string,
  query: Record<string, string | number> = {},
): Promise<{ items: HistoryItem[]; nextCursor: string | null }> {
  const res = await http().get(historyUrl(org.id, accountId)).query(query).set(org.auth);
  expect(res.status).toBe(200);
  return res.body;
}
/** oldest first, as "cause>to" */
const path = (items: HistoryItem[]) => items.map((i) => `${i.cause.type}>${i.to}`).reverse();

async function expect400(res: request.Test, field: string) {
  const r = await res;
  expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 'validation_failed' });
  expect(r.body.message).toContain(field);
}

beforeAll(async () => {
  services = await startTestServices({ clock, env: { OUTBOX_RELAY_INTERVAL_MS: '200' } });
  org = await createOrg(services.orgUrl, services.platformKey);
  other = await createOrg(services.orgUrl, services.platformKey);
});

afterAll(async () => {
  await services?.close();
});

describe('GET /v1/orgs/:orgId/members/:accountId/history', () => {
  let ada: string;

  it('answers "why am I blocked since Tuesday?" with every transition, its cause and its time', async () => {
    ada = (await addMember(services.orgUrl, org)).id;
    const start = await history(ada);
    expect(start.items).toEqual([expect.objectContaining({ from: null, to: 'not_required', cause: { type: 'account_created' } })]);
    expect(start.nextCursor).toBeNull();

    // MFA required with a day of grace
    const put = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
    expect(put.status).toBe(202);
    const pending = await member(ada);
    expect(pending.enforcement.state).toBe('pending');
    const deadline = pending.enforcement.graceDeadline!;

    // the clock moves past the deadline: blocked since the deadline's very instant
    clock.advance(25 * H);
    expect((await member(ada)).enforcement.state).toBe('non_compliant');
    const blocked = await history(ada);
    expect(path(blocked.items)).toEqual(['account_created>not_required', 'policy_version>pending', 'deadline_passed>non_compliant']);
    expect(blocked.items[0]).toEqual({
      at: deadline,
      from: 'pending',
      to: 'non_compliant',
      cause: { type: 'deadline_passed' },
      graceDeadline: deadline,
    });
    expect(blocked.items[1]).toMatchObject({ from: 'not_required', to: 'pending', cause: { type: 'policy_version', id: '1' } });

    // a device enabled: compliant at the device event's time
    const created = (await services.bus.send('mfa.devices.create', { accountId: ada, type: 'totp', name: 'phone' })) as {
      serialNumber: string;
      secretBase32: string;
    };
    const s = created.secretBase32;
    await services.bus.send('mfa.devices.enable', {
      accountId: ada,
      serialNumber: created.serialNumber,
      code1: code(s, -1),
      code2: code(s, 0),
    });
    await waitFor(async () => (await member(ada)).enforcement.state === 'compliant', 15_000, 50);
    const enabledAt = clock.now().toISOString();
    expect((await history(ada)).items[0]).toMatchObject({
      at: enabledAt,
      from: 'non_compliant',
      to: 'compliant',
      cause: { type: 'device_enabled', id: created.serialNumber },
    });

    // an admin resets the only device: a fresh grace period from the reset, already over here
    clock.advance(H);
    const reset = await http().delete(`/v1/orgs/${org.id}/members/${ada}/mfa-devices/${created.serialNumber}`).set(org.auth);
    expect(reset.status).toBe(204);
    const afterReset = (await member(ada)).enforcement.state;
    expect(['pending', 'non_compliant']).toContain(afterReset);
    expect((await history(ada)).items[0]).toMatchObject({
      at: clock.now().toISOString(),
      from: 'compliant',
      to: afterReset,
      cause: { type: 'device_reset', id: created.serialNumber },
    });

    // an exemption for two hours, then the clock runs past its end
    const until = new Date(clock.now().getTime() + 2 * H).toISOString();
    expect(
      (await http().put(`/v1/orgs/${org.id}/members/${ada}/exemption`).set(org.auth).send({ until, reason: 'lost phone' })).status,
    ).toBe(200);
    expect((await history(ada)).items[0]).toMatchObject({ from: afterReset, to: 'exempt', cause: { type: 'exemption_set' } });
    clock.advance(3 * H);
    expect((await history(ada)).items[0]).toMatchObject({
      at: until,
      from: 'exempt',
      to: 'non_compliant',
      cause: { type: 'exemption_expired' },
    });

    // another exemption, cleared by an admin
    const until2 = new Date(clock.now().getTime() + 48 * H).toISOString();
    await http().put(`/v1/orgs/${org.id}/members/${ada}/exemption`).set(org.auth).send({ until: until2, reason: 'travel' }).expect(200);
    clock.advance(H);
    await http().delete(`/v1/orgs/${org.id}/members/${ada}/exemption`).set(org.auth).expect(200);

    const all = await history(ada);
    expect(path(all.items)).toEqual([
      'account_created>not_required',
      'policy_version>pending',
      'deadline_passed>non_compliant',
      'device_enabled>compliant',
      `device_reset>${afterReset}`,
      ...(afterReset === 'pending' ? ['deadline_passed>non_compliant'] : []),
      'exemption_set>exempt',
      'exemption_expired>non_compliant',
      'exemption_set>exempt',
      'exemption_removed>non_compliant',
    ]);
    expect(all.items[0].at).toBe(clock.now().toISOString());
    // a chain, newest first: each item starts where the older one ended; the newest is the state GET member answers
    for (let i = 0; i < all.items.length - 1; i++) expect(all.items[i].from).toBe(all.items[i + 1].to);
    expect(all.items[0].to).toBe((await member(ada)).enforcement.state);
  });

  it('pages newest first with an opaque cursor, each item once', async () => {
    const all = (await history(ada, { limit: 1000 })).items;
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const limit of [1, 2, 4]) {
      const walked: HistoryItem[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: HistoryItem[]; nextCursor: string | null } = await history(ada, cursor ? { limit, cursor } : { limit });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        walked.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(walked).toEqual(all);
    }
  });

  it('answers bad limits and cursors with validation_failed naming the field', async () => {
    const get = (query: Record<string, string>) => http().get(historyUrl(org.id, ada)).query(query).set(org.auth);
    for (const limit of ['0', '-1', '1001', 'abc', '1.5', '9'.repeat(400)]) await expect400(get({ limit }), 'limit');
    for (const cursor of [
      'garbage',
      Buffer.from('m1:x').toString('base64url'),
      Buffer.from('h1:1:x').toString('base64url'),
      'x'.repeat(201),
    ]) {
      await expect400(get({ cursor }), 'cursor');
    }
    await expect400(http().get(historyUrl(org.id, 'not-a-uuid')).set(org.auth), 'accountId');
  });

  it('survives hostile sizes: a 60 KB cursor, a limit of 400 digits, then answers as before', async () => {
    const huge = await http()
      .get(historyUrl(org.id, ada))
      .query({ cursor: 'h'.repeat(60_000) })
      .set(org.auth);
    expect([400, 414, 431]).toContain(huge.status);
    await expect400(
      http()
        .get(historyUrl(org.id, ada))
        .query({ limit: '9'.repeat(400), cursor: 'c'.repeat(5000) })
        .set(org.auth),
      'limit',
    );
    expect((await http().get(historyUrl(org.id, ada)).set(org.auth)).status).toBe(200);
  });

  it("answers not_found for another org's member, and for an unknown one", async () => {
    const res = await http().get(historyUrl(other.id, ada)).set(other.auth);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'not_found' });
    const unknown = await http().get(historyUrl(org.id, '00000000-0000-4000-8000-000000000000')).set(org.auth);
    expect(unknown.status).toBe(404);
    // another org's key on this org's path: the org is not its own, answered like one that does not exist
    expect((await http().get(historyUrl(org.id, ada)).set(other.auth)).status).toBe(404);
  });

  it('refuses a request without a valid key', async () => {
    expect((await http().get(historyUrl(org.id, ada))).status).toBe(401);
    expect((await http().get(historyUrl(org.id, ada)).set(bearer('mfak_nope'))).status).toBe(401);
  });

  it('bounds the work of a member with a huge past: the newest 1,000 facts, starting from the oldest kept', async () => {
    const busy = (await addMember(services.orgUrl, org)).id;
    const db = services.account.app.get(DataSource);
    // 3,000 exemption changes a second apart, ending cleared (written here: through the API it would take minutes)
    await db.query(
      `INSERT INTO accounts.member_events (org_id, account_id, at, kind, active_device_count, secure_active_device_count, exempt_until)
       SELECT $1, $2, $3::timestamptz - make_interval(secs => 3000 - g), CASE WHEN g % 2 = 1 THEN 'exemption_set' ELSE 'exemption_removed' END,
              0, 0, CASE WHEN g % 2 = 1 THEN $3::timestamptz + interval '1 year' END
         FROM generate_series(1, 3000) g`,
      [org.id, busy, clock.now()],
    );
    const started = Date.now();
    const first = await history(busy, { limit: 1000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(first.nextCursor).toBeNull();
    expect(first.items.length).toBeLessThanOrEqual(1000);
    expect(first.items[first.items.length - 1]).toMatchObject({ from: null, cause: { type: 'history_started' } });
    // the replay's end is still the member's state now
    expect(first.items[0].to).toBe((await member(busy)).enforcement.state);
  });
});
