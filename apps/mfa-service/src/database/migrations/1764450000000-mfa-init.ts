import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MfaInit1764450000000 implements MigrationInterface {
  name = 'MfaInit1764450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE mfa.devices (
      id uuid PRIMARY KEY,
      serial_number text NOT NULL UNIQUE,
      account_id uuid NOT NULL,
      org_id uuid NOT NULL,
      type text NOT NULL CHECK (type IN ('totp', 'sms')),
      name text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'active', 'deactivated')),
      secret_enc text,
      phone_enc text,
      drift_steps smallint NOT NULL DEFAULT 0 CHECK (drift_steps BETWEEN -10 AND 10),
      last_step bigint,
      sms_code_hash bytea,
      sms_code_expires_at timestamptz,
      sms_sent_at timestamptz,
      created_at timestamptz NOT NULL,
      enabled_at timestamptz,
      deactivated_at timestamptz,
      last_used_at timestamptz,
      pending_expires_at timestamptz,
      -- a deactivated device has its secrets wiped
      CHECK (status = 'deactivated' OR type <> 'totp' OR secret_enc IS NOT NULL),
      CHECK (status = 'deactivated' OR type <> 'sms' OR phone_enc IS NOT NULL)
    )`);
    await q.query(`CREATE INDEX devices_account_status ON mfa.devices (account_id, status)`);
    // devicesByType of an org: only active devices are counted
    await q.query(`CREATE INDEX devices_org_active ON mfa.devices (org_id, type) WHERE status = 'active'`);

    await q.query(`CREATE TABLE mfa.recovery_codes (
      id uuid PRIMARY KEY,
      account_id uuid NOT NULL,
      org_id uuid NOT NULL,
      salt bytea NOT NULL,
      hash bytea NOT NULL,
      created_at timestamptz NOT NULL,
      used_at timestamptz
    )`);
    await q.query(`CREATE INDEX recovery_codes_account ON mfa.recovery_codes (account_id)`);

    await q.query(`CREATE TABLE mfa.account_failures (
      account_id uuid PRIMARY KEY,
      failures int NOT NULL,
      locked_until timestamptz,
      updated_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE mfa.org_policies (
      org_id uuid PRIMARY KEY,
      version int NOT NULL,
      require_mfa boolean NOT NULL,
      allowed_methods text[] NOT NULL,
      updated_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE mfa.sms_outbox (
      id uuid PRIMARY KEY,
      phone_number text NOT NULL,
      body text NOT NULL,
      serial_number text NOT NULL,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX sms_outbox_phone ON mfa.sms_outbox (phone_number, created_at)`);

    await q.query(`CREATE TABLE mfa.event_outbox (
      id uuid PRIMARY KEY,
      job_name text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['event_outbox', 'sms_outbox', 'org_policies', 'account_failures', 'recovery_codes', 'devices']) {
      await q.query(`DROP TABLE IF EXISTS mfa.${table}`);
    }
  }
}
