import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A member's enforcement history (docs/enforcement.md, "History"): the org's policy versions,
 * one row per version (org-level, merged into every member's history on read), and the facts of
 * each member (device counts, grace anchor, exemption) as one row per change, written in the
 * same statement as the change. Members that exist now start their history here: one
 * `history_started` row each with their facts of this instant, and every org's current version
 * is its first row (what was before is not known).
 */
export class MemberHistory1797300000000 implements MigrationInterface {
  name = 'MemberHistory1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts.org_policy_versions (
        org_id uuid NOT NULL,
        version int NOT NULL,
        require_mfa boolean NOT NULL,
        grace_period_hours int NOT NULL,
        secure_methods_only boolean NOT NULL,
        required_since timestamptz,
        -- the version's own time (policy_updated_at): when it took effect for every member
        at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT org_policy_versions_pkey PRIMARY KEY (org_id, version)
      )`);
    await q.query(`CREATE INDEX org_policy_versions_at_idx ON accounts.org_policy_versions (org_id, at)`);
    await q.query(`
      INSERT INTO accounts.org_policy_versions (org_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at)
      SELECT org_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, COALESCE(policy_updated_at, updated_at)
        FROM accounts.org_policies`);
    await q.query(`
      CREATE TABLE accounts.member_events (
        id bigserial PRIMARY KEY,
        org_id uuid NOT NULL,
        account_id uuid NOT NULL,
        at timestamptz NOT NULL,
        kind text NOT NULL CHECK (kind IN ('history_started', 'device_enabled', 'device_removed', 'device_reset',
                                           'exemption_set', 'exemption_removed', 'group_joined', 'group_left')),
        -- the device's serial number, the group id
        ref text,
        -- the account's facts after the change
        active_device_count int NOT NULL,
        secure_active_device_count int NOT NULL,
        grace_anchor_at timestamptz,
        exempt_until timestamptz,
        CONSTRAINT member_events_account_fk FOREIGN KEY (org_id, account_id) REFERENCES accounts.accounts (org_id, id) ON DELETE CASCADE
      )`);
    // a member's events newest first (the history read), and the cascade of a member's removal
    await q.query(`CREATE INDEX member_events_account_idx ON accounts.member_events (org_id, account_id, at DESC, id DESC)`);
    await q.query(`
      INSERT INTO accounts.member_events (org_id, account_id, at, kind, active_device_count, secure_active_device_count, grace_anchor_at, exempt_until)
      SELECT org_id, id, now(), 'history_started', active_device_count, secure_active_device_count, grace_anchor_at, exempt_until
        FROM accounts.accounts`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE accounts.member_events`);
    await q.query(`DROP TABLE accounts.org_policy_versions`);
  }
}
