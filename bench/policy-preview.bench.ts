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
import { insertMembersSql, waitRollout } from './policy-push.bench';
import { fmt, median, timed, type BenchRow } from './lib/stats';

export interface PreviewBenchOptions {
  databaseUrl: string;
  members: number;
  /** timed previews (after one warm-up) */
  reps: number;
  log: (line: string) => void;
  /**
   * Then the same org WITH a group policy: every `groupEvery`-th member (id order) put in a group
   * over HTTP, the group given a policy (requireMfa, 24 h grace, totp/webauthn) and its rollout
   * waited for; the same previews timed again, then a preview of a proposal for the group itself
   * (`groupId`: its members counted, the proposal in place of its policy).
   */
  groupEvery?: number;
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

  const rows = [await measure(call, '')];
  if (!opts.groupEvery) return { rows };

  // the same org with a group policy
  const ids = await withDb(opts.databaseUrl, async (db) =>
    (
      await db.query<{ id: string }>(
        `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM accounts.accounts WHERE org_id = $1) s WHERE rn % $2 = 0 ORDER BY id`,
        [orgId, opts.groupEvery],
      )
    ).rows.map((r) => r.id),
  );
  const group = await admin.call<{ id: string }>('POST', `/v1/orgs/${orgId}/groups`, { name: 'p9-group' });
  const add = await timed(async () => {
    for (let i = 0; i < ids.length; i += 10_000)
      await admin.call('PUT', `/v1/orgs/${orgId}/groups/${group.id}/members`, { add: ids.slice(i, i + 10_000) });
  });
  const put = await admin.call<{ rollout: { id: string } }>('PUT', `/v1/orgs/${orgId}/groups/${group.id}/mfa-policy`, {
    requireMfa: true,
    gracePeriodHours: 24,
    allowedMethods: ['totp', 'webauthn'],
  });
  const rollout = await waitRollout(admin, orgId, put.rollout.id);
  // the steady state autovacuum reaches within a minute: statistics for the new memberships too
  await withDb(opts.databaseUrl, (db) => db.query('VACUUM ANALYZE accounts.accounts, accounts.group_members, accounts.group_policies'));
  opts.log(
    `P9 group of ${ids.length} added over HTTP in ${fmt(add.ms / 1000, 1)} s, its policy rolled out to ${rollout.total} in ${fmt(rollout.ms / 1000, 1)} s`,
  );
  const grouped = `WITH a group policy (${ids.length.toLocaleString('en')} members, 24 h grace)`;
  rows.push(await measure(call, grouped));
  const callGroup = () =>
    admin.call<PolicyPreview>('POST', `/v1/orgs/${orgId}/mfa-policy/preview`, { ...body, gracePeriodHours: 48, groupId: group.id });
  rows.push(
    await measure(callGroup, `${grouped}: a proposal for that group itself (\`groupId\`, 48 h grace, secure methods only)`, ids.length),
  );
  return { rows };

  async function measure(preview: () => Promise<PolicyPreview>, label: string, total = opts.members): Promise<BenchRow> {
    // warm-up of both (the first touches cold pages), then alternate
    const warm = await preview();
    if (warm.members.total !== total) throw new Error(`P9: preview counted ${warm.members.total} of ${total}`);
    await baselineSql();
    const previews: number[] = [];
    const baselines: number[] = [];
    for (let i = 0; i < opts.reps; i++) {
      previews.push((await timed(preview)).ms);
      baselines.push(await baselineSql());
    }
    const p50 = median(previews);
    const worst = Math.max(...previews);
    const b50 = median(baselines);
    const days = warm.blockedAt.length;
    return {
      id: label ? 'P9g' : 'P9',
      what:
        `policy preview over HTTP, org of ${opts.members.toLocaleString('en')} members${label ? ` ${label}` : ''} (${warm.members.total.toLocaleString('en')} counted, ${days} blocking days, ` +
        `sample of ${warm.sample.length}), median / worst of ${opts.reps}`,
      figure: `${fmt(p50, 0)} / ${fmt(worst, 0)} ms`,
      baseline: `plain SELECT enforcement_state, count(*) ... GROUP BY 1 on Postgres: ${fmt(b50, 0)} ms (median)`,
      ratio: `${fmt(p50 / b50)}x`,
      goal: '< 2 s',
      met: worst < 2000,
    };
  }
}
