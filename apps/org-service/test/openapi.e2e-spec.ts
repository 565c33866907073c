import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { type CreateTotpDeviceReply, ErrorCodes } from '@mfa/contracts';
import { bearer, createOrg, startTestServices, type TestOrg, type TestServices } from '@test/support';

/**
 * The published OpenAPI document (docs/openapi.json, served at /docs-json) is current, usable by
 * a client generator, and true: every route is driven against the real services and each live
 * answer is checked against the spec's schema for its status (unknown fields refused too).
 * After changing a route or a response model: `OPENAPI_WRITE=1 npx jest apps/org-service/test/openapi.e2e-spec.ts`.
 */
const SPEC_FILE = join(__dirname, '../../../docs/openapi.json');
type Spec = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Operation = {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

let s: TestServices;
let spec: Spec;
beforeAll(async () => {
  s = await startTestServices();
  spec = (await request(s.orgUrl).get('/docs-json').expect(200)).body;
});
afterAll(async () => {
  await s?.close();
});

const operations = () =>
  Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ path, method, op })),
  );

describe('the document', () => {
  it('is the one committed in docs/openapi.json', () => {
    const served = `${JSON.stringify(spec, null, 2)}\n`;
    if (process.env.OPENAPI_WRITE === '1') writeFileSync(SPEC_FILE, served);
    expect(JSON.parse(readFileSync(SPEC_FILE, 'utf8'))).toEqual(spec);
  });

  it('gives every operation a unique operationId, a typed success answer and its error answers', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(23);
    const ids = ops.map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of ops) {
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((st) => st.startsWith('2'));
      expect({ path, method, success: success.length }).toEqual({ path, method, success: expect.any(Number) });
      expect(success.length).toBeGreaterThan(0);
      for (const st of success.filter((x) => x !== '204')) {
        const content = op.responses[st].content ?? {};
        expect({ path, method, st, typed: Object.values(content).some((c) => c.schema !== undefined) }).toEqual({
          path,
          method,
          st,
          typed: true,
        });
      }
      if (path.startsWith('/v1/')) {
        expect({ path, method, statuses }).toEqual({ path, method, statuses: expect.arrayContaining(['401', '403']) });
        for (const st of statuses.filter((x) => /^[45]/.test(x))) {
          expect(op.responses[st].content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
        }
      }
    }
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const codes = (spec.components.schemas.ErrorBody as { properties: { code: { enum: string[] } } }).properties.code.enum;
    expect(codes.sort()).toEqual(Object.values(ErrorCodes).sort());
  });
});

// ---- live answers against the spec ------------------------------------------------------

/** A copy of the spec whose object schemas refuse properties they do not declare. */
function closed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closed);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'example' || k === 'examples' ? v : closed(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
let ajv: Ajv;
const validators = new Map<string, ValidateFunction>();
function validatorFor(path: string, method: string, status: number): ValidateFunction {
  const key = `${method} ${path} ${status}`;
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(closed(spec) as object, 'openapi.json');
  }
  if (!validators.has(key)) {
    validators.set(
      key,
      ajv.compile({
        $ref: `openapi.json#/${pointer('paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema')}`,
      }),
    );
  }
  return validators.get(key)!;
}

const exercised = new Set<string>();

/** One live call: the answer's status must be declared for the route, and its body must match that status' schema. */
async function call(
  method: 'get' | 'post' | 'put' | 'delete',
  path: string,
  opts: {
    params?: Record<string, string>;
    auth?: Record<string, string>;
    body?: unknown;
    query?: Record<string, string | number>;
    raw?: string;
  },
): Promise<request.Response> {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(opts.params?.[name] ?? `missing-${name}`));
  let req = request(s.orgUrl)[method](url);
  if (opts.auth) req = req.set(opts.auth);
  if (opts.query) req = req.query(opts.query);
  if (opts.raw !== undefined) req = req.set('content-type', 'application/json').send(opts.raw);
  else if (opts.body !== undefined) req = req.send(opts.body as object);
  const res = await req;
  const declared = spec.paths[path]?.[method]?.responses ?? {};
  const where = `${method.toUpperCase()} ${path} -> ${res.status}`;
  expect({ where, declared: String(res.status) in declared }).toEqual({ where, declared: true });
  exercised.add(`${method} ${path} ${res.status}`);
  const type = String(res.headers['content-type'] ?? '');
  if (res.status === 204) {
    expect(res.text ?? '').toBe('');
  } else if (type.startsWith('application/json')) {
    const validate = validatorFor(path, method, res.status);
    const ok = validate(res.body);
    expect({ where, errors: ok ? null : validate.errors, body: ok ? null : res.body }).toEqual({ where, errors: null, body: null });
  } else {
    const media = type.split(';')[0];
    expect({ where, media, declared: media in (declared[String(res.status)].content ?? {}) }).toEqual({ where, media, declared: true });
  }
  return res;
}

/** RFC 6238 with SHA-1, 6 digits, 30 s: the member's authenticator app. */
function totp(secretBase32: string, offsetSteps: number): string {
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '')) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offsetSteps));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

describe('every route answers what the spec says', () => {
  let org: TestOrg;
  let other: TestOrg;
  let auditor: Record<string, string>;
  let accountId: string;
  let serialNumber: string;

  it('orgs and API keys', async () => {
    const platform = bearer(s.platformKey);
    const created = await call('post', '/v1/orgs', { auth: platform, body: { name: 'OpenAPI Inc' } });
    expect(created.status).toBe(201);
    org = { id: created.body.id, name: created.body.name, adminKey: created.body.adminKey.key, auth: bearer(created.body.adminKey.key) };
    other = await createOrg(s.orgUrl, s.platformKey);
    expect((await call('post', '/v1/orgs', { auth: platform, body: { name: '' } })).status).toBe(400);
    expect((await call('post', '/v1/orgs', { body: { name: 'x' } })).status).toBe(401);
    expect((await call('post', '/v1/orgs', { auth: org.auth, body: { name: 'x' } })).status).toBe(403);
    expect((await call('post', '/v1/orgs', { auth: platform, raw: '{"name":' })).status).toBe(400);

    expect((await call('get', '/v1/orgs/{orgId}', { auth: org.auth, params: { orgId: org.id } })).status).toBe(200);
    expect((await call('get', '/v1/orgs/{orgId}', { auth: org.auth, params: { orgId: other.id } })).status).toBe(404);

    const key = await call('post', '/v1/orgs/{orgId}/api-keys', {
      auth: org.auth,
      params: { orgId: org.id },
      body: { role: 'auditor', label: 'read only' },
    });
    expect(key.status).toBe(201);
    auditor = bearer(key.body.key);
    const current = await call('get', '/v1/orgs/{orgId}/api-keys/current', { auth: org.auth, params: { orgId: org.id } });
    expect(current.body.role).toBe('admin');
    const spare = await call('post', '/v1/orgs/{orgId}/api-keys', { auth: org.auth, params: { orgId: org.id }, body: { role: 'admin' } });
    expect(
      (await call('delete', '/v1/orgs/{orgId}/api-keys/{keyId}', { auth: org.auth, params: { orgId: org.id, keyId: spare.body.id } }))
        .status,
    ).toBe(204);
    expect(
      (await call('delete', '/v1/orgs/{orgId}/api-keys/{keyId}', { auth: org.auth, params: { orgId: org.id, keyId: 'nope' } })).status,
    ).toBe(400);
  });

  it('members, with a device enrolled over the bus', async () => {
    const params = { orgId: org.id };
    const added = await call('post', '/v1/orgs/{orgId}/members', {
      auth: org.auth,
      params,
      body: { email: 'ada@example.com', displayName: 'Ada', externalId: 'e1' },
    });
    expect(added.status).toBe(201);
    accountId = added.body.id;
    expect((await call('post', '/v1/orgs/{orgId}/members', { auth: org.auth, params, body: { email: 'ADA@example.com' } })).status).toBe(
      409,
    );
    expect((await call('post', '/v1/orgs/{orgId}/members', { auth: auditor, params, body: { email: 'b@example.com' } })).status).toBe(403);
    expect(
      (await call('post', '/v1/orgs/{orgId}/members', { auth: org.auth, params, body: { email: 'c@example.com', mail: 'x' } })).status,
    ).toBe(400);
    expect(
      (
        await call('post', '/v1/orgs/{orgId}/members', {
          auth: org.auth,
          params,
          body: { email: 'c@example.com', displayName: 'x'.repeat(70_000) },
        })
      ).status,
    ).toBe(413);
    const bulk = await call('post', '/v1/orgs/{orgId}/members/bulk', {
      auth: org.auth,
      params,
      body: { members: [{ email: 'b1@example.com' }, { email: 'ada@example.com' }] },
    });
    expect(bulk.body).toEqual({ created: 1, existing: 1 });
    expect(
      (
        await call('post', '/v1/orgs/{orgId}/members/bulk', {
          auth: org.auth,
          params,
          body: { members: [{ email: 'b2@example.com' }, { email: 'bad' }] },
        })
      ).status,
    ).toBe(400);
    const page = await call('get', '/v1/orgs/{orgId}/members', { auth: auditor, params, query: { limit: 1 } });
    expect(page.body.nextCursor).toEqual(expect.any(String));
    expect(
      (
        await call('get', '/v1/orgs/{orgId}/members', {
          auth: auditor,
          params,
          query: { cursor: page.body.nextCursor, state: 'not_required' },
        })
      ).body.nextCursor,
    ).toBeNull();

    const device = (await s.bus.send('mfa.devices.create', { accountId, type: 'totp', name: 'work phone' })) as CreateTotpDeviceReply;
    serialNumber = device.serialNumber;
    await s.bus.send('mfa.devices.enable', {
      accountId,
      serialNumber,
      code1: totp(device.secretBase32, -1),
      code2: totp(device.secretBase32, 0),
    });
    const one = await call('get', '/v1/orgs/{orgId}/members/{accountId}', { auth: auditor, params: { ...params, accountId } });
    expect(one.body.devices).toEqual([expect.objectContaining({ serialNumber, status: 'active' })]);
    expect(
      (await call('get', '/v1/orgs/{orgId}/members/{accountId}', { auth: org.auth, params: { orgId: other.id, accountId } })).status,
    ).toBe(404);
  });

  it('policy, rollouts, exemptions and device reset', async () => {
    const params = { orgId: org.id };
    const preview = await call('post', '/v1/orgs/{orgId}/mfa-policy/preview', {
      auth: auditor,
      params,
      body: { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'], maxMfaAgeSeconds: 3600 },
    });
    expect([preview.status, preview.body.members.total]).toEqual([200, 2]);
    expect(
      (await call('post', '/v1/orgs/{orgId}/mfa-policy/preview', { auth: org.auth, params, body: { requireMfa: 'yes' } })).status,
    ).toBe(400);
    const put = await call('put', '/v1/orgs/{orgId}/mfa-policy', {
      auth: org.auth,
      params,
      body: { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'], maxMfaAgeSeconds: 3600 },
    });
    expect(put.status).toBe(202);
    expect(
      (
        await call('put', '/v1/orgs/{orgId}/mfa-policy', {
          auth: org.auth,
          params,
          body: { requireMfa: true, gracePeriodHours: -1, allowedMethods: [] },
        })
      ).status,
    ).toBe(400);
    expect((await call('get', '/v1/orgs/{orgId}/mfa-policy', { auth: auditor, params })).body.version).toBe(1);
    expect(
      (await call('get', '/v1/orgs/{orgId}/rollouts/{rolloutId}', { auth: auditor, params: { ...params, rolloutId: put.body.rollout.id } }))
        .status,
    ).toBe(200);
    expect(
      (await call('get', '/v1/orgs/{orgId}/rollouts/{rolloutId}', { auth: auditor, params: { ...params, rolloutId: other.id } })).status,
    ).toBe(404);
    expect((await call('get', '/v1/orgs/{orgId}', { auth: auditor, params })).body.members.total).toBe(2);

    const member = { ...params, accountId };
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect(
      (
        await call('put', '/v1/orgs/{orgId}/members/{accountId}/exemption', {
          auth: org.auth,
          params: member,
          body: { until, reason: 'on leave' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('put', '/v1/orgs/{orgId}/members/{accountId}/exemption', {
          auth: org.auth,
          params: member,
          body: { until: '2001-01-01T00:00:00Z', reason: 'past' },
        })
      ).status,
    ).toBe(400);
    expect((await call('delete', '/v1/orgs/{orgId}/members/{accountId}/exemption', { auth: org.auth, params: member })).status).toBe(200);
    expect(
      (
        await call('delete', '/v1/orgs/{orgId}/members/{accountId}/mfa-devices/{serialNumber}', {
          auth: org.auth,
          params: { ...member, serialNumber: 'no-such-device' },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call('delete', '/v1/orgs/{orgId}/members/{accountId}/mfa-devices/{serialNumber}', {
          auth: org.auth,
          params: { ...member, serialNumber },
        })
      ).status,
    ).toBe(204);

    // the member's history: created, required, compliant, exempt, reset
    const history = await call('get', '/v1/orgs/{orgId}/members/{accountId}/history', {
      auth: auditor,
      params: member,
      query: { limit: 2 },
    });
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(2);
    expect(history.body.items[0]).toMatchObject({ cause: { type: 'device_reset', id: serialNumber } });
    const older = await call('get', '/v1/orgs/{orgId}/members/{accountId}/history', {
      auth: auditor,
      params: member,
      query: { cursor: history.body.nextCursor },
    });
    expect(older.body.items[older.body.items.length - 1]).toMatchObject({ from: null, cause: { type: 'account_created' } });
    expect(older.body.nextCursor).toBeNull();
    expect(
      (await call('get', '/v1/orgs/{orgId}/members/{accountId}/history', { auth: auditor, params: member, query: { cursor: 'nope' } }))
        .status,
    ).toBe(400);
    expect(
      (await call('get', '/v1/orgs/{orgId}/members/{accountId}/history', { auth: org.auth, params: { orgId: other.id, accountId } }))
        .status,
    ).toBe(404);
  });

  it('groups: create, list, members, policy, delete', async () => {
    const params = { orgId: org.id };
    const created = await call('post', '/v1/orgs/{orgId}/groups', { auth: org.auth, params, body: { name: 'admins' } });
    expect(created.status).toBe(201);
    expect((await call('post', '/v1/orgs/{orgId}/groups', { auth: org.auth, params, body: { name: 'admins' } })).status).toBe(409);
    expect((await call('post', '/v1/orgs/{orgId}/groups', { auth: org.auth, params, body: {} })).status).toBe(400);
    const g = { ...params, groupId: created.body.id };
    const members = await call('put', '/v1/orgs/{orgId}/groups/{groupId}/members', {
      auth: org.auth,
      params: g,
      body: { add: [accountId] },
    });
    expect(members.body.memberCount).toBe(1);
    expect(
      (await call('put', '/v1/orgs/{orgId}/groups/{groupId}/members', { auth: org.auth, params: g, body: { add: [other.id] } })).status,
    ).toBe(400);
    const put = await call('put', '/v1/orgs/{orgId}/groups/{groupId}/mfa-policy', {
      auth: org.auth,
      params: g,
      body: { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp', 'webauthn'] },
    });
    expect(put.status).toBe(202);
    expect(
      (
        await call('put', '/v1/orgs/{orgId}/groups/{groupId}/mfa-policy', {
          auth: org.auth,
          params: g,
          body: { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['sms'] },
        })
      ).status,
    ).toBe(400);
    const list = await call('get', '/v1/orgs/{orgId}/groups', { auth: auditor, params, query: { limit: 10 } });
    expect(list.body.items[0].policy.groupId).toBe(created.body.id);
    expect((await call('get', '/v1/orgs/{orgId}/groups', { auth: auditor, params, query: { limit: 0 } })).status).toBe(400);
    expect((await call('delete', '/v1/orgs/{orgId}/groups/{groupId}', { auth: org.auth, params: g })).status).toBe(204);
    expect((await call('delete', '/v1/orgs/{orgId}/groups/{groupId}', { auth: org.auth, params: g })).status).toBe(404);
  });

  it('compliance report, history and audit log', async () => {
    const params = { orgId: org.id };
    expect((await call('get', '/v1/orgs/{orgId}/compliance-report', { auth: auditor, params })).body.total).toBe(2);
    const csv = await call('get', '/v1/orgs/{orgId}/compliance-report', { auth: auditor, params, query: { format: 'csv' } });
    expect(csv.text.split('\n')[0]).toBe(
      'account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until,only_sms,groups',
    );
    expect((await call('get', '/v1/orgs/{orgId}/compliance-report', { auth: auditor, params, query: { format: 'xml' } })).status).toBe(400);
    expect((await call('get', '/v1/orgs/{orgId}/compliance-report/history', { auth: auditor, params, query: { days: 7 } })).status).toBe(
      200,
    );
    expect((await call('get', '/v1/orgs/{orgId}/compliance-report/history', { auth: auditor, params, query: { days: 0 } })).status).toBe(
      400,
    );
    const audit = await call('get', '/v1/orgs/{orgId}/audit-events', { auth: auditor, params, query: { limit: 50 } });
    expect(audit.body.items.length).toBeGreaterThan(3);
    expect((await call('get', '/v1/orgs/{orgId}/audit-events', { auth: auditor, params, query: { action: 'nope' } })).status).toBe(400);
  });

  it('service keys, member removal, health and metrics', async () => {
    const params = { orgId: org.id };
    const key = await call('post', '/v1/orgs/{orgId}/service-keys', {
      auth: org.auth,
      params,
      body: { name: 'billing-app', scopes: ['verify'] },
    });
    expect(key.status).toBe(201);
    expect(
      (await call('post', '/v1/orgs/{orgId}/service-keys', { auth: org.auth, params, body: { name: 'x', scopes: ['root'] } })).status,
    ).toBe(400);
    expect((await call('get', '/v1/orgs/{orgId}/service-keys', { auth: auditor, params })).body.items).toHaveLength(1);
    expect(
      (await call('delete', '/v1/orgs/{orgId}/service-keys/{keyId}', { auth: org.auth, params: { ...params, keyId: key.body.id } })).status,
    ).toBe(204);
    expect((await call('get', '/v1/orgs/{orgId}/service-keys', { auth: auditor, params })).body.items[0].revokedAt).toEqual(
      expect.any(String),
    );
    expect(
      (await call('delete', '/v1/orgs/{orgId}/members/{accountId}', { auth: org.auth, params: { ...params, accountId } })).status,
    ).toBe(204);
    expect(
      (await call('delete', '/v1/orgs/{orgId}/members/{accountId}', { auth: org.auth, params: { ...params, accountId } })).status,
    ).toBe(404);
    expect((await call('get', '/health', {})).status).toBe(200);
    expect((await call('get', '/health/live', {})).status).toBe(200);
    expect((await call('get', '/health/ready', {})).status).toBe(200);
    expect((await call('get', '/metrics', {})).status).toBe(200);
  });

  it('exercised the success answer of every operation in the spec', () => {
    const missing = operations()
      .map(({ path, method, op }) => `${method} ${path} ${Object.keys(op.responses).find((st) => st.startsWith('2'))}`)
      .filter((k) => !exercised.has(k));
    expect(missing).toEqual([]);
  });
});
