import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Org policies as account-service knows them, the per-account enforcement facts and the
 * materialized snapshot written by rollouts, and the notification outbox.
 */
export class AddEnforcement1796018400000 implements MigrationInterface {
  name = 'AddEnforcement1796018400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts.org_policies (
        org_id uuid PRIMARY KEY,
        version int NOT NULL,
        require_mfa boolean NOT NULL,
        grace_period_hours int NOT NULL,
        allowed_methods text[] NOT NULL,
        max_mfa_age_seconds int,
        required_since timestamptz,
        policy_updated_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      ALTER TABLE accounts.accounts
        ADD COLUMN policy_version int NOT NULL DEFAULT 0,
        ADD COLUMN enforcement_state text,
        ADD COLUMN required_since timestamptz,
        ADD COLUMN grace_deadline timestamptz,
        ADD COLUMN grace_anchor_at timestamptz,
        ADD COLUMN active_device_count int NOT NULL DEFAULT 0,
        ADD COLUMN device_event_at timestamptz,
        ADD COLUMN exempt_until timestamptz,
        ADD COLUMN exempt_reason text,
        ADD COLUMN last_mfa_used_at timestamptz`);
    // the rollout walks an org's accounts by id in keyset chunks
    await q.query(`CREATE INDEX IF NOT EXISTS accounts_org_id_id_idx ON accounts.accounts (org_id, id)`);
    await q.query(`
      CREATE TABLE accounts.notification_outbox (
        id bigserial PRIMARY KEY,
        org_id uuid NOT NULL,
        account_id uuid NOT NULL,
        kind text NOT NULL,
        policy_version int NOT NULL DEFAULT 0,
        payload jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      )`);
    // a retried notice job writes each notice once
    await q.query(`CREATE UNIQUE INDEX notification_outbox_once_idx ON accounts.notification_outbox (account_id, kind, policy_version)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE accounts.notification_outbox`);
    await q.query(`
      ALTER TABLE accounts.accounts
        DROP COLUMN policy_version, DROP COLUMN enforcement_state, DROP COLUMN required_since,
        DROP COLUMN grace_deadline, DROP COLUMN grace_anchor_at, DROP COLUMN active_device_count,
        DROP COLUMN device_event_at, DROP COLUMN exempt_until, DROP COLUMN exempt_reason, DROP COLUMN last_mfa_used_at`);
    await q.query(`DROP TABLE accounts.org_policies`);
  }
}
