import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * account-service's copy of mfa-service's session revocations, read by accounts.authorize in
 * the same statement as the account. One row per (account, device); serial_number '' = every
 * token of the account. A token issued at or before revoked_before is refused.
 */
export class SessionRevocations1796410000000 implements MigrationInterface {
  name = 'SessionRevocations1796410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE accounts.session_revocations (
      account_id uuid NOT NULL,
      serial_number text NOT NULL DEFAULT '',
      revoked_before timestamptz NOT NULL,
      reason text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT session_revocations_pkey PRIMARY KEY (account_id, serial_number)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE accounts.session_revocations`);
  }
}
