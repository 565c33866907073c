/**
 * P1: from the answer of `PUT /v1/orgs/:orgId/mfa-policy` until `accounts.authorize` answers
 * under the new policy, for sampled members of a big org.
 *
 * The org is created over HTTP; its members are inserted with ONE SQL statement straight into
 * accounts.accounts (creating 1,000,000 members through the bulk route would take most of the
 * run and is measured separately, M1/M2). The PUT goes over HTTP and the samples ask
 * `accounts.authorize` over the bus, as a member service would.
 *
 * Baseline: the same 50 authorize calls sent the same way (all at once) before the PUT, i.e. the
 * time one polling round costs when nothing has to change.
 */
import { Client } from 'pg';
import type { Bus } from '@mfa/bus';
import { Patterns, type AuthorizeReply } from '@mfa/contracts';
import type { AdminApi } from './lib/fixture';
import { fmt, summarize, timed, type BenchRow } from './lib/stats';
import { untilAll } from './lib/until-all';

export interface PolicyPushOptions {
  databaseUrl: string;
  members: number;
  samples: number;
  /** give up on a sample after this long */
  timeoutMs?: number;
}

export interface PolicyPushResult {
  rows: BenchRow[];
  orgId: string;
  rolloutId: string;
  version: number;
}

/** One SQL statement: `count` members of `orgId` (ids and created_at by the column defaults). */
export async function insertMembersSql(databaseUrl: string, orgId: string, count: number, tag: string): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const t = await timed(() =>
      db.query(`INSERT INTO accounts.accounts (org_id, email) SELECT $1, $2 || g || '@bench.example' FROM generate_series(1, $3) g`, [
        orgId,
        tag,
        count,
      ]),
    );
    await db.query('ANALYZE accounts.accounts');
    return t.ms;
  } finally {
    await db.end();
  }
}

async function sampleIds(databaseUrl: string, orgId: string, n: number): Promise<string[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // the last id of each of n slices of the keyset walk: spread over it, the walk's last id included
    const r = await db.query<{ id: string }>(
      `SELECT (array_agg(id ORDER BY id DESC))[1] AS id
         FROM (SELECT id, ntile($2) OVER (ORDER BY id) AS t FROM accounts.accounts WHERE org_id = $1) s
        GROUP BY t ORDER BY t`,
      [orgId, n],
    );
    return r.rows.map((row) => row.id);
  } finally {
    await db.end();
  }
}

export async function policyPush(bus: Bus, admin: AdminApi, orgId: string, opts: PolicyPushOptions): Promise<PolicyPushResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const insertMs = await insertMembersSql(opts.databaseUrl, orgId, opts.members, 'p1-');
  const ids = await sampleIds(opts.databaseUrl, orgId, opts.samples);
  const authorize = (accountId: string) => bus.send(Patterns.AccountsAuthorize, { accountId }, { timeoutMs: 30_000 });

  // the policy before: MFA not required, every sample allowed with reason ok
  const before: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = await timed(() => Promise.all(ids.map(authorize)));
    if (t.value.some((a: AuthorizeReply) => !a.allowed || a.reason !== 'ok')) throw new Error('P1: a sample is not allowed before the PUT');
    before.push(t.ms);
  }
  const baseline = summarize(before.slice(1)); // first round warms up

  // the baseline of the PUT's own answer: a cheap call on the same route (median of 5, after a warm-up)
  const gets: number[] = [];
  for (let r = 0; r < 6; r++) gets.push((await timed(() => admin.call('GET', `/v1/orgs/${orgId}/mfa-policy`))).ms);
  const getMs = summarize(gets.slice(1)).p50;
  const putCall = await timed(() =>
    admin.call<{ policy: { version: number }; rollout: { id: string; status: string } }>('PUT', `/v1/orgs/${orgId}/mfa-policy`, {
      requireMfa: true,
      gracePeriodHours: 0,
      allowedMethods: ['totp'],
    }),
  );
  const put = putCall.value;
  const answeredAt = process.hrtime.bigint();
  const version = put.policy.version;
  // grace 0: every member without a device is non_compliant under the new version at once
  const underNew = (a: AuthorizeReply) => !a.allowed && a.reason === 'enrollment_required' && a.enforcement?.policyVersion === version;

  const { elapsed, polls } = await untilAll(ids, authorize, answeredAt, underNew, timeoutMs, 'P1: member');
  const s = summarize(elapsed);
  const worst = Math.max(...elapsed);
  return {
    orgId,
    rolloutId: put.rollout.id,
    version,
    rows: [
      {
        id: 'P1',
        what: `PUT answer -> accounts.authorize under the new policy, ${opts.samples} sampled members of ${opts.members.toLocaleString('en')} (inserted by SQL in ${fmt(insertMs / 1000, 1)} s), worst / p50; ${polls} authorize calls`,
        figure: `${fmt(worst)} / ${fmt(s.p50)} ms`,
        baseline: `one round of the same ${opts.samples} authorize calls before the PUT: ${fmt(baseline.p50)} ms`,
        ratio: `${fmt(worst / baseline.p50)}x`,
        goal: '< 1 s',
        met: worst < 1000,
      },
      {
        id: 'P1a',
        what: `the PUT's own answer (policy version written, handed over to account-service and mfa-service), org of ${opts.members.toLocaleString('en')} members`,
        figure: `${fmt(putCall.ms)} ms`,
        baseline: `GET /v1/orgs/:id/mfa-policy, median of 5: ${fmt(getMs)} ms`,
        ratio: `${fmt(putCall.ms / getMs)}x`,
        goal: '<= 100 ms',
        met: putCall.ms <= 100,
      },
    ],
  };
}

/** Waits for a rollout to complete (so the next benchmark does not share the database with it). */
export async function waitRollout(
  admin: AdminApi,
  orgId: string,
  rolloutId: string,
  timeoutMs = 30 * 60_000,
): Promise<{ ms: number; total: number }> {
  const t0 = Date.now();
  for (;;) {
    const r = await admin.call<{ status: string; total: number; applied: number }>('GET', `/v1/orgs/${orgId}/rollouts/${rolloutId}`);
    if (r.status === 'completed') return { ms: Date.now() - t0, total: r.total };
    if (r.status === 'failed') throw new Error(`rollout ${rolloutId} failed`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`rollout ${rolloutId} still ${r.status} (${r.applied}/${r.total})`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
