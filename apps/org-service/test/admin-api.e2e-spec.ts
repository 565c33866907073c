import request from 'supertest';
import { generateSync } from 'otplib';
import { type CreateTotpDeviceReply, Patterns } from '@mfa/contracts';
import {
  addMember,
  bearer,
  createApiKey,
  createOrg,
  memberRows,
  startTestServices,
  type TestOrg,
  type TestServices,
  waitFor,
} from '@test/support';

/** Org-service HTTP + account-service bus in this process, on the test Postgres and Redis. */
let s: TestServices;
let http: () => ReturnType<typeof request>;
beforeAll(async () => {
  s = await startTestServices();
  http = () => request(s.orgUrl);
});
afterAll(async () => {
  await s?.close();
});

describe('orgs', () => {
  it('creates an org with its first admin key, shown once', async () => {
    const res = await http().post('/v1/orgs').set(bearer(s.platformKey)).send({ name: '  Acme  ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Acme',
      createdAt: expect.any(String),
      adminKey: { id: expect.any(String), key: expect.stringMatching(/^mfak_/), role: 'admin' },
    });
    const got = await http().get(`/v1/orgs/${res.body.id}`).set(bearer(res.body.adminKey.key));
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id: res.body.id,
      name: 'Acme',
      createdAt: res.body.createdAt,
      policy: expect.objectContaining({
        orgId: res.body.id,
        version: 0,
        requireMfa: false,
        gracePeriodHours: 0,
        allowedMethods: ['totp', 'sms'],
      }),
      members: { total: 0, byState: { not_required: 0, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 } },
    });
    expect(JSON.stringify(got.body)).not.toContain(res.body.adminKey.key);
  });

  it('counts members in GET /v1/orgs/:orgId', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    await addMember(s.orgUrl, org);
    await addMember(s.orgUrl, org);
    const got = await http().get(`/v1/orgs/${org.id}`).set(org.auth);
    expect(got.body.members).toMatchObject({ total: 2, byState: { not_required: 2 } });
  });
});

describe('api keys', () => {
  it('creates admin and auditor keys, and a revoked key stops working at once', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const res = await http().post(`/v1/orgs/${org.id}/api-keys`).set(org.auth).send({ role: 'auditor', label: 'read only' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), key: expect.stringMatching(/^mfak_/), role: 'auditor', label: 'read only' });
    expect((await http().get(`/v1/orgs/${org.id}`).set(bearer(res.body.key))).status).toBe(200);

    const admin2 = await createApiKey(s.orgUrl, org, 'admin');
    expect((await http().delete(`/v1/orgs/${org.id}/api-keys/${admin2.id}`).set(org.auth)).status).toBe(204);
    const after = await http().get(`/v1/orgs/${org.id}`).set(bearer(admin2.key));
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthenticated');
    // revoking again is idempotent; an unknown key is not_found
    expect((await http().delete(`/v1/orgs/${org.id}/api-keys/${admin2.id}`).set(org.auth)).status).toBe(204);
    expect((await http().delete(`/v1/orgs/${org.id}/api-keys/00000000-0000-4000-8000-000000000000`).set(org.auth)).status).toBe(404);
  });
});

describe('members', () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg(s.orgUrl, s.platformKey);
  });

  it('adds a member (email trimmed and lower-cased), refuses a duplicate, gets it with devices, deletes it', async () => {
    const res = await http()
      .post(`/v1/orgs/${org.id}/members`)
      .set(org.auth)
      .send({ email: '  Grace@Example.COM ', displayName: 'Grace', externalId: 'u-1' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      orgId: org.id,
      email: 'grace@example.com',
      displayName: 'Grace',
      externalId: 'u-1',
      createdAt: expect.any(String),
      enforcement: {
        state: 'not_required',
        policyVersion: 0,
        requiredSince: null,
        graceDeadline: null,
        exemptUntil: null,
        // added with groups: the effective policy and the groups that made it (none here)
        effectivePolicy: { requireMfa: false, allowedMethods: ['totp', 'sms'], maxMfaAgeSeconds: null, secureMethodsOnly: false },
        groups: [],
      },
    });
    const dup = await http().post(`/v1/orgs/${org.id}/members`).set(org.auth).send({ email: 'GRACE@example.com' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');

    const got = await http().get(`/v1/orgs/${org.id}/members/${res.body.id}`).set(org.auth);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...res.body, devices: [] });

    // member services see the same member over the bus
    await expect(s.bus.send(Patterns.AccountsGet, { accountId: res.body.id })).resolves.toEqual(res.body);

    expect((await http().delete(`/v1/orgs/${org.id}/members/${res.body.id}`).set(org.auth)).status).toBe(204);
    const gone = await http().get(`/v1/orgs/${org.id}/members/${res.body.id}`).set(org.auth);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('not_found');
    expect((await http().delete(`/v1/orgs/${org.id}/members/${res.body.id}`).set(org.auth)).status).toBe(404);
    await expect(s.bus.send(Patterns.AccountsGet, { accountId: res.body.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('removing a member retires their MFA: their codes stop verifying and no session can be issued', async () => {
    const member = await addMember(s.orgUrl, org);
    const device = (await s.bus.send(Patterns.MfaDevicesCreate, {
      accountId: member.id,
      type: 'totp',
      name: 'phone',
    })) as CreateTotpDeviceReply;
    const at = (stepsBack: number) => generateSync({ secret: device.secretBase32, epoch: Math.floor(Date.now() / 1000) - 30 * stepsBack });
    await s.bus.send(Patterns.MfaDevicesEnable, { accountId: member.id, serialNumber: device.serialNumber, code1: at(2), code2: at(1) });
    const listed = await http().get(`/v1/orgs/${org.id}/members/${member.id}`).set(org.auth);
    expect(listed.body.devices).toEqual([expect.objectContaining({ serialNumber: device.serialNumber, status: 'active' })]);

    // another org's admin cannot touch this member's MFA through its own org's route
    const other = await createOrg(s.orgUrl, s.platformKey);
    expect((await http().delete(`/v1/orgs/${other.id}/members/${member.id}`).set(other.auth)).status).toBe(404);
    expect((await s.bus.send(Patterns.MfaDevicesList, { accountId: member.id })).items[0].status).toBe('active');

    expect((await http().delete(`/v1/orgs/${org.id}/members/${member.id}`).set(org.auth)).status).toBe(204);
    expect(await s.bus.send(Patterns.MfaVerify, { accountId: member.id, code: at(0) })).toEqual({
      valid: false,
      reason: 'no_active_device',
    });
    await expect(s.bus.send(Patterns.MfaSessionsIssue, { accountId: member.id, code: at(0) })).rejects.toMatchObject({
      code: 'invalid_code',
    });
    expect((await s.bus.send(Patterns.MfaDevicesList, { accountId: member.id })).items).toEqual([
      expect.objectContaining({ status: 'deactivated' }),
    ]);
  });

  it('bulk-adds 10,000 members in one call, then pages through all of them 1000 at a time', async () => {
    const big = await createOrg(s.orgUrl, s.platformKey);
    const rows = memberRows(10_000);
    const started = Date.now();
    const res = await http().post(`/v1/orgs/${big.id}/members/bulk`).set(big.auth).send({ members: rows });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ created: 10_000, existing: 0 });
    expect(Date.now() - started).toBeLessThan(20_000);

    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: request.Response = await http()
        .get(`/v1/orgs/${big.id}/members`)
        .query({ limit: 1000, ...(cursor ? { cursor } : {}) })
        .set(big.auth);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1000);
      for (const m of page.body.items) {
        expect(m.orgId).toBe(big.id);
        seen.add(m.id);
      }
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen.size).toBe(10_000);
    expect(pages).toBeGreaterThanOrEqual(10);
    expect(pages).toBeLessThanOrEqual(11);

    const stats = await http().get(`/v1/orgs/${big.id}`).set(big.auth);
    expect(stats.body.members.total).toBe(10_000);
  });

  it('counts duplicates within the body and emails already in the org as existing', async () => {
    const o = await createOrg(s.orgUrl, s.platformKey);
    await addMember(s.orgUrl, o, 'old@example.test');
    const res = await http()
      .post(`/v1/orgs/${o.id}/members/bulk`)
      .set(o.auth)
      .send({
        members: [
          { email: 'new@example.test' },
          { email: 'NEW@example.test ' },
          { email: 'Old@example.test' },
          { email: 'other@example.test', externalId: 'x' },
        ],
      });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ created: 2, existing: 2 });
    const list = await http().get(`/v1/orgs/${o.id}/members`).set(o.auth);
    expect(list.body.items.map((m: { email: string }) => m.email).sort()).toEqual([
      'new@example.test',
      'old@example.test',
      'other@example.test',
    ]);
    expect(list.body.nextCursor).toBeNull();
  });

  it('filters by state and keeps the default limit of 100', async () => {
    const o = await createOrg(s.orgUrl, s.platformKey);
    const rows = memberRows(150);
    await http().post(`/v1/orgs/${o.id}/members/bulk`).set(o.auth).send({ members: rows });
    const first = await http().get(`/v1/orgs/${o.id}/members`).set(o.auth);
    expect(first.body.items).toHaveLength(100);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const pending = await http().get(`/v1/orgs/${o.id}/members?state=pending`).set(o.auth);
    expect(pending.body).toEqual({ items: [], nextCursor: null });
    const notRequired = await http().get(`/v1/orgs/${o.id}/members?state=not_required&limit=1000`).set(o.auth);
    expect(notRequired.body.items).toHaveLength(150);
  });
});

describe('search members by email', () => {
  const emailsOf = (body: { items: Array<{ email: string }> }) => body.items.map((m) => m.email);

  it('finds members by email prefix, any case, in email order, paging to the end, with the state filter too', async () => {
    const o = await createOrg(s.orgUrl, s.platformKey);
    const members = [
      'ada.b@example.test',
      'ada.a@example.test',
      'adam@example.test',
      'bob@example.test',
      'ada_x@example.test',
      'ada%y@example.test',
      'Ada.C@Example.test',
    ].map((email) => ({ email }));
    await http().post(`/v1/orgs/${o.id}/members/bulk`).set(o.auth).send({ members });
    const other = await createOrg(s.orgUrl, s.platformKey);
    await http().post(`/v1/orgs/${other.id}/members`).set(other.auth).send({ email: 'ada.zz@example.test' });

    const all = await http().get(`/v1/orgs/${o.id}/members?email=ADA`).set(o.auth);
    expect(all.status).toBe(200);
    expect(emailsOf(all.body)).toEqual([
      'ada%y@example.test',
      'ada.a@example.test',
      'ada.b@example.test',
      'ada.c@example.test',
      'ada_x@example.test',
      'adam@example.test',
    ]);
    // % and _ are characters of the prefix, not wildcards; another org's ada is not ours
    expect(emailsOf((await http().get(`/v1/orgs/${o.id}/members?email=ada_`).set(o.auth)).body)).toEqual(['ada_x@example.test']);
    expect(
      emailsOf(
        (
          await http()
            .get(`/v1/orgs/${o.id}/members?email=${encodeURIComponent('ada%')}`)
            .set(o.auth)
        ).body,
      ),
    ).toEqual(['ada%y@example.test']);
    expect((await http().get(`/v1/orgs/${o.id}/members?email=ada.zz`).set(o.auth)).body).toEqual({ items: [], nextCursor: null });
    expect(emailsOf((await http().get(`/v1/orgs/${other.id}/members?email=ada`).set(other.auth)).body)).toEqual(['ada.zz@example.test']);

    // pages of 2 walk the same list, each once
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await http()
        .get(`/v1/orgs/${o.id}/members?email=ada&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(o.auth);
      expect(res.status).toBe(200);
      walked.push(...emailsOf(res.body));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(emailsOf(all.body));

    expect(emailsOf((await http().get(`/v1/orgs/${o.id}/members?email=ada.&state=not_required`).set(o.auth)).body)).toHaveLength(3);
    expect((await http().get(`/v1/orgs/${o.id}/members?email=ada.&state=pending`).set(o.auth)).body.items).toEqual([]);
  });

  it("refuses a cursor of the other listing, another org's key and no key", async () => {
    const o = await createOrg(s.orgUrl, s.platformKey);
    await http()
      .post(`/v1/orgs/${o.id}/members/bulk`)
      .set(o.auth)
      .send({ members: memberRows(3, 'cur') });
    const plain = await http().get(`/v1/orgs/${o.id}/members?limit=1`).set(o.auth);
    const search = await http().get(`/v1/orgs/${o.id}/members?email=cur&limit=1`).set(o.auth);
    const crossed = [
      await http().get(`/v1/orgs/${o.id}/members?email=cur&cursor=${plain.body.nextCursor}`).set(o.auth),
      await http().get(`/v1/orgs/${o.id}/members?cursor=${search.body.nextCursor}`).set(o.auth),
    ];
    for (const res of crossed)
      expect({ status: res.status, field: res.body.details?.[0]?.field }).toEqual({ status: 400, field: 'cursor' });
    const other = await createOrg(s.orgUrl, s.platformKey);
    expect((await http().get(`/v1/orgs/${o.id}/members?email=cur`).set(other.auth)).status).toBe(404);
    expect((await http().get(`/v1/orgs/${o.id}/members?email=cur`)).status).toBe(401);
  });
});

describe('audit of these admin actions', () => {
  it('records one event per action with its actor, and never the key', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const key = await createApiKey(s.orgUrl, org, 'admin');
    const auth = bearer(key.key);
    const m = await http().post(`/v1/orgs/${org.id}/members`).set(auth).send({ email: 'audit@example.test' });
    await http()
      .post(`/v1/orgs/${org.id}/members/bulk`)
      .set(auth)
      .send({ members: memberRows(3) });
    await http().delete(`/v1/orgs/${org.id}/members/${m.body.id}`).set(auth);
    await http().delete(`/v1/orgs/${org.id}/api-keys/${key.id}`).set(org.auth);
    // a refused change leaves no event
    await http().post(`/v1/orgs/${org.id}/members`).set(org.auth).send({ email: 'not-an-email' });

    const res = await http().get(`/v1/orgs/${org.id}/audit-events?limit=100`).set(org.auth);
    expect(res.status).toBe(200);
    // mfa-service's session.revoked (the removed member's sessions) comes over a queue: checked below
    const actions = res.body.items
      .filter((e: { action: string }) => e.action !== 'session.revoked')
      .map((e: { action: string; actor: { type: string; id: string | null } }) => [e.action, e.actor.type, e.actor.id])
      .reverse();
    const adminKeyId = (actions.find((a: string[]) => a[0] === 'api_key.revoked') ?? [])[2];
    expect(actions).toEqual([
      ['org.created', 'platform', null],
      ['api_key.created', 'platform', null],
      ['api_key.created', 'api_key', expect.any(String)],
      ['member.added', 'api_key', key.id],
      ['members.bulk_added', 'api_key', key.id],
      ['member.removed', 'api_key', key.id],
      ['api_key.revoked', 'api_key', adminKeyId],
    ]);
    const revoked = await waitFor(async () => {
      const r = await http().get(`/v1/orgs/${org.id}/audit-events?action=session.revoked`).set(org.auth);
      return r.body.items[0] ?? null;
    });
    expect(revoked).toMatchObject({
      actor: { type: 'system' },
      target: { type: 'account', id: m.body.id },
      details: { cause: 'member_removed' },
    });
    const bulk = res.body.items.find((e: { action: string }) => e.action === 'members.bulk_added');
    expect(bulk.details).toMatchObject({ rows: 3, created: 3, existing: 0 });
    expect(JSON.stringify(res.body)).not.toContain(key.key);
    expect(JSON.stringify(res.body)).not.toContain(org.adminKey);
  });
});
