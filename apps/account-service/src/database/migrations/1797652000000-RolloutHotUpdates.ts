import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rollout rewrites the snapshot columns (policy_version, required_since, grace_deadline,
 * enforcement_state) of every member of an org. Three changes let Postgres do that as HOT updates
 * (no index entry written, docs/enforcement.md "Rollout materialization"):
 *
 * - the partial index on `enforcement_state` goes: a column in an index predicate makes every
 *   UPDATE that sets it write all five indexes of the row. The deadline and exemption jobs it
 *   served now filter the org-ordered walk instead (they run once a tick, off every request path);
 * - fillfactor 50: a new row leaves room on its page for the new version a rollout writes (a HOT
 *   update must stay on the page). Only pages written from now on; an org the rollouts rewrite
 *   takes that room anyway (the old and the new version of each row);
 * - new accounts get time-ordered ids (the uuid v7 layout): the walk by (org_id, id) then reads
 *   the pages in the order they were written, instead of touching every page of the org in every
 *   chunk, and its index probes stay on the same few leaf pages. Existing ids stay as they are.
 */
export class RolloutHotUpdates1797652000000 implements MigrationInterface {
  name = 'RolloutHotUpdates1797652000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX accounts.accounts_stored_pending_exempt_idx`);
    await q.query(`ALTER TABLE accounts.accounts SET (fillfactor = 50)`);
    // 48 bits of Unix milliseconds, the version (7), 12 bits of the fraction of the millisecond (so
    // ids made in one millisecond still sort in time, as Postgres 18's uuidv7() does), then the
    // random half of a v4 uuid with its variant bits
    await q.query(`
      CREATE FUNCTION accounts.uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
        SELECT encode(
          substring(int8send(floor(t * 1000)::bigint) FROM 3)
          || int2send((28672 + floor((t * 1000 - floor(t * 1000)) * 4096))::int2)
          || substring(uuid_send(gen_random_uuid()) FROM 9),
          'hex')::uuid
        FROM (SELECT extract(epoch FROM clock_timestamp()) AS t) s
      $$`);
    await q.query(`ALTER TABLE accounts.accounts ALTER COLUMN id SET DEFAULT accounts.uuid_v7()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.accounts ALTER COLUMN id SET DEFAULT gen_random_uuid()`);
    await q.query(`DROP FUNCTION accounts.uuid_v7()`);
    await q.query(`ALTER TABLE accounts.accounts RESET (fillfactor)`);
    await q.query(
      `CREATE INDEX accounts_stored_pending_exempt_idx ON accounts.accounts (org_id, id) WHERE enforcement_state IN ('pending', 'exempt')`,
    );
  }
}
