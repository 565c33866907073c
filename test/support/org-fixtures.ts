import request from 'supertest';
import type { ApiKeyRole } from '@mfa/contracts';

/** Per-test data made through the public API, the way an admin would (like immich's ctx.newUser()). */
export interface TestOrg {
  id: string;
  name: string;
  adminKey: string;
  auth: { Authorization: string };
}

let seq = 0;
const unique = () => `${Date.now().toString(36)}-${process.pid}-${++seq}`;

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

export async function createOrg(baseUrl: string, platformKey: string, name = `org ${unique()}`): Promise<TestOrg> {
  const res = await request(baseUrl).post('/v1/orgs').set(bearer(platformKey)).send({ name });
  if (res.status !== 201) throw new Error(`createOrg: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, name, adminKey: res.body.adminKey.key, auth: bearer(res.body.adminKey.key) };
}

export async function createApiKey(
  baseUrl: string,
  org: TestOrg,
  role: ApiKeyRole,
  label = `${role} key`,
): Promise<{ id: string; key: string }> {
  const res = await request(baseUrl).post(`/v1/orgs/${org.id}/api-keys`).set(org.auth).send({ role, label });
  if (res.status !== 201) throw new Error(`createApiKey: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, key: res.body.key };
}

export interface TestServiceKey {
  id: string;
  secret: string;
  scopes: string[];
}

export async function createServiceKey(
  baseUrl: string,
  org: TestOrg,
  scopes?: string[],
  name = `app ${unique()}`,
): Promise<TestServiceKey> {
  const res = await request(baseUrl).post(`/v1/orgs/${org.id}/service-keys`).set(org.auth).send({ name, scopes });
  if (res.status !== 201) throw new Error(`createServiceKey: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** `count` members `<prefix>-<i>@example.test`, in bulk calls of at most 10,000. */
export function memberRows(count: number, prefix = unique()): Array<{ email: string; displayName: string }> {
  return Array.from({ length: count }, (_, i) => ({ email: `${prefix}-${i}@example.test`, displayName: `Member ${i}` }));
}

export async function addMembers(
  baseUrl: string,
  org: TestOrg,
  count: number,
  prefix?: string,
): Promise<{ created: number; existing: number }> {
  const rows = memberRows(count, prefix);
  const total = { created: 0, existing: 0 };
  for (let i = 0; i < rows.length; i += 10_000) {
    const res = await request(baseUrl)
      .post(`/v1/orgs/${org.id}/members/bulk`)
      .set(org.auth)
      .send({ members: rows.slice(i, i + 10_000) });
    if (res.status !== 201) throw new Error(`addMembers: ${res.status} ${JSON.stringify(res.body)}`);
    total.created += res.body.created;
    total.existing += res.body.existing;
  }
  return total;
}

export async function addMember(baseUrl: string, org: TestOrg, email = `${unique()}@example.test`): Promise<{ id: string; email: string }> {
  const res = await request(baseUrl).post(`/v1/orgs/${org.id}/members`).set(org.auth).send({ email });
  if (res.status !== 201) throw new Error(`addMember: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
