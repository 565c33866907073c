import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member services' bus keys. No secret is stored: it is derived from the platform's internal
 * key and the salt (a leak of this table gives nothing to sign with).
 */
export class CreateServiceKeys1796400000000 implements MigrationInterface {
  name = 'CreateServiceKeys1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE accounts.service_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL,
      name text NOT NULL,
      scopes text[] NOT NULL,
      salt bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz)`);
    await q.query(`CREATE INDEX service_keys_org_idx ON accounts.service_keys (org_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE accounts.service_keys`);
  }
}
