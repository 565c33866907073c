import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A notice is written once per (account, kind, version, dedupe key). Reminders carry the
 * deadline they are about in the key: before, a member whose deadline moved never got that
 * offset's reminder again (the compliance job sent it, the outbox dropped it as a duplicate).
 */
export class NotificationDedupeKey1796200000000 implements MigrationInterface {
  name = 'NotificationDedupeKey1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.notification_outbox ADD COLUMN dedupe_key text NOT NULL DEFAULT ''`);
    await q.query(`DROP INDEX accounts.notification_outbox_once_idx`);
    await q.query(
      `CREATE UNIQUE INDEX notification_outbox_once_idx ON accounts.notification_outbox (account_id, kind, policy_version, dedupe_key)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX accounts.notification_outbox_once_idx`);
    await q.query(`DELETE FROM accounts.notification_outbox a USING accounts.notification_outbox b
                    WHERE a.id > b.id AND a.account_id = b.account_id AND a.kind = b.kind AND a.policy_version = b.policy_version`);
    await q.query(`CREATE UNIQUE INDEX notification_outbox_once_idx ON accounts.notification_outbox (account_id, kind, policy_version)`);
    await q.query(`ALTER TABLE accounts.notification_outbox DROP COLUMN dedupe_key`);
  }
}
