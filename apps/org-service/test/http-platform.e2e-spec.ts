import request from 'supertest';
import { startTestServices, type TestServices } from '@test/support';

/** The plumbing every HTTP answer shares: error shape, request ids, health, metrics, docs. */
let s: TestServices;
beforeAll(async () => {
  s = await startTestServices({ mfa: false });
});
afterAll(async () => {
  await s?.close();
});

it('answers an unknown route with 404 not_found in the contract shape', async () => {
  const res = await request(s.orgUrl).get('/v2/nothing');
  expect(res.status).toBe(404);
  expect(res.body).toMatchObject({ statusCode: 404, code: 'not_found', message: expect.any(String) });
});

it('echoes a sane x-request-id and makes one up otherwise', async () => {
  expect((await request(s.orgUrl).get('/health').set('x-request-id', 'req-42')).headers['x-request-id']).toBe('req-42');
  const made = (await request(s.orgUrl).get('/health').set('x-request-id', 'bad id with spaces')).headers['x-request-id'];
  expect(made).toMatch(/^[0-9a-f-]{36}$/);
});

it('serves /health, /metrics with HTTP request metrics, and /docs', async () => {
  expect((await request(s.orgUrl).get('/health')).body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  await request(s.orgUrl).get('/v1/orgs/x').set('authorization', `Bearer ${s.platformKey}`); // 403, on a matched route
  const metrics = await request(s.orgUrl).get('/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.text).toContain('http_requests_total{');
  expect(metrics.text).toContain('route="/v1/orgs/:orgId"');
  expect(metrics.text).toContain('http_request_duration_seconds_bucket');
  expect((await request(s.orgUrl).get('/docs')).status).toBe(200);
  const spec = await request(s.orgUrl).get('/docs-json');
  expect(spec.status).toBe(200);
  expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/orgs', '/v1/orgs/{orgId}/members/bulk']));
  expect(spec.body.components.schemas.NewMemberDto.properties.email).toBeDefined();
});

it('account-service serves its own /health and /metrics', async () => {
  const url = `http://127.0.0.1:${s.account.port}`;
  expect((await request(url).get('/health')).status).toBe(200);
  expect((await request(url).get('/metrics')).text).toContain('service="account-service"');
});

it('answers member reads with 503 unavailable when mfa-service does not answer', async () => {
  const { createOrg, addMember } = await import('@test/support');
  const slow = await startTestServices({ mfa: false, env: { BUS_TIMEOUT_MS: '300' } });
  try {
    const org = await createOrg(slow.orgUrl, slow.platformKey);
    const m = await addMember(slow.orgUrl, org);
    const res = await request(slow.orgUrl).get(`/v1/orgs/${org.id}/members/${m.id}`).set(org.auth);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('unavailable');
  } finally {
    await slow.close();
  }
});
