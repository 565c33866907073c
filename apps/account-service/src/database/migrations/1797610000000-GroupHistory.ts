import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * History with groups (docs/enforcement.md, "History with groups"): every group policy version
 * account-service stores is ONE row here (group-level, like org_policy_versions; merged on read
 * into the history of the members who were in the group at that time, never written per member).
 * No foreign key to the group: a deleted group's past versions still explain its former members'
 * past. Membership intervals come from member_events (`group_joined` / `group_left`, ref = the
 * group id), written by the statement that changes the membership.
 * Memberships that exist now have no joined row: the read takes the current memberships and
 * undoes the events after its start, so they count as held since the start (not guessed earlier).
 */
export class GroupHistory1797610000000 implements MigrationInterface {
  name = 'GroupHistory1797610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts.group_policy_versions (
        org_id uuid NOT NULL,
        group_id uuid NOT NULL,
        version int NOT NULL,
        require_mfa boolean NOT NULL,
        grace_period_hours int NOT NULL,
        secure_methods_only boolean NOT NULL,
        required_since timestamptz,
        -- the version's own time (policy_updated_at): when it took effect for every member of the group
        at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT group_policy_versions_pkey PRIMARY KEY (group_id, version)
      )`);
    await q.query(`CREATE INDEX group_policy_versions_at_idx ON accounts.group_policy_versions (group_id, at)`);
    await q.query(`
      INSERT INTO accounts.group_policy_versions (org_id, group_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at)
      SELECT org_id, group_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, COALESCE(policy_updated_at, updated_at)
        FROM accounts.group_policies`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE accounts.group_policy_versions`);
  }
}
