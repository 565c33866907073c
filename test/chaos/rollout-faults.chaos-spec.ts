import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { PolicyRollout } from '@mfa/contracts';
import type { AdminApi } from '../../bench/lib/fixture';
import { Deployment } from './deployment';

const MEMBERS = 100_000;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Rollouts of 100,000 members while things fail, with every service a real process: the
 * outbox delivers a hand-over account-service missed, a SIGKILL mid-walk and a FLUSHDB of the
 * deployment's Redis database both end with the rollout completed and 0 members missed.
 */
function rolloutSuite(name: string, staleSeconds: number, tests: (t: RolloutTestKit) => void): void {
  describe(name, () => {
    // small chunks leave a window to fail in; short relay/stale periods keep the test short
    const system = new Deployment();
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    let redis: Redis;

    beforeAll(async () => {
      await db.connect();
      redis = new Redis(process.env.REDIS_URL!);
      await system.start({
        ROLLOUT_CHUNK_SIZE: '2000',
        OUTBOX_RELAY_INTERVAL_MS: '300',
        ROLLOUT_STALE_SECONDS: String(staleSeconds),
        POLICY_HANDOVER_TIMEOUT_MS: '1500',
      });
    });
    afterAll(async () => {
      await system.stop();
      redis?.disconnect();
      await db.end();
    });

    /** Members go in with one statement: they are the fixture, not what is under test. */
    async function orgWithMembers(): Promise<{ orgId: string; admin: AdminApi }> {
      const org = await system.newOrg();
      await db.query(
        `INSERT INTO accounts.accounts (id, org_id, email, created_at)
         SELECT gen_random_uuid(), $1, 'm' || g || '@chaos.example', now() FROM generate_series(1, $2) g`,
        [org.orgId, MEMBERS],
      );
      return org;
    }

    async function putPolicy(admin: AdminApi, orgId: string): Promise<{ rollout: PolicyRollout; policy: { version: number } }> {
      return admin.call('PUT', `/v1/orgs/${orgId}/mfa-policy`, { requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp'] });
    }

    async function rolloutOf(admin: AdminApi, orgId: string, id: string): Promise<PolicyRollout> {
      return admin.call('GET', `/v1/orgs/${orgId}/rollouts/${id}`);
    }

    async function atVersion(orgId: string, version: number): Promise<number> {
      const r = await db.query(`SELECT count(*)::int AS n FROM accounts.accounts WHERE org_id = $1 AND policy_version >= $2`, [
        orgId,
        version,
      ]);
      return r.rows[0].n;
    }

    async function completes(admin: AdminApi, orgId: string, rolloutId: string, version: number): Promise<void> {
      const until = Date.now() + 180_000;
      let rollout = await rolloutOf(admin, orgId, rolloutId);
      while (rollout.status !== 'completed') {
        if (Date.now() > until) throw new Error(`rollout still ${rollout.status} (${rollout.applied}/${rollout.total})`);
        await wait(250);
        rollout = await rolloutOf(admin, orgId, rolloutId);
      }
      expect(rollout).toMatchObject({ status: 'completed', total: MEMBERS, applied: MEMBERS });
      expect(await atVersion(orgId, version)).toBe(MEMBERS);
    }

    /** Waits until some but not all members are materialized, so the fault lands mid-walk. */
    async function midWalk(orgId: string, version: number): Promise<number> {
      for (;;) {
        const done = await atVersion(orgId, version);
        if (done > 0) {
          expect(done).toBeLessThan(MEMBERS);
          return done;
        }
        await wait(5);
      }
    }

    tests({ system, redis: () => redis, orgWithMembers, putPolicy, rolloutOf, atVersion, completes, midWalk });
  });
}

interface RolloutTestKit {
  system: Deployment;
  redis: () => Redis;
  orgWithMembers(): Promise<{ orgId: string; admin: AdminApi }>;
  putPolicy(admin: AdminApi, orgId: string): Promise<{ rollout: PolicyRollout; policy: { version: number } }>;
  rolloutOf(admin: AdminApi, orgId: string, id: string): Promise<PolicyRollout>;
  atVersion(orgId: string, version: number): Promise<number>;
  completes(admin: AdminApi, orgId: string, rolloutId: string, version: number): Promise<void>;
  midWalk(orgId: string, version: number): Promise<number>;
}

// reconciliation an hour away: only the outbox relay can finish this rollout
rolloutSuite(
  'rollout hand-over missed by account-service (real processes)',
  3600,
  ({ system, orgWithMembers, putPolicy, rolloutOf, completes }) => {
    it('a PUT while account-service is down answers 202 queued; the outbox delivers it once account-service is back', async () => {
      const { orgId, admin } = await orgWithMembers();
      await system.instances('account-service')[0].stop(true);
      system.services.splice(system.services.indexOf(system.instances('account-service')[0]), 1);
      const { rollout, policy } = await putPolicy(admin, orgId);
      expect(rollout.status).toBe('queued');
      await new Promise((r) => setTimeout(r, 1000));
      expect((await rolloutOf(admin, orgId, rollout.id)).status).toBe('queued');
      await system.add('account-service');
      await completes(admin, orgId, rollout.id, policy.version);
    });
  },
);

rolloutSuite('rollouts under faults (real processes)', 3, ({ system, redis, orgWithMembers, putPolicy, atVersion, completes, midWalk }) => {
  it('account-service SIGKILLed mid-rollout and started again: completed, 0 missed', async () => {
    const { orgId, admin } = await orgWithMembers();
    const { rollout, policy } = await putPolicy(admin, orgId);
    const before = await midWalk(orgId, policy.version);
    const [victim] = system.instances('account-service');
    await victim.stop(true);
    system.services.splice(system.services.indexOf(victim), 1);
    const afterKill = await atVersion(orgId, policy.version);
    expect(afterKill).toBeLessThan(MEMBERS);
    await system.add('account-service');
    await completes(admin, orgId, rollout.id, policy.version);
    console.log(`[chaos] SIGKILL after ${before} members; ${MEMBERS - afterKill} materialized after the restart`);
  });

  it('FLUSHDB of the deployment Redis database mid-rollout: completed from Postgres, 0 missed', async () => {
    const { orgId, admin } = await orgWithMembers();
    const { rollout, policy } = await putPolicy(admin, orgId);
    await midWalk(orgId, policy.version);
    await redis().flushdb();
    await completes(admin, orgId, rollout.id, policy.version);
  });
});
