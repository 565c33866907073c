import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The org policy's per-action `conditions` copy: mfa.devices.diagnose names the condition an
 * `action` falls under (a `policy_denies` finding). Existing rows have none until the next hand-over.
 */
export class PolicyConditions1796900000000 implements MigrationInterface {
  name = 'PolicyConditions1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.org_policies ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.org_policies DROP COLUMN conditions`);
  }
}
