import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Groups of members and the current policy of each group (docs/enforcement.md, "Groups").
 * A membership belongs to one org: both foreign keys carry org_id, so a group never holds another
 * org's account, and removing a member or a group removes its memberships (and the group's policy).
 * `org_policies.has_group_policies` is the per-org flag that lets the effective-policy SQL skip
 * the group part entirely for an org without group policies (the org row is created, at version 0
 * = the default policy, when a group policy arrives first).
 */
export class CreateGroups1797400000000 implements MigrationInterface {
  name = 'CreateGroups1797400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts.groups (
        org_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT groups_pkey PRIMARY KEY (org_id, id),
        CONSTRAINT groups_name_per_org_key UNIQUE (org_id, name)
      )`);
    await q.query(`CREATE UNIQUE INDEX groups_id_key ON accounts.groups (id)`);
    await q.query(`
      CREATE TABLE accounts.group_members (
        group_id uuid NOT NULL,
        account_id uuid NOT NULL,
        org_id uuid NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT group_members_pkey PRIMARY KEY (group_id, account_id),
        CONSTRAINT group_members_group_fkey FOREIGN KEY (org_id, group_id) REFERENCES accounts.groups (org_id, id) ON DELETE CASCADE,
        CONSTRAINT group_members_account_fkey FOREIGN KEY (org_id, account_id) REFERENCES accounts.accounts (org_id, id) ON DELETE CASCADE
      )`);
    // a member's groups (the effective policy's subqueries, and the FK cascade from accounts)
    await q.query(`CREATE INDEX group_members_account_idx ON accounts.group_members (account_id, group_id)`);
    await q.query(`CREATE INDEX group_members_org_account_idx ON accounts.group_members (org_id, account_id)`);
    await q.query(`
      CREATE TABLE accounts.group_policies (
        group_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        version int NOT NULL,
        require_mfa boolean NOT NULL,
        grace_period_hours int NOT NULL,
        allowed_methods text[] NOT NULL,
        max_mfa_age_seconds int,
        secure_methods_only boolean NOT NULL DEFAULT false,
        required_since timestamptz,
        policy_updated_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT group_policies_group_fkey FOREIGN KEY (org_id, group_id) REFERENCES accounts.groups (org_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX group_policies_org_idx ON accounts.group_policies (org_id)`);
    await q.query(`ALTER TABLE accounts.org_policies ADD COLUMN has_group_policies boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.org_policies DROP COLUMN has_group_policies`);
    await q.query(`DROP TABLE accounts.group_policies`);
    await q.query(`DROP TABLE accounts.group_members`);
    await q.query(`DROP TABLE accounts.groups`);
  }
}
