import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Organizations and their API keys (schema `org`). */
export class CreateOrganizations1795900000000 implements MigrationInterface {
  name = 'CreateOrganizations1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE org.organizations (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE org.api_keys (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES org.organizations (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('admin', 'auditor')),
        label text,
        key_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_org_id_idx ON org.api_keys (org_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE org.api_keys`);
    await q.query(`DROP TABLE org.organizations`);
  }
}
