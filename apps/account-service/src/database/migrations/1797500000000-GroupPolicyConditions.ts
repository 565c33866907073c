import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A group policy's per-action `conditions` (as org_policies.conditions): accounts.authorize unites
 * the org's and every group policy's of the member (docs/enforcement.md, "Per-action conditions").
 */
export class GroupPolicyConditions1797500000000 implements MigrationInterface {
  name = 'GroupPolicyConditions1797500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.group_policies ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.group_policies DROP COLUMN conditions`);
  }
}
