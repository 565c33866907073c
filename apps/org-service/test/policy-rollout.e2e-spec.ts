/**
 * Rollouts at scale and their recovery: 100,000 members; account-service closed mid-rollout
 * and a new one started; FLUSHDB of the test Redis database mid-rollout (reconciliation from
 * Postgres). Services in process over the real bus; Redis database from TEST_REDIS_DB.
 * It FLUSHes that Redis database: run it alone or with --runInBand (`npm test`), never in
 * parallel with other suites on the same database.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@mfa/config';
import type { PolicyRollout } from '@mfa/contracts';
import { startService, type RunningService } from '@mfa/observability';
import { bearer, createOrg, flushTestRedis, type TestOrg, testRedis, waitFor } from '@test/support';
import { accountServiceApp } from '../../account-service/src/account-service.app';
import { AccountServiceEnv } from '../../account-service/src/config/account-service.env';
import { MATERIALIZE_SET, policyParams } from '../../account-service/src/enforcement/rollout-materializer.repository';
import { OrgPolicyRepository } from '../../account-service/src/enforcement/org-policy.repository';
import { MfaServiceEnv } from '../../mfa-service/src/config/mfa-service.env';
import { mfaServiceApp } from '../../mfa-service/src/mfa-service.app';
import { OrgServiceEnv } from '../src/config/org-service.env';
import { orgServiceApp } from '../src/org-service.app';

const MEMBERS = 100_000;
const platformKey = `mfap_test_${randomUUID()}`;
const env = {
  ...process.env,
  ORG_API_PORT: '0',
  ACCOUNT_SERVICE_PORT: '0',
  MFA_SERVICE_PORT: '0',
  PLATFORM_API_KEY: platformKey,
  OUTBOX_RELAY_INTERVAL_MS: '200',
  ROLLOUT_STALE_SECONDS: '2',
};

let orgSvc: RunningService;
let mfaSvc: RunningService;
let accountSvc: RunningService | undefined;
let db: DataSource;
let redis: Redis;

const startAccounts = async (chunk: number) =>
  (accountSvc = await startService(accountServiceApp, loadConfig(AccountServiceEnv, { ...env, ROLLOUT_CHUNK_SIZE: String(chunk) })));
const stopAccounts = async () => {
  await accountSvc?.app.close();
  accountSvc = undefined;
};

/** One SQL statement for the whole fixture (the API would take ten bulk calls). */
async function seedOrg(members = MEMBERS): Promise<TestOrg> {
  const org = await createOrg(`http://127.0.0.1:${orgSvc.port}`, platformKey);
  await db.query(`INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'm' || g || '@rollout.test' FROM generate_series(1, $2) g`, [
    org.id,
    members,
  ]);
  await db.query('ANALYZE accounts.accounts');
  return org;
}

async function putPolicy(org: TestOrg, body: object): Promise<PolicyRollout> {
  const res = await request(`http://127.0.0.1:${orgSvc.port}`).put(`/v1/orgs/${org.id}/mfa-policy`).set(bearer(org.adminKey)).send(body);
  expect(res.status).toBe(202);
  return res.body.rollout;
}

const rolloutRow = async (id: string) => (await db.query(`SELECT status, applied, total FROM org.policy_rollouts WHERE id = $1`, [id]))[0];
const behind = async (orgId: string, version: number) =>
  (await db.query(`SELECT count(*)::int AS n FROM accounts.accounts WHERE org_id = $1 AND policy_version < $2`, [orgId, version]))[0]
    .n as number;
const completed = (id: string, ms = 60_000) =>
  waitFor(async () => ((await rolloutRow(id)).status === 'completed' ? rolloutRow(id) : null), ms);

beforeAll(async () => {
  orgSvc = await startService(orgServiceApp, loadConfig(OrgServiceEnv, env));
  mfaSvc = await startService(mfaServiceApp, loadConfig(MfaServiceEnv, env));
  db = orgSvc.app.get(DataSource);
  redis = testRedis() as Redis; // a Cluster (npm run test:cluster) has the same command methods
});

afterAll(async () => {
  await stopAccounts();
  await mfaSvc?.app.close();
  await orgSvc?.app.close();
  redis?.disconnect();
});

describe('policy rollout', () => {
  it(`materializes ${MEMBERS} members within reach of one raw UPDATE`, async () => {
    await startAccounts(20_000);
    const org = await seedOrg();
    const started = Date.now();
    const rollout = await putPolicy(org, { requireMfa: true, gracePeriodHours: 72, allowedMethods: ['totp', 'sms'] });
    const answered = Date.now() - started;
    const done = await completed(rollout.id);
    const endToEnd = Date.now() - started;
    expect(done).toEqual({ status: 'completed', applied: MEMBERS, total: MEMBERS });
    expect(await behind(org.id, 1)).toBe(0);
    const states = await db.query(`SELECT enforcement_state, count(*)::int AS n FROM accounts.accounts WHERE org_id = $1 GROUP BY 1`, [
      org.id,
    ]);
    expect(states).toEqual([{ enforcement_state: 'pending', n: MEMBERS }]);

    // the baseline: one raw UPDATE writing the same columns to the same number of fresh rows
    const twin = await seedOrg();
    const policy = {
      ...(
        await accountSvc!.app.get(OrgPolicyRepository).applyIfNewer({
          orgId: twin.id,
          version: 1,
          requireMfa: true,
          gracePeriodHours: 72,
          allowedMethods: ['totp', 'sms'],
          maxMfaAgeSeconds: null,
          updatedAt: new Date().toISOString(),
        })
      ).policy,
    };
    const t = Date.now();
    await db.query(
      `UPDATE accounts.accounts a SET ${MATERIALIZE_SET} WHERE a.org_id = $1 AND a.policy_version < $4 AND $2::text IS NULL AND $3::int IS NULL`,
      [twin.id, null, null, ...policyParams(policy)],
    );
    const raw = Date.now() - t;
    const sql = await db.query(
      `SELECT extract(epoch FROM (completed_at - created_at)) * 1000 AS ms FROM org.policy_rollouts WHERE id = $1`,
      [rollout.id],
    );
    console.log(
      `[rollout ${MEMBERS}] PUT answered in ${answered} ms; rollout created->completed ${Math.round(sql[0].ms)} ms; observed end to end ${endToEnd} ms; raw single UPDATE ${raw} ms`,
    );
  });

  it('finishes after account-service is closed mid-rollout and a new one starts', async () => {
    await stopAccounts();
    await startAccounts(1_000);
    const org = await seedOrg();
    const rollout = await putPolicy(org, { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
    await waitFor(async () => (await rolloutRow(rollout.id)).applied > 0, 30_000);
    await stopAccounts();
    const left = await behind(org.id, 1);
    expect(left).toBeGreaterThan(0);
    expect((await rolloutRow(rollout.id)).status).not.toBe('completed');
    await startAccounts(1_000);
    expect(await completed(rollout.id)).toEqual({ status: 'completed', applied: MEMBERS, total: MEMBERS });
    expect(await behind(org.id, 1)).toBe(0);
    console.log(`[rollout restart] ${MEMBERS - left} rows done before the close, ${left} after the restart`);
  });

  it('finishes after FLUSHDB mid-rollout (reconciliation from Postgres)', async () => {
    const org = await seedOrg();
    const rollout = await putPolicy(org, { requireMfa: true, gracePeriodHours: 12, allowedMethods: ['totp'] });
    await waitFor(async () => (await rolloutRow(rollout.id)).applied > 0, 30_000);
    await flushTestRedis(redis);
    expect(await completed(rollout.id)).toEqual({ status: 'completed', applied: MEMBERS, total: MEMBERS });
    expect(await behind(org.id, 1)).toBe(0);
  });

  it('finishes when the waiting job is lost with Redis while no account-service runs', async () => {
    const org = await seedOrg();
    const rollout = await putPolicy(org, { requireMfa: true, gracePeriodHours: 6, allowedMethods: ['totp'] });
    await waitFor(async () => (await rolloutRow(rollout.id)).applied > 0, 30_000);
    await stopAccounts(); // the job goes back to waiting in Redis...
    await flushTestRedis(redis); // ...and is lost with everything else
    expect(await behind(org.id, 1)).toBeGreaterThan(0);
    await startAccounts(1_000);
    expect(await completed(rollout.id)).toEqual({ status: 'completed', applied: MEMBERS, total: MEMBERS });
    expect(await behind(org.id, 1)).toBe(0);
  });
});
