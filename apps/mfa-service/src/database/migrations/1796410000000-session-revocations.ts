import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Session revocations, the truth (account-service keeps a copy it reads in accounts.authorize).
 * `serial_number` null: every token of the account issued at or before `revoked_before`.
 * `delivered_at` null: account-service has not acknowledged it yet; a sweep re-sends it.
 */
export class SessionRevocations1796410000000 implements MigrationInterface {
  name = 'SessionRevocations1796410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE mfa.session_revocations (
      id uuid PRIMARY KEY,
      org_id uuid NOT NULL,
      account_id uuid NOT NULL,
      serial_number text,
      revoked_before timestamptz NOT NULL,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz
    )`);
    await q.query(`CREATE INDEX session_revocations_account ON mfa.session_revocations (account_id, revoked_before)`);
    await q.query(`CREATE INDEX session_revocations_undelivered ON mfa.session_revocations (created_at) WHERE delivered_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mfa.session_revocations`);
  }
}
