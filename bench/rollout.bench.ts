/**
 * P2: materializing a rollout (the real RolloutMaterializerService: keyset chunks of
 * ROLLOUT_CHUNK_SIZE, one set-based UPDATE each, progress jobs, one policy-required notice job per
 * chunk) against ONE raw SQL UPDATE writing the same SET list on the same rows, same database,
 * same run. Each rep seeds two identical fresh orgs (one SQL INSERT each); one gets the raw UPDATE,
 * the other the materializer; the order alternates between reps.
 *
 * Runs an account-service in this process (its notifications worker included: the notices are
 * written by the default OutboxNotifier as docs/enforcement.md describes). Run it while no other
 * account-service serves the same Redis database.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '@mfa/config';
import { startService } from '@mfa/observability';
import { accountServiceApp } from '../apps/account-service/src/account-service.app';
import { AccountServiceEnv } from '../apps/account-service/src/config/account-service.env';
import { OrgPolicyRepository } from '../apps/account-service/src/enforcement/org-policy.repository';
import { MATERIALIZE_SET, policyParams } from '../apps/account-service/src/enforcement/rollout-materializer.repository';
import { RolloutMaterializerService } from '../apps/account-service/src/enforcement/rollout-materializer.service';
import { fmt, median, type BenchRow } from './lib/stats';

export interface RolloutBenchOptions {
  databaseUrl: string;
  redisUrl: string;
  members: number;
  reps: number;
  /** false: a policy that requires nothing (no notices), isolates the notice cost */
  requireMfa?: boolean;
  log?: (line: string) => void;
}

export interface RolloutRep {
  raw: number;
  chunked: number;
  noticesDone: number;
}

export async function rolloutVsRawUpdate(opts: RolloutBenchOptions): Promise<{ rows: BenchRow[]; reps: RolloutRep[] }> {
  const requireMfa = opts.requireMfa ?? true;
  const log = opts.log ?? (() => undefined);
  const env = loadConfig(AccountServiceEnv, {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    ACCOUNT_SERVICE_PORT: '0',
    LOG_LEVEL: 'warn',
    KEYS_DIR: mkdtempSync(join(tmpdir(), 'rollout-bench-')),
    // no compliance tick during the reps: reconciliation would heal the raw UPDATE's twin org
    // (behind its policy for longer than the settle time at 1,000,000 members) while it is measured
    COMPLIANCE_INTERVAL_SECONDS: '86400',
  });
  const svc = await startService(accountServiceApp, env);
  try {
    const db = svc.app.get(DataSource);
    const policies = svc.app.get(OrgPolicyRepository);
    const materializer = svc.app.get(RolloutMaterializerService);

    const seed = async () => {
      const orgId = randomUUID();
      await db.query(`INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'm' || g || '@bench.test' FROM generate_series(1, $2) g`, [
        orgId,
        opts.members,
      ]);
      const { policy } = await policies.applyIfNewer({
        orgId,
        version: 1,
        requireMfa,
        gracePeriodHours: 72,
        allowedMethods: ['totp'],
        maxMfaAgeSeconds: null,
        updatedAt: new Date().toISOString(),
      });
      return { orgId, policy };
    };
    type Seeded = Awaited<ReturnType<typeof seed>>;
    const raw = async (o: Seeded) => {
      const t = performance.now();
      await db.query(
        `UPDATE accounts.accounts a SET ${MATERIALIZE_SET} WHERE a.org_id = $1 AND a.policy_version < $4 AND $2::text IS NULL AND $3::int IS NULL`,
        [o.orgId, null, null, ...policyParams(o.policy)],
      );
      return performance.now() - t;
    };
    const notices = async (orgId: string) =>
      Number((await db.query(`SELECT count(*)::int AS n FROM accounts.notification_outbox WHERE org_id = $1`, [orgId]))[0].n);
    let chunkedStart = 0;
    const chunked = async (o: Seeded) => {
      chunkedStart = performance.now();
      await materializer.run({ orgId: o.orgId, rolloutId: randomUUID(), policyVersion: 1 });
      return performance.now() - chunkedStart;
    };

    const reps: RolloutRep[] = [];
    for (let i = 0; i < opts.reps; i++) {
      const a = await seed();
      const b = await seed();
      await db.query('VACUUM ANALYZE accounts.accounts');
      await db.query('CHECKPOINT');
      // the notices of the walk are written by the notifications worker: wait for all of them
      // (before the raw UPDATE when the walk goes first, so the raw UPDATE does not share the disk with them)
      const expected = requireMfa ? opts.members : 0;
      let noticesDone = 0;
      const allNotices = async () => {
        const until = Date.now() + 10 * 60_000;
        while ((await notices(b.orgId)) < expected && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
        noticesDone = performance.now() - chunkedStart;
      };
      let r: { raw: number; chunked: number };
      // each side starts from written-back buffers: the second one must not pay for flushing the
      // first one's 100,000 dirtied rows (that made whichever ran second up to 1.4x slower)
      const settle = () => db.query('CHECKPOINT');
      if (i % 2 === 0) {
        const rawMs = await raw(a);
        await settle();
        r = { raw: rawMs, chunked: await chunked(b) };
        await allNotices();
      } else {
        const chunkedMs = await chunked(b);
        await allNotices();
        await settle();
        r = { chunked: chunkedMs, raw: await raw(a) };
      }
      reps.push({ ...r, noticesDone });
      log(
        `P2 rep ${i + 1}: raw UPDATE ${fmt(r.raw, 0)} ms, materializer ${fmt(r.chunked, 0)} ms (ratio ${fmt(r.chunked / r.raw)}), all ${expected} notices written ${fmt(noticesDone, 0)} ms after the walk began`,
      );
    }
    const mr = median(reps.map((r) => r.raw));
    const mc = median(reps.map((r) => r.chunked));
    const mn = median(reps.map((r) => r.noticesDone));
    const size = opts.members.toLocaleString('en');
    return {
      reps,
      rows: [
        {
          id: 'P2',
          what: `materialize a rollout to ${size} members (chunks of ${env.ROLLOUT_CHUNK_SIZE}, notices queued per chunk; policy ${requireMfa ? 'on' : 'off'}), median of ${opts.reps}`,
          figure: `${fmt(mc / 1000)} s`,
          baseline: `one raw UPDATE of the same rows ${fmt(mr / 1000)} s`,
          ratio: `${fmt(mc / mr)}x`,
          goal: '<= 1.2x',
          met: mc / mr <= 1.2,
        },
        {
          id: 'P2b',
          what: `... until all ${requireMfa ? size : 0} notices are written by the notifier (from the walk's start)`,
          figure: `${fmt(mn / 1000)} s`,
          baseline: `raw UPDATE ${fmt(mr / 1000)} s`,
          ratio: `${fmt(mn / mr)}x`,
          goal: '-',
          met: null,
        },
      ],
    };
  } finally {
    await svc.app.close();
  }
}
