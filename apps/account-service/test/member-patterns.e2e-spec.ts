import { randomUUID } from 'node:crypto';
import { Bus, BusClient, platformCredentialsFromEnv } from '@mfa/bus';
import { loadConfig } from '@mfa/config';
import { InternalPatterns, Patterns } from '@mfa/contracts';
import { type RunningService, startService } from '@mfa/observability';
import { unknownFieldError, wirePolicy } from '@test/support';
import { accountServiceApp } from '../src/account-service.app';
import { AccountServiceEnv } from '../src/config/account-service.env';

/** account-service alone, driven over the real bus exactly as org-service and member services do. */
let service: RunningService;
let client: BusClient;
let bus: Bus;

beforeAll(async () => {
  service = await startService(accountServiceApp, loadConfig(AccountServiceEnv, { ...process.env, ACCOUNT_SERVICE_PORT: '0' }));
  client = new BusClient({ redisUrl: process.env.REDIS_URL!, timeoutMs: 10_000, credentials: platformCredentialsFromEnv('test') });
  await client.connect();
  bus = new Bus(client);
});
afterAll(async () => {
  await client?.close();
  await service?.app.close();
});

/** The raw (untyped) request: bad payloads are what these tests send. */
const raw = (pattern: string, data: unknown) => client.request(pattern, data);
const failure = (p: Promise<unknown>): Promise<{ code?: string; message?: string; unexpected?: unknown }> =>
  p.then(
    (v) => ({ unexpected: v }),
    (e) => ({ code: e.code, message: e.message as string }),
  );

it('answers accounts.internal.ping', async () => {
  await expect(bus.send(InternalPatterns.AccountsPing, {})).resolves.toEqual({ pong: true });
});

describe('members', () => {
  const orgId = randomUUID();

  it('creates, gets (scoped and by id), lists, counts and deletes', async () => {
    const m = await bus.send(InternalPatterns.AccountsMembersCreate, { orgId, email: ' Lin@Example.ORG', displayName: 'Lin' });
    expect(m).toMatchObject({
      orgId,
      email: 'lin@example.org',
      displayName: 'Lin',
      externalId: null,
      enforcement: { state: 'not_required', policyVersion: 0 },
    });
    await expect(bus.send(InternalPatterns.AccountsMembersGet, { orgId, accountId: m.id })).resolves.toEqual(m);
    await expect(bus.send(Patterns.AccountsGet, { accountId: m.id })).resolves.toEqual(m);
    await expect(failure(bus.send(InternalPatterns.AccountsMembersGet, { orgId: randomUUID(), accountId: m.id }))).resolves.toMatchObject({
      code: 'not_found',
    });
    await expect(failure(bus.send(InternalPatterns.AccountsMembersCreate, { orgId, email: 'LIN@example.org' }))).resolves.toMatchObject({
      code: 'conflict',
    });
    await expect(bus.send(InternalPatterns.AccountsMembersStats, { orgId })).resolves.toEqual({
      total: 1,
      byState: { not_required: 1, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 },
    });
    await expect(
      bus.send(InternalPatterns.AccountsMembersDelete, { orgId: randomUUID(), accountId: m.id }).catch((e) => e.code),
    ).resolves.toBe('not_found');
    await expect(bus.send(InternalPatterns.AccountsMembersDelete, { orgId, accountId: m.id })).resolves.toEqual({ deleted: true });
    await expect(failure(bus.send(Patterns.AccountsGet, { accountId: m.id }))).resolves.toMatchObject({ code: 'not_found' });
  });

  it('bulk-creates with one statement, counting duplicates and existing rows, and pages by keyset', async () => {
    const org = randomUUID();
    const members = Array.from({ length: 2500 }, (_, i) => ({ email: `p${i}@example.test` }));
    await expect(bus.send(InternalPatterns.AccountsMembersBulkCreate, { orgId: org, members })).resolves.toEqual({
      created: 2500,
      existing: 0,
    });
    const again = [...members.slice(0, 10), { email: 'fresh@example.test' }, { email: 'FRESH@example.test' }];
    await expect(bus.send(InternalPatterns.AccountsMembersBulkCreate, { orgId: org, members: again })).resolves.toEqual({
      created: 1,
      existing: 11,
    });

    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await bus.send(InternalPatterns.AccountsMembersList, { orgId: org, limit: 1000, cursor });
      ids.push(...page.items.map((m) => m.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toHaveLength(2501);
    expect(new Set(ids).size).toBe(2501);
    expect([...ids].sort()).toEqual(ids); // id order
    // another org sees none of them
    await expect(bus.send(InternalPatterns.AccountsMembersList, { orgId: randomUUID(), limit: 10 })).resolves.toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe('validation', () => {
  it('names the bad field of every pattern', async () => {
    const orgId = randomUUID();
    const cases: Array<[string, unknown, string]> = [
      [Patterns.AccountsGet, { accountId: 'nope' }, 'accountId'],
      [Patterns.AccountsGet, {}, 'accountId'],
      [InternalPatterns.AccountsMembersCreate, { orgId, email: 'nope' }, 'email'],
      [InternalPatterns.AccountsMembersCreate, { orgId: 'x', email: 'a@b.io' }, 'orgId'],
      [InternalPatterns.AccountsMembersCreate, { orgId, email: 'a@b.io', displayName: 5 }, 'displayName'],
      [InternalPatterns.AccountsMembersBulkCreate, { orgId, members: [] }, 'members'],
      [InternalPatterns.AccountsMembersBulkCreate, { orgId, members: [{ email: 'a@b.io' }, { email: 'bad' }] }, 'members.1.email'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 0 }, 'limit'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, state: 'x' }, 'state'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, cursor: 'garbage' }, 'cursor'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, email: '' }, 'email'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, email: 7 }, 'email'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, email: 'a'.repeat(100_000) }, 'email'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, email: 'a', cursor: 'garbage' }, 'cursor'],
      [InternalPatterns.AccountsMembersList, { orgId, limit: 5, email: 'a', cursor: 'x'.repeat(1401) }, 'cursor'],
      [InternalPatterns.AccountsMembersGet, { orgId, accountId: 1 }, 'accountId'],
      [InternalPatterns.AccountsMembersDelete, { orgId: 'x', accountId: randomUUID() }, 'orgId'],
      [InternalPatterns.AccountsMembersStats, {}, 'orgId'],
      [InternalPatterns.AccountsMembersHistory, { orgId, accountId: 'x', limit: 5 }, 'accountId'],
      [InternalPatterns.AccountsMembersHistory, { orgId, accountId: randomUUID(), limit: 0 }, 'limit'],
      [InternalPatterns.AccountsMembersHistory, { orgId, accountId: randomUUID(), limit: 5, cursor: 'x'.repeat(201) }, 'cursor'],
      [InternalPatterns.AccountsMembersHistory, { orgId, accountId: randomUUID(), limit: 5, cursor: 42 }, 'cursor'],
      [InternalPatterns.AccountsMembersHistory, { orgId, accountId: randomUUID(), limit: 5, since: 'x' }, 'since'],
    ];
    for (const [pattern, data, field] of cases) {
      const result = await failure(raw(pattern, data));
      expect({ pattern, code: result.code }).toEqual({ pattern, code: 'validation_failed' });
      expect(result.message).toContain(field);
    }
  });

  it('an unknown field, top-level or nested, is validation_failed naming it (never silently dropped)', async () => {
    const orgId = randomUUID();
    const cases: Array<[string, unknown, string]> = [
      [Patterns.AccountsAuthorize, { accountId: randomUUID(), token: 'eyJ' }, 'token'],
      [Patterns.AccountsGet, { accountId: randomUUID(), orgId }, 'orgId'],
      [InternalPatterns.AccountsPing, { hello: 1 }, 'hello'],
      [InternalPatterns.AccountsMembersBulkCreate, { orgId, members: [{ email: 'a@b.io', mail: 'a@b.io' }] }, 'members.0.mail'],
      [
        InternalPatterns.AccountsPolicyApply,
        { rolloutId: randomUUID(), policy: { ...wirePolicy(orgId), requireMFA: true } },
        'policy.requireMFA',
      ],
    ];
    for (const [pattern, data, path] of cases) {
      await expect(failure(raw(pattern, data))).resolves.toEqual(unknownFieldError(path));
    }
  });

  it('a payload that is not an object is validation_failed, and the consumer keeps serving', async () => {
    await expect(failure(raw(Patterns.AccountsGet, 'text'))).resolves.toMatchObject({ code: 'validation_failed' });
    await expect(bus.send(InternalPatterns.AccountsPing, {})).resolves.toEqual({ pong: true });
  });
});

describe('service keys and callers (internal)', () => {
  it('keeps keys per org, revokes only in its org, and resolves keys and accounts with bounded, checked input', async () => {
    const orgA = randomUUID();
    const orgB = randomUUID();
    const key = await bus.send(InternalPatterns.AccountsServiceKeysCreate, { orgId: orgA, name: 'app', scopes: ['verify'] });
    expect(key).toMatchObject({ orgId: orgA, name: 'app', scopes: ['verify'], revokedAt: null, salt: expect.any(String) });
    await expect(bus.send(InternalPatterns.AccountsServiceKeysList, { orgId: orgB })).resolves.toEqual({ items: [] });
    await expect(failure(bus.send(InternalPatterns.AccountsServiceKeysRevoke, { orgId: orgB, keyId: key.id }))).resolves.toMatchObject({
      code: 'not_found',
    });
    const member = await bus.send(InternalPatterns.AccountsMembersCreate, { orgId: orgA, email: `k-${randomUUID()}@example.org` });
    // ids that are not UUIDs match nothing (no error: the gate asks with whatever a caller sent)
    await expect(
      bus.send(InternalPatterns.AccountsCallersResolve, { keyIds: [key.id, 'junk'], accountIds: [member.id, 'junk', randomUUID()] }),
    ).resolves.toEqual({
      keys: [{ id: key.id, orgId: orgA, scopes: ['verify'], salt: key.salt, revoked: false }],
      accounts: [{ id: member.id, orgId: orgA }],
    });
    await bus.send(InternalPatterns.AccountsServiceKeysRevoke, { orgId: orgA, keyId: key.id });
    await expect(bus.send(InternalPatterns.AccountsCallersResolve, { keyIds: [key.id], accountIds: [] })).resolves.toMatchObject({
      keys: [{ revoked: true }],
    });
    const many = Array.from({ length: 1001 }, () => randomUUID());
    await expect(failure(raw(InternalPatterns.AccountsCallersResolve, { keyIds: many, accountIds: [] }))).resolves.toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/^keyIds/),
    });
    await expect(
      failure(raw(InternalPatterns.AccountsServiceKeysCreate, { orgId: orgA, name: 'x'.repeat(101), scopes: ['root'] })),
    ).resolves.toMatchObject({ code: 'validation_failed' });
  });
});

describe('per-action conditions (account-service alone)', () => {
  const policyOf = (orgId: string, version: number, conditions?: unknown) => ({
    orgId,
    version,
    requireMfa: false,
    gracePeriodHours: 0,
    allowedMethods: ['totp'],
    maxMfaAgeSeconds: null,
    updatedAt: new Date().toISOString(),
    ...(conditions === undefined ? {} : { conditions }),
  });
  const condition = { actions: ['billing:*', 'repo:delete'], maxMfaAgeSeconds: 300 };

  it('stores the conditions of a hand-over, answers them and applies them; a bad hand-over is refused by name', async () => {
    const orgId = randomUUID();
    const m = await bus.send(InternalPatterns.AccountsMembersCreate, { orgId, email: `c-${orgId}@example.test` });
    const bad = await failure(
      raw(InternalPatterns.AccountsPolicyApply, {
        policy: policyOf(orgId, 1, [condition, { actions: ['ok', 'no*pe'], maxMfaAgeSeconds: 60 }]),
        rolloutId: randomUUID(),
      }),
    );
    expect(bad).toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('policy.conditions.1.actions: actions[1] must be'),
    });
    expect(
      await failure(
        raw(InternalPatterns.AccountsPolicyApply, {
          policy: policyOf(
            orgId,
            1,
            Array.from({ length: 1500 }, () => ({ actions: ['a'], maxMfaAgeSeconds: 60 })),
          ),
          rolloutId: randomUUID(),
        }),
      ),
    ).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('conditions must contain no more than 20') });
    await expect(bus.send(InternalPatterns.AccountsPolicyGet, { orgId })).resolves.toMatchObject({ version: 0, conditions: [] });

    await bus.send(InternalPatterns.AccountsPolicyApply, { policy: policyOf(orgId, 1, [condition]) as never, rolloutId: randomUUID() });
    await expect(bus.send(InternalPatterns.AccountsPolicyGet, { orgId })).resolves.toMatchObject({ version: 1, conditions: [condition] });
    await expect(bus.send(Patterns.AccountsAuthorize, { accountId: m.id, action: 'repo:delete' })).resolves.toMatchObject({
      allowed: false,
      reason: 'mfa_required',
      condition,
    });
    await expect(bus.send(Patterns.AccountsAuthorize, { accountId: m.id, action: 'repo:deleted' })).resolves.toMatchObject({
      allowed: true,
      condition: null,
    });
    // a token that is not one: still mfa_required
    await expect(
      bus.send(Patterns.AccountsAuthorize, { accountId: m.id, action: 'billing:x', sessionToken: 'a.b.c' }),
    ).resolves.toMatchObject({
      allowed: false,
      reason: 'mfa_required',
    });

    // a hand-over without the field (an older org-service) means none
    await bus.send(InternalPatterns.AccountsPolicyApply, { policy: policyOf(orgId, 2) as never, rolloutId: randomUUID() });
    await expect(bus.send(InternalPatterns.AccountsPolicyGet, { orgId })).resolves.toMatchObject({ version: 2, conditions: [] });
    await expect(bus.send(Patterns.AccountsAuthorize, { accountId: m.id, action: 'repo:delete' })).resolves.toMatchObject({
      allowed: true,
      condition: null,
    });
  });

  it('names a bad action, and refuses a 1 MB one unread', async () => {
    const accountId = randomUUID();
    for (const action of ['billing:*', 'has space', '', 'x'.repeat(129)])
      expect(await failure(raw(Patterns.AccountsAuthorize, { accountId, action }))).toMatchObject({
        code: 'validation_failed',
        message: expect.stringMatching(/^action: /),
      });
    expect(await failure(raw(Patterns.AccountsAuthorize, { accountId, action: 'a'.repeat(1_000_000) }))).toMatchObject({
      code: 'validation_failed',
    });
    await expect(bus.send(Patterns.AccountsAuthorize, { accountId, action: 'billing:refund' })).resolves.toEqual({
      allowed: false,
      reason: 'unknown_account',
      enforcement: null,
    });
  });
});
