import request from 'supertest';
import { createOrg, memberRows, startTestServices, type TestOrg, type TestServices } from '@test/support';

/** The body gate: no body is read before the key is known, and every body has a size and shape bound. */
let s: TestServices;
let org: TestOrg;
beforeAll(async () => {
  s = await startTestServices({ mfa: false });
  org = await createOrg(s.orgUrl, s.platformKey);
});
afterAll(async () => {
  await s?.close();
});

const KiB = 1024;
const MiB = 1024 * KiB;
const tinyObjects = (bytes: number) => `[${'{},'.repeat(Math.floor(bytes / 3) - 1)}{}]`;
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** A raw body, sent with fetch so nothing is re-encoded on the way. */
function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(s.orgUrl + path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    signal: AbortSignal.timeout(30_000),
  });
}

async function expectError(res: Response, status: number, code: string, message?: RegExp): Promise<void> {
  const body = (await res.json()) as Record<string, unknown>;
  expect({ status: res.status, ...body }).toMatchObject({ status, statusCode: status, code, message: message ?? expect.any(String) });
}

describe('without a key, no body of any size or shape is read', () => {
  it.each<[string, () => string]>([
    ['empty', () => ''],
    ['1 KiB', () => JSON.stringify({ name: 'x'.repeat(KiB) })],
    ['100 KiB', () => JSON.stringify({ name: 'x'.repeat(100 * KiB) })],
    ['8 MB of tiny objects', () => tinyObjects(8 * 1000 * 1000)],
    ['deeply nested JSON', () => nested(500_000)],
    ['not JSON', () => 'this is { not json'],
  ])('%s: 401 unauthenticated', async (_name, body) => {
    for (const path of ['/v1/orgs', `/v1/orgs/${org.id}/members/bulk`]) {
      await expectError(await post(path, body()), 401, 'unauthenticated', /missing bearer API key/);
      await expectError(await post(path, body(), { authorization: 'Bearer mfak_not-a-key' }), 401, 'unauthenticated', /unknown or revoked/);
    }
  });

  it('still answers afterwards', async () => {
    expect((await request(s.orgUrl).get('/health')).status).toBe(200);
    expect((await request(s.orgUrl).get(`/v1/orgs/${org.id}`).set(org.auth)).status).toBe(200);
  });
});

describe('with a valid key, bodies are bounded', () => {
  const bulk = () => `/v1/orgs/${org.id}/members/bulk`;

  it('a 65 KiB body on an ordinary route: 413 naming 64 KiB', async () => {
    const res = await post(
      `/v1/orgs/${org.id}/members`,
      JSON.stringify({ email: 'a@example.test', displayName: 'x'.repeat(65 * KiB) }),
      org.auth,
    );
    await expectError(res, 413, 'validation_failed', /larger than 64 KiB/);
  });

  it('a bulk body of 2 MiB + 1 byte: 413 naming 2 MiB', async () => {
    const head = '{"members":[{"email":"a@example.test","displayName":"';
    const tail = '"}]}';
    const res = await post(bulk(), head + 'x'.repeat(2 * MiB + 1 - head.length - tail.length) + tail, org.auth);
    await expectError(res, 413, 'validation_failed', /larger than 2 MiB/);
  });

  it('a bulk of 10,001 rows: 400 naming the limit', async () => {
    await expectError(
      await post(bulk(), JSON.stringify({ members: memberRows(10_001) }), org.auth),
      400,
      'validation_failed',
      /members must contain no more than 10000 elements/,
    );
  });

  it.each<[string, () => string]>([
    ['2 MiB of tiny objects', () => `{"members":${tinyObjects(2 * MiB - 20)}}`],
    ['2 MiB of numbers', () => `{"members":[${'0,'.repeat(MiB - 10)}0]}`],
  ])('a bulk of the worst shape (%s): 400 naming the limit, before any row is built', async (_name, body) => {
    await expectError(await post(bulk(), body(), org.auth), 400, 'validation_failed', /no more than 10000 elements/);
  });

  it.each<[string, string]>([
    ['bulk', `/members/bulk`],
    ['an ordinary route', `/members`],
  ])('deeply nested JSON on %s: 400, never a 500', async (_name, suffix) => {
    await expectError(
      await post(`/v1/orgs/${org.id}${suffix}`, `{"members":${nested(20_000)}}`, org.auth),
      400,
      'validation_failed',
      /nested deeper than 32 levels/,
    );
  });

  it('malformed JSON: 400', async () => {
    await expectError(await post(bulk(), '{"members": [', org.auth), 400, 'validation_failed', /not valid JSON/);
  });

  it('a bulk of 10,000 rows still works, and the service keeps answering', async () => {
    const res = await request(s.orgUrl)
      .post(bulk())
      .set(org.auth)
      .send({ members: memberRows(10_000) });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ created: 10_000, existing: 0 });
    expect((await request(s.orgUrl).get('/health')).status).toBe(200);
  });

  it('the guard still checks the role once the body gate let the key in', async () => {
    const auditor = await request(s.orgUrl).post(`/v1/orgs/${org.id}/api-keys`).set(org.auth).send({ role: 'auditor', label: 'a' });
    const res = await post(`/v1/orgs/${org.id}/members`, JSON.stringify({ email: 'b@example.test' }), {
      authorization: `Bearer ${auditor.body.key}`,
    });
    await expectError(res, 403, 'forbidden');
    await expectError(
      await post(`/v1/orgs/${org.id}/members`, JSON.stringify({ email: 'b@example.test' }), { authorization: `Bearer ${s.platformKey}` }),
      403,
      'forbidden',
    );
  });
});

it('more bulk imports at once than one process takes: the extra ones are 429 rate_limited, the others go through', async () => {
  const body = JSON.stringify({ members: memberRows(5_000) });
  const answers = await Promise.all(Array.from({ length: 4 }, () => post(`/v1/orgs/${org.id}/members/bulk`, body, org.auth)));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses.filter((x) => x === 201).length).toBeGreaterThanOrEqual(2);
  expect(statuses).toContain(429);
  for (const r of answers.filter((x) => x.status === 429)) await expectError(r, 429, 'rate_limited', /at most 2 bulk imports/);
  expect(statuses.every((x) => x === 201 || x === 429)).toBe(true);
});
