import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SMS outbox keeps number and body encrypted (envelope, AAD bound to the row) and for a day
 * only. Rows written in plain text before this go: they are development messages.
 */
export class SmsOutboxSealed1796500000000 implements MigrationInterface {
  name = 'SmsOutboxSealed1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM mfa.sms_outbox`);
    await q.query(`DROP INDEX mfa.sms_outbox_phone`);
    await q.query(
      `ALTER TABLE mfa.sms_outbox DROP COLUMN phone_number, DROP COLUMN body, ADD COLUMN account_id uuid NOT NULL, ADD COLUMN phone_enc text NOT NULL, ADD COLUMN body_enc text NOT NULL, ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`,
    );
    // seq orders messages written in the same millisecond (tests run on a fixed clock)
    await q.query(`CREATE INDEX sms_outbox_serial ON mfa.sms_outbox (serial_number, created_at, seq)`);
    await q.query(`CREATE INDEX sms_outbox_created ON mfa.sms_outbox (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM mfa.sms_outbox`);
    await q.query(`DROP INDEX mfa.sms_outbox_created`);
    await q.query(`DROP INDEX mfa.sms_outbox_serial`);
    await q.query(
      `ALTER TABLE mfa.sms_outbox DROP COLUMN account_id, DROP COLUMN seq, DROP COLUMN phone_enc, DROP COLUMN body_enc, ADD COLUMN phone_number text NOT NULL, ADD COLUMN body text NOT NULL`,
    );
    await q.query(`CREATE INDEX sms_outbox_phone ON mfa.sms_outbox (phone_number, created_at)`);
  }
}
