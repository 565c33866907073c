import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The compliance jobs' own tables: daily per-org figures (trend + history endpoint) and the
 * reminders already sent, whose primary key is what makes each reminder go out once.
 */
export class CreateComplianceTables1796100000000 implements MigrationInterface {
  name = 'CreateComplianceTables1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts.compliance_snapshots (
        org_id uuid NOT NULL,
        date date NOT NULL,
        total int NOT NULL,
        by_state jsonb NOT NULL,
        compliant_percent numeric(5, 2) NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, date)
      )`);
    await q.query(`
      CREATE TABLE accounts.reminders_sent (
        account_id uuid NOT NULL,
        deadline timestamptz NOT NULL,
        offset_hours int NOT NULL,
        org_id uuid NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, deadline, offset_hours)
      )`);
    // the cleanup of reminders for deadlines long past
    await q.query(`CREATE INDEX reminders_sent_deadline_idx ON accounts.reminders_sent (deadline)`);
    // the deadline and exemption jobs look only at rows stored pending or exempt
    await q.query(
      `CREATE INDEX accounts_stored_pending_exempt_idx ON accounts.accounts (org_id, id) WHERE enforcement_state IN ('pending', 'exempt')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX accounts.accounts_stored_pending_exempt_idx`);
    await q.query(`DROP TABLE accounts.reminders_sent`);
    await q.query(`DROP TABLE accounts.compliance_snapshots`);
  }
}
