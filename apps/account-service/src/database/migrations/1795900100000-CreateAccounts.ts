import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member accounts (schema `accounts`). The primary key leads with org_id so the table can be
 * partitioned by org later, and it is the keyset-paging index of member listings; it is named
 * accounts_org_id_id_idx because AddEnforcement creates that index IF NOT EXISTS.
 * accounts.get looks up by id alone: accounts_id_idx (not unique, so it survives partitioning).
 */
export class CreateAccounts1795900100000 implements MigrationInterface {
  name = 'CreateAccounts1795900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts.accounts (
        org_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        email text NOT NULL,
        display_name text,
        external_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT accounts_org_id_id_idx PRIMARY KEY (org_id, id),
        CONSTRAINT accounts_email_per_org_key UNIQUE (org_id, email)
      )`);
    await q.query(`CREATE INDEX accounts_id_idx ON accounts.accounts (id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE accounts.accounts`);
  }
}
