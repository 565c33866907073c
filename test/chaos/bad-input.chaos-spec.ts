import fc from 'fast-check';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { BusServices, ErrorCodes, HttpStatusOf, InternalPatterns, Patterns, type ErrorCode } from '@mfa/contracts';
import { addMembers, type AdminApi } from '../../bench/lib/fixture';
import { type BusCredentials, replyPrefixOf, signEntry } from '@mfa/bus';
import { Deployment, PLATFORM_API_KEY } from './deployment';

const CODES = new Set<string>(Object.values(ErrorCodes));
const ALL_PATTERNS = [...Object.values(Patterns), ...Object.values(InternalPatterns)];

/** A JSON value of any shape, and valid bodies with one field broken, dropped or added. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
function mutations(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    anyJson,
    fc.record({ key: fc.constantFrom(...keys), value: anyJson }).map(({ key, value }) => ({ ...valid, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
    fc.record({ key: fc.string({ maxLength: 12 }), value: anyJson }).map(({ key, value }) => ({ ...valid, [key]: value })),
  );
}
const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer().map(String),
  fc.constantFrom('-1', '0', '1e9', '1.5', 'NaN', '%00', '[]', 'null'),
);

/** FUZZ_SCALE=10 npm run test:chaos -- bad-input: ten times the generated inputs, for a deeper hunt. */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE) || 1);
const runs = (n: number) => ({ numRuns: n * SCALE, endOnFailure: true });

let http4xx = 0;
let busErrors = 0;

async function expectContractAnswer(res: Response): Promise<void> {
  if (res.status < 400) return;
  const body = (await res.json()) as { statusCode: number; code: ErrorCode; message: string };
  expect(res.status).toBeLessThan(500);
  expect(CODES.has(body.code)).toBe(true);
  expect(body.statusCode).toBe(res.status);
  expect(HttpStatusOf[body.code]).toBe(res.status);
  expect(typeof body.message).toBe('string');
  http4xx++;
}

describe('bad input (generated): HTTP bodies, queries and bus entries', () => {
  const system = new Deployment();
  let admin: AdminApi;
  let orgId: string;
  let accountId: string;
  let redis: Redis;
  let serviceKey: BusCredentials;

  beforeAll(async () => {
    await system.start();
    ({ orgId, admin } = await system.newOrg('fuzz'));
    [accountId] = await addMembers(admin, orgId, 1, 'fuzz');
    const res = await send('POST', `/v1/orgs/${orgId}/service-keys`, { name: 'fuzzer' });
    const key = (await res.json()) as { id: string; secret: string };
    serviceKey = { keyId: key.id, secret: key.secret };
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    redis?.disconnect();
    await system.stop();
  });

  const send = (method: string, path: string, body: unknown, key = admin.key) =>
    fetch(system.platform.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });

  // every row names its key: jest.each treats a test function with more parameters than the
  // row has as one taking a `done` callback, and would wait for it forever
  const bodies: Array<[string, string, () => string, Record<string, unknown>, () => string]> = [
    ['POST', 'orgs', () => '/v1/orgs', { name: 'x' }, () => PLATFORM_API_KEY],
    ['POST', 'api-keys', () => `/v1/orgs/${orgId}/api-keys`, { role: 'auditor', label: 'l' }, () => admin.key],
    ['POST', 'members', () => `/v1/orgs/${orgId}/members`, { email: 'a@b.example', displayName: 'A', externalId: 'e' }, () => admin.key],
    ['POST', 'members/bulk', () => `/v1/orgs/${orgId}/members/bulk`, { members: [{ email: 'c@d.example' }] }, () => admin.key],
    [
      'PUT',
      'mfa-policy',
      () => `/v1/orgs/${orgId}/mfa-policy`,
      { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'], maxMfaAgeSeconds: 3600 },
      () => admin.key,
    ],
    ['POST', 'service-keys', () => `/v1/orgs/${orgId}/service-keys`, { name: 'n', scopes: ['verify'] }, () => admin.key],
    [
      'PUT',
      'exemption',
      () => `/v1/orgs/${orgId}/members/${accountId}/exemption`,
      { until: '2099-01-01T00:00:00Z', reason: 'r' },
      () => admin.key,
    ],
  ];

  it.each(bodies)('%s %s: every generated body answers < 500 in the contract shape', async (method, _name, path, valid, key) => {
    await fc.assert(
      fc.asyncProperty(mutations(valid), async (body) => expectContractAnswer(await send(method, path(), body, key()))),
      runs(120),
    );
  });

  const queries: Array<[string, () => string, string[]]> = [
    ['members', () => `/v1/orgs/${orgId}/members`, ['state', 'limit', 'cursor']],
    ['audit-events', () => `/v1/orgs/${orgId}/audit-events`, ['limit', 'cursor', 'action']],
    ['compliance-report', () => `/v1/orgs/${orgId}/compliance-report`, ['format']],
    ['compliance-report/history', () => `/v1/orgs/${orgId}/compliance-report/history`, ['days']],
  ];

  it.each(queries)('GET %s: every generated query answers < 500 in the contract shape', async (_name, path, params) => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...params), queryValue), async (query) => {
        const res = await send('GET', `${path()}?${new URLSearchParams(query).toString()}`, undefined);
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 400)
          await expectContractAnswer(await send('GET', `${path()}?${new URLSearchParams(query).toString()}`, undefined));
        expect(res.status).toBeLessThan(500);
      }),
      runs(60),
    );
  });

  it('generated ids in paths answer 400 or 404, never 500', async () => {
    await fc.assert(
      // "." and ".." are not ids a server sees: the client resolves them as dot segments
      // (…/members/. is …/members/, the list, 200)
      fc.asyncProperty(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s !== '.' && s !== '..'),
          fc.uuid(),
        ),
        async (id) => {
          const segment = encodeURIComponent(id);
          for (const path of [
            `/v1/orgs/${segment}`,
            `/v1/orgs/${orgId}/members/${segment}`,
            `/v1/orgs/${orgId}/rollouts/${segment}`,
            `/v1/orgs/${orgId}/members/${accountId}/mfa-devices/${segment}`,
          ]) {
            const res = await send(path.includes('mfa-devices') ? 'DELETE' : 'GET', path, undefined);
            await expectContractAnswer(res);
            expect([400, 404]).toContain(res.status);
          }
        },
      ),
      runs(60),
    );
  });

  it("generated signed bus entries (a member service's key or the platform's): each answered with ok or a contract error, consumers keep serving", async () => {
    const entry = fc.record(
      {
        id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant(undefined)),
        pattern: fc.oneof(
          fc.constantFrom(...ALL_PATTERNS),
          fc.string({ maxLength: 30 }).map((s) => `mfa.${s}`),
          fc.string({ maxLength: 30 }).map((s) => `accounts.${s}`),
        ),
        data: fc.oneof(
          anyJson.map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 30 }),
          fc.constant('{"accountId": "not-a-uuid"}'),
        ),
      },
      { requiredKeys: ['pattern', 'data'] },
    );
    await fc.assert(
      fc.asyncProperty(entry, fc.boolean(), async ({ id, pattern, data }, asPlatform) => {
        const creds = asPlatform ? system.credentials : serviceKey;
        const replyTo = `${replyPrefixOf(creds.keyId)}${randomUUID()}`;
        const stream = pattern.startsWith('mfa.') ? BusServices.mfa.stream : BusServices.accounts.stream;
        const deadline = String(Date.now() + 10_000);
        const fields = ['pattern', pattern, 'data', data, 'replyTo', replyTo, 'deadline', deadline, 'keyId', creds.keyId];
        fields.push('sig', signEntry(creds.secret, id ?? '', pattern, deadline, replyTo, data));
        if (id !== undefined) fields.unshift('id', id);
        await redis.xadd(stream, '*', ...fields);
        const popped = await redis.blpop(replyTo, 10);
        expect(popped).not.toBeNull();
        const reply = JSON.parse(popped![1]) as { ok: boolean; error?: { code: string; message: string } };
        if (!reply.ok) {
          expect(CODES.has(reply.error!.code)).toBe(true);
          expect(reply.error!.code).not.toBe('internal');
          busErrors++;
        }
      }),
      runs(500),
    );
    expect(await system.bus.send(InternalPatterns.MfaPing, {})).toEqual({ pong: true });
    expect(await system.bus.send(InternalPatterns.AccountsPing, {})).toEqual({ pong: true });
  });

  afterAll(() => {
    // the issue asks for at least 1,000 generated bad inputs answered with the contract's error
    console.log(`bad inputs answered with a contract error: ${http4xx} over HTTP, ${busErrors} on the bus`);
    expect(http4xx + busErrors).toBeGreaterThanOrEqual(1000);
  });
});
