import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-action `conditions` on each policy version (docs/admin-api.md, docs/enforcement.md
 * "Per-action conditions"). Versions written before it have none, as they behaved.
 */
export class PolicyConditions1796900000000 implements MigrationInterface {
  name = 'PolicyConditions1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE org.mfa_policies ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE org.mfa_policies DROP COLUMN conditions`);
  }
}
