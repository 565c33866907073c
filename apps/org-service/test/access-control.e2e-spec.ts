import request from 'supertest';
import { addMember, bearer, createApiKey, createOrg, startTestServices, type TestOrg, type TestServices } from '@test/support';

/**
 * Every admin route probed with: another org's keys (0 successes), an auditor key on every
 * write (forbidden), no/unknown/revoked keys (unauthenticated), and the platform key.
 */
type Method = 'get' | 'post' | 'delete';
interface Route {
  method: Method;
  path: string;
  body?: object;
}

/** The admin routes of this service (policy routes are probed by their own suite). */
function adminRoutes(orgId: string, accountId: string, keyId: string): Route[] {
  return [
    { method: 'get', path: `/v1/orgs/${orgId}` },
    { method: 'post', path: `/v1/orgs/${orgId}/api-keys`, body: { role: 'admin', label: 'probe' } },
    { method: 'delete', path: `/v1/orgs/${orgId}/api-keys/${keyId}` },
    { method: 'post', path: `/v1/orgs/${orgId}/members`, body: { email: 'probe@example.test' } },
    { method: 'post', path: `/v1/orgs/${orgId}/members/bulk`, body: { members: [{ email: 'probe-bulk@example.test' }] } },
    { method: 'get', path: `/v1/orgs/${orgId}/members` },
    { method: 'get', path: `/v1/orgs/${orgId}/members/${accountId}` },
    { method: 'delete', path: `/v1/orgs/${orgId}/members/${accountId}` },
  ];
}

let s: TestServices;
let victim: TestOrg;
let attacker: TestOrg;
let victimAccountId: string;
let victimKeyId: string;
let routes: Route[];

const call = (r: Route, headers: Record<string, string>) => {
  const req = request(s.orgUrl)[r.method](r.path).set(headers);
  return r.body ? req.send(r.body) : req;
};

beforeAll(async () => {
  s = await startTestServices();
  victim = await createOrg(s.orgUrl, s.platformKey, 'victim');
  attacker = await createOrg(s.orgUrl, s.platformKey, 'attacker');
  victimAccountId = (await addMember(s.orgUrl, victim, 'target@example.test')).id;
  victimKeyId = (await createApiKey(s.orgUrl, victim, 'admin')).id;
  routes = adminRoutes(victim.id, victimAccountId, victimKeyId);
});
afterAll(async () => {
  await s?.close();
});

async function expectEvery(routeList: Route[], headers: Record<string, string>, status: number, code: string) {
  const answers = [];
  for (const r of routeList) {
    const res = await call(r, headers);
    answers.push({ route: `${r.method.toUpperCase()} ${r.path}`, status: res.status, code: res.body.code });
  }
  expect(answers).toEqual(routeList.map((r) => ({ route: `${r.method.toUpperCase()} ${r.path}`, status, code })));
}

describe('cross-org probes', () => {
  it("another org's admin key gets not_found on every route, and nothing changes", async () => {
    await expectEvery(routes, attacker.auth, 404, 'not_found');
    const auditor = await createApiKey(s.orgUrl, attacker, 'auditor');
    await expectEvery(routes, bearer(auditor.key), 404, 'not_found');
    // the victim's data is intact
    const members = await request(s.orgUrl).get(`/v1/orgs/${victim.id}/members`).set(victim.auth);
    expect(members.body.items.map((m: { email: string }) => m.email)).toEqual(['target@example.test']);
    expect((await request(s.orgUrl).get(`/v1/orgs/${victim.id}/members/${victimAccountId}`).set(victim.auth)).status).toBe(200);
  });

  it("an org's own routes with another org's member or key ids answer not_found", async () => {
    const own = adminRoutes(attacker.id, victimAccountId, victimKeyId).filter((r) => /(members|api-keys)\/[0-9a-f-]{36}$/.test(r.path));
    await expectEvery(own, attacker.auth, 404, 'not_found');
  });

  it('a made-up org id answers not_found, not forbidden', async () => {
    await expectEvery(adminRoutes('00000000-0000-4000-8000-000000000000', victimAccountId, victimKeyId), victim.auth, 404, 'not_found');
  });
});

describe('roles', () => {
  it('an auditor key is forbidden on every non-GET route and allowed on every GET', async () => {
    const auditor = await createApiKey(s.orgUrl, victim, 'auditor');
    await expectEvery(
      routes.filter((r) => r.method !== 'get'),
      bearer(auditor.key),
      403,
      'forbidden',
    );
    for (const r of routes.filter((r) => r.method === 'get')) {
      expect((await call(r, bearer(auditor.key))).status).toBe(200);
    }
  });

  it('an org key may not create orgs; the platform key may not act inside an org', async () => {
    const res = await request(s.orgUrl).post('/v1/orgs').set(victim.auth).send({ name: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    await expectEvery(routes, bearer(s.platformKey), 403, 'forbidden');
  });
});

describe('unauthenticated', () => {
  const all = () => [...routes, { method: 'post' as const, path: '/v1/orgs', body: { name: 'x' } }];

  it('no key, a malformed header, an unknown key and a wrong secret are unauthenticated on every route', async () => {
    await expectEvery(all(), {}, 401, 'unauthenticated');
    await expectEvery(all(), { Authorization: 'Basic abc' }, 401, 'unauthenticated');
    await expectEvery(all(), bearer('mfak_nope'), 401, 'unauthenticated');
    // same key id, another secret
    const forged = victim.adminKey.slice(0, 'mfak_'.length + 36 + 1) + (victim.adminKey.endsWith('A') ? 'B' : 'A').repeat(43);
    expect(forged).not.toBe(victim.adminKey);
    await expectEvery(all(), bearer(forged), 401, 'unauthenticated');
  });

  it('a revoked key is unauthenticated on every route', async () => {
    const key = await createApiKey(s.orgUrl, victim, 'admin');
    expect((await request(s.orgUrl).delete(`/v1/orgs/${victim.id}/api-keys/${key.id}`).set(victim.auth)).status).toBe(204);
    await expectEvery(all(), bearer(key.key), 401, 'unauthenticated');
  });

  it('never echoes the presented key', async () => {
    const res = await request(s.orgUrl).get(`/v1/orgs/${victim.id}`).set(bearer('mfak_secret-looking-value'));
    expect(JSON.stringify(res.body)).not.toContain('secret-looking-value');
  });
});
