import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Group policies reuse the org's versions, rollouts and outbox: a `group_id` dimension (NULL: the
 * org's own policy). Versions count per (org, group); the org's keep their numbering.
 */
export class GroupPolicies1797300000000 implements MigrationInterface {
  name = 'GroupPolicies1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE org.mfa_policies ADD COLUMN group_id uuid`);
    await q.query(`ALTER TABLE org.mfa_policies DROP CONSTRAINT mfa_policies_pkey`);
    await q.query(`CREATE UNIQUE INDEX mfa_policies_org_version_key ON org.mfa_policies (org_id, version) WHERE group_id IS NULL`);
    await q.query(
      `CREATE UNIQUE INDEX mfa_policies_group_version_key ON org.mfa_policies (org_id, group_id, version) WHERE group_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE org.policy_rollouts ADD COLUMN group_id uuid`);
    await q.query(`ALTER TABLE org.policy_rollouts DROP CONSTRAINT policy_rollouts_org_id_policy_version_key`);
    await q.query(
      `CREATE UNIQUE INDEX policy_rollouts_org_version_key ON org.policy_rollouts (org_id, policy_version) WHERE group_id IS NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX policy_rollouts_group_version_key ON org.policy_rollouts (org_id, group_id, policy_version) WHERE group_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM org.policy_rollouts WHERE group_id IS NOT NULL`);
    await q.query(`DROP INDEX org.policy_rollouts_group_version_key`);
    await q.query(`DROP INDEX org.policy_rollouts_org_version_key`);
    await q.query(
      `ALTER TABLE org.policy_rollouts ADD CONSTRAINT policy_rollouts_org_id_policy_version_key UNIQUE (org_id, policy_version)`,
    );
    await q.query(`ALTER TABLE org.policy_rollouts DROP COLUMN group_id`);
    await q.query(`DELETE FROM org.mfa_policies WHERE group_id IS NOT NULL`);
    await q.query(`DROP INDEX org.mfa_policies_group_version_key`);
    await q.query(`DROP INDEX org.mfa_policies_org_version_key`);
    await q.query(`ALTER TABLE org.mfa_policies ADD CONSTRAINT mfa_policies_pkey PRIMARY KEY (org_id, version)`);
    await q.query(`ALTER TABLE org.mfa_policies DROP COLUMN group_id`);
  }
}
