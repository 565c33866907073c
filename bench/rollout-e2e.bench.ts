/**
 * P2e: a rollout end to end, as an admin sees it. An org of N members (inserted by SQL), the
 * policy PUT over HTTP, then `GET /v1/orgs/:id/rollouts/:rolloutId` every 50 ms (the lowest
 * interval of `mfa rollouts watch`) until `completed`: hand-over, queueing, the walk, progress
 * jobs and org-service's recording of them, with the services' default compliance tick running.
 *
 * Baseline: ONE raw UPDATE of as many rows of a narrow table (id uuid primary key, org_id with
 * its index, 5 narrow columns), setting the 5 columns, in the same database right after: the
 * speed of the database for "rewrite N small rows". Its ids are time-ordered (uuid v7 layout), as
 * a table built for it would have; with random v4 ids the same UPDATE takes about twice as long.
 */
import { Client } from 'pg';
import type { AdminApi } from './lib/fixture';
import { insertMembersSql } from './policy-push.bench';
import { fmt, median, timed, type BenchRow } from './lib/stats';

export interface RolloutE2eOptions {
  databaseUrl: string;
  members: number;
  reps: number;
  log?: (line: string) => void;
}

/** A uuid with the v7 layout (48-bit ms time, then random bits) computed in SQL: no function of the schema needed. */
const UUID_V7_SQL = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`;

async function withDb<T>(url: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** Until no notice was written for 3 s (the notifier has caught up with the rollouts before). */
async function notifierIdle(url: string): Promise<void> {
  await withDb(url, async (db) => {
    let last = -1;
    for (;;) {
      const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM accounts.notification_outbox`)).rows;
      if (n === last) return;
      last = n;
      await new Promise((res) => setTimeout(res, 3000));
    }
  });
}

/** The raw UPDATE of `n` narrow rows, on a fresh table (dropped after). */
async function narrowUpdate(url: string, n: number): Promise<number> {
  return withDb(url, async (db) => {
    await db.query('DROP TABLE IF EXISTS public.bench_narrow');
    await db.query(`CREATE TABLE public.bench_narrow (
      id uuid PRIMARY KEY, org_id uuid NOT NULL, version int NOT NULL DEFAULT 0, state text,
      since timestamptz, deadline timestamptz, flags int)`);
    await db.query('CREATE INDEX bench_narrow_org_idx ON public.bench_narrow (org_id)');
    const org = '00000000-0000-4000-8000-00000000b2e0';
    await db.query(`INSERT INTO public.bench_narrow (id, org_id) SELECT ${UUID_V7_SQL}, $1 FROM generate_series(1, $2)`, [org, n]);
    await db.query('VACUUM ANALYZE public.bench_narrow');
    await db.query('CHECKPOINT');
    const t = await timed(() =>
      db.query(
        `UPDATE public.bench_narrow SET version = 1, state = 'pending', since = now(), deadline = now() + interval '72 hours', flags = 1
          WHERE org_id = $1`,
        [org],
      ),
    );
    await db.query('DROP TABLE public.bench_narrow');
    return t.ms;
  });
}

/** `newOrg` makes the org of each rep (over HTTP). */
export async function rolloutEndToEnd(
  newOrg: () => Promise<{ orgId: string; admin: AdminApi }>,
  opts: RolloutE2eOptions,
): Promise<{ rows: BenchRow[] }> {
  const log = opts.log ?? (() => undefined);
  const reps: Array<{ put: number; e2e: number; notices: number; narrow: number }> = [];
  for (let i = 0; i < opts.reps; i++) {
    // an earlier figure's notices (P1's rollout) must not be written during this one
    await notifierIdle(opts.databaseUrl);
    const { orgId, admin: orgAdmin } = await newOrg();
    await insertMembersSql(opts.databaseUrl, orgId, opts.members, `p2e${i}-`);
    await withDb(opts.databaseUrl, async (db) => {
      await db.query('VACUUM ANALYZE accounts.accounts');
      await db.query('CHECKPOINT');
    });
    const put = await timed(() =>
      orgAdmin.call<{ rollout: { id: string } }>('PUT', `/v1/orgs/${orgId}/mfa-policy`, {
        requireMfa: true,
        gracePeriodHours: 0,
        allowedMethods: ['totp'],
      }),
    );
    const answered = performance.now();
    const rolloutId = put.value.rollout.id;
    let e2e: number;
    for (;;) {
      const r = await orgAdmin.call<{ status: string; applied: number; total: number }>('GET', `/v1/orgs/${orgId}/rollouts/${rolloutId}`);
      if (r.status === 'completed') {
        e2e = performance.now() - answered;
        if (r.total !== opts.members || r.applied !== opts.members) throw new Error(`P2e: completed with ${r.applied}/${r.total}`);
        break;
      }
      if (r.status === 'failed') throw new Error(`P2e: rollout ${rolloutId} failed`);
      if (performance.now() - answered > 30 * 60_000) throw new Error(`P2e: rollout ${rolloutId} still ${r.status}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    // the notices follow the walk: let them land before the baseline shares the disk with them
    // (NaN when they stop coming for a minute short of all: a notice job that failed for good)
    const notices = await withDb(opts.databaseUrl, async (db) => {
      let seen = -1;
      let since = performance.now();
      for (;;) {
        const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM accounts.notification_outbox WHERE org_id = $1`, [orgId])).rows;
        if (n >= opts.members) return performance.now() - answered;
        if (n !== seen) [seen, since] = [n, performance.now()];
        if (performance.now() - since > 60_000) {
          log(`P2e: only ${n} of ${opts.members} notices written, none for a minute`);
          return NaN;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    });
    await withDb(opts.databaseUrl, (db) => db.query('CHECKPOINT'));
    const narrow = await narrowUpdate(opts.databaseUrl, opts.members);
    reps.push({ put: put.ms, e2e, notices, narrow });
    log(
      `P2e rep ${i + 1}: PUT answered in ${fmt(put.ms, 0)} ms, completed ${fmt(e2e, 0)} ms after it, notices written ${fmt(notices, 0)} ms after it; narrow UPDATE ${fmt(narrow, 0)} ms (ratio ${fmt(e2e / narrow)})`,
    );
  }
  const e2e = median(reps.map((r) => r.e2e));
  const narrow = median(reps.map((r) => r.narrow));
  const size = opts.members.toLocaleString('en');
  const rows: BenchRow[] = [
    {
      id: 'P2e',
      what: `PUT answer -> rollout \`completed\` (GET every 50 ms), org of ${size} members, default compliance tick, median of ${opts.reps}`,
      figure: `${fmt(e2e / 1000)} s`,
      baseline: `ONE raw UPDATE of ${size} rows of a narrow table (id PK, org index, 5 columns): ${fmt(narrow / 1000)} s`,
      ratio: `${fmt(e2e / narrow)}x`,
      goal: '<= 2x',
      met: e2e / narrow <= 2,
    },
    {
      id: 'P2eb',
      what: `... until all ${size} notices are written (from the PUT's answer)`,
      figure: `${fmt(median(reps.map((r) => r.notices)) / 1000)} s`,
      baseline: `narrow UPDATE ${fmt(narrow / 1000)} s`,
      ratio: `${fmt(median(reps.map((r) => r.notices)) / narrow)}x`,
      goal: '-',
      met: null,
    },
  ];
  return { rows };
}
