/**
 * What keeps a rollout at the database's speed (migration RolloutHotUpdates1797652000000,
 * docs/enforcement.md "Rollout materialization"), on a real Postgres: no index of the accounts
 * reads a column the rollout writes, so its chunk statement updates fresh members as HOT updates
 * (counted in the statement's own transaction), and new accounts get time-ordered ids.
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIN_UUID } from '@mfa/contracts';
import { dataSourceOptions } from '../src/database/data-source';
import { defaultOrgPolicy, type OrgPolicyState } from '../src/enforcement/compute-enforcement';
import { RolloutMaterializerRepository } from '../src/enforcement/rollout-materializer.repository';

/** What the rollout's chunk statement sets (MATERIALIZE_SET). */
const ROLLOUT_COLUMNS = ['policy_version', 'required_since', 'grace_deadline', 'enforcement_state'];
let ds: DataSource;

beforeAll(async () => {
  ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await ds.initialize();
});
afterAll(async () => {
  await ds?.destroy();
});

it('no index of accounts.accounts reads a column the rollout writes (key, expression or predicate)', async () => {
  const indexes: Array<{ def: string }> = await ds.query(
    `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'accounts.accounts'::regclass`,
  );
  expect(indexes.length).toBeGreaterThanOrEqual(4);
  for (const { def } of indexes) for (const column of ROLLOUT_COLUMNS) expect(def).not.toMatch(new RegExp(`\\b${column}\\b`));
  const [{ options }] = await ds.query(`SELECT reloptions AS options FROM pg_class WHERE oid = 'accounts.accounts'::regclass`);
  expect(options).toEqual(['fillfactor=50']);
});

it('gives new accounts time-ordered ids (uuid v7 layout: milliseconds first)', async () => {
  const orgId = randomUUID();
  const insert = async (email: string): Promise<string> =>
    (await ds.query(`INSERT INTO accounts.accounts (org_id, email) VALUES ($1, $2) RETURNING id`, [orgId, email]))[0].id;
  const before = Date.now();
  const first = await insert('first@v7.test');
  await new Promise((res) => setTimeout(res, 5));
  const second = await insert('second@v7.test');
  for (const id of [first, second]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(second > first).toBe(true);
  const ms = parseInt(first.replace(/-/g, '').slice(0, 12), 16);
  expect(Math.abs(ms - before)).toBeLessThan(60_000);
});

it('rewrites fresh members in a rollout chunk with HOT updates (no index entry) and names the newly required', async () => {
  const orgId = randomUUID();
  const n = 2_000;
  await ds.query(`INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'h' || g || '@hot.test' FROM generate_series(1, $2) g`, [
    orgId,
    n,
  ]);
  const policy: OrgPolicyState = {
    ...defaultOrgPolicy(orgId),
    version: 1,
    requireMfa: true,
    gracePeriodHours: 72,
    requiredSince: new Date(),
  };
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    // the repository's statement, sent on this transaction: its xact statistics are exact and its own
    const repo = new RolloutMaterializerRepository({ query: (sql: string, params: unknown[]) => runner.query(sql, params) } as DataSource);
    const chunk = await repo.materializeChunk(orgId, policy, MIN_UUID, n);
    expect(chunk).toMatchObject({ scanned: n, updated: n });
    expect(chunk.newlyRequired).toHaveLength(n);
    const [stats] = await runner.query(
      `SELECT pg_stat_get_xact_tuples_updated('accounts.accounts'::regclass)::int AS updated,
              pg_stat_get_xact_tuples_hot_updated('accounts.accounts'::regclass)::int AS hot`,
    );
    expect(stats.updated).toBe(n);
    // a fresh row grows when the snapshot is first written (NULLs become values): most, not all, fit
    // beside it on its half-empty page; with the old partial index on enforcement_state this was 0
    expect(stats.hot).toBeGreaterThan(n * 0.6);
    console.log(`[rollout chunk] ${stats.hot} of ${stats.updated} updates HOT`);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
});
