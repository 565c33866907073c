import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The org policy's per-action `conditions` copy (docs/enforcement.md "Per-action conditions"):
 * `[{actions, maxMfaAgeSeconds}]`, read by accounts.authorize when a request names an action.
 * Existing rows have none, as they behaved.
 */
export class PolicyConditions1796900000000 implements MigrationInterface {
  name = 'PolicyConditions1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.org_policies ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.org_policies DROP COLUMN conditions`);
  }
}
