import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every SMS code sent in the last hour, by number (a keyed hash, never the number) and account:
 * the Postgres floor under the Redis limits, so deleting Redis keys does not reopen them.
 */
export class SmsSendLedger1796600000000 implements MigrationInterface {
  name = 'SmsSendLedger1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE mfa.sms_sends (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      phone_ref text NOT NULL,
      account_id uuid NOT NULL,
      sent_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX sms_sends_phone ON mfa.sms_sends (phone_ref, sent_at)`);
    await q.query(`CREATE INDEX sms_sends_account ON mfa.sms_sends (account_id, sent_at)`);
    await q.query(`CREATE INDEX sms_sends_sent ON mfa.sms_sends (sent_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mfa.sms_sends`);
  }
}
