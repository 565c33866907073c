/**
 * P9: `POST /v1/orgs/:orgId/mfa-policy/preview` on an org of N members, over HTTP against the
 * service processes (org-service -> bus -> account-service -> Postgres).
 *
 * The members are inserted with one SQL statement (as P1's), then given a mix of facts (a
 * fifth with a device, some SMS only, some exempt, join dates spread over 60 days) and the org a
 * current policy (MFA on since 10 days, 7 days' grace), so both the "now" and the "after" rule
 * have every branch to take. The proposal turns secureMethodsOnly on with a 3-day grace.
 *
 * Baseline (same run, same database): the plain `SELECT enforcement_state, count(*) FROM
 * accounts.accounts WHERE org_id = $1 GROUP BY 1` over the same rows, straight on Postgres.
 */
import { Client } from 'pg';
import type { PolicyPreview } from '@mfa/contracts';
import type { AdminApi } from './lib/fixture';
import { insertMembersSql } from './policy-push.bench';
import { fmt, median, timed, type BenchRow } from './lib/stats';

export interface PreviewBenchOptions {
  databaseUrl: string;
  members: number;
  /** timed previews (after one warm-up) */
  reps: number;
  log: (line: string) => void;
}

async function withDb<T>(databaseUrl: string, fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** The facts and the current policy of the org (one statement each), then VACUUM ANALYZE. */
async function shapeOrg(databaseUrl: string, orgId: string): Promise<void> {
  await withDb(databaseUrl, async (db) => {
    await db.query(
      `UPDATE accounts.accounts SET
         created_at = now() - make_interval(hours => (abs(hashtext(id::text)) % 1440)),
         active_device_count = CASE WHEN abs(hashtext(id::text)) % 5 = 0 THEN 1 ELSE 0 END,
         secure_active_device_count = CASE WHEN abs(hashtext(id::text)) % 10 = 0 THEN 1 ELSE 0 END,
         exempt_until = CASE WHEN abs(hashtext(id::text)) % 17 = 0 THEN now() + make_interval(hours => abs(hashtext(id::text)) % 720) END,
         exempt_reason = CASE WHEN abs(hashtext(id::text)) % 17 = 0 THEN 'bench' END
       WHERE org_id = $1`,
      [orgId],
    );
    await db.query(
      `INSERT INTO accounts.org_policies (org_id, version, require_mfa, grace_period_hours, allowed_methods, required_since, policy_updated_at)
       VALUES ($1, 1, true, 168, '{totp,sms}', now() - interval '10 days', now() - interval '10 days')
       ON CONFLICT (org_id) DO NOTHING`,
      [orgId],
    );
    await db.query('VACUUM ANALYZE accounts.accounts');
  });
}

export async function policyPreview(admin: AdminApi, orgId: string, opts: PreviewBenchOptions): Promise<{ rows: BenchRow[] }> {
  const insertMs = await insertMembersSql(opts.databaseUrl, orgId, opts.members, 'p9-');
  await shapeOrg(opts.databaseUrl, orgId);
  opts.log(`P9 ${opts.members} members inserted in ${fmt(insertMs / 1000, 1)} s and shaped`);
  const body = { requireMfa: true, gracePeriodHours: 72, allowedMethods: ['totp', 'webauthn'], secureMethodsOnly: true };
  const call = () => admin.call<PolicyPreview>('POST', `/v1/orgs/${orgId}/mfa-policy/preview`, body);
  const baselineSql = () =>
    withDb(opts.databaseUrl, async (db) => {
      const t = await timed(() =>
        db.query(`SELECT enforcement_state, count(*)::int AS n FROM accounts.accounts WHERE org_id = $1 GROUP BY 1`, [orgId]),
      );
      return t.ms;
    });

  // warm-up of both (the first touches cold pages), then alternate
  const warm = await call();
  if (warm.members.total !== opts.members) throw new Error(`P9: preview counted ${warm.members.total} of ${opts.members}`);
  await baselineSql();
  const previews: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < opts.reps; i++) {
    previews.push((await timed(call)).ms);
    baselines.push(await baselineSql());
  }
  const p50 = median(previews);
  const worst = Math.max(...previews);
  const b50 = median(baselines);
  const days = warm.blockedAt.length;
  return {
    rows: [
      {
        id: 'P9',
        what:
          `policy preview over HTTP, org of ${opts.members.toLocaleString('en')} members (${days} blocking days, ` +
          `sample of ${warm.sample.length}), median / worst of ${opts.reps}`,
        figure: `${fmt(p50, 0)} / ${fmt(worst, 0)} ms`,
        baseline: `plain SELECT enforcement_state, count(*) ... GROUP BY 1 on Postgres: ${fmt(b50, 0)} ms (median)`,
        ratio: `${fmt(p50 / b50)}x`,
        goal: '< 2 s',
        met: worst < 2000,
      },
    ],
  };
}
