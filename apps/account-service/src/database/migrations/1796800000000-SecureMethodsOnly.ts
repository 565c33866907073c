import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The org policy's `secureMethodsOnly` copy, and each account's count of active devices that are
 * not SMS (from the device events): under that policy only those make a member compliant.
 * Existing rows get 0 secure devices until their next device event; the policy starts false
 * everywhere, so nothing changes state by this migration.
 */
export class SecureMethodsOnly1796800000000 implements MigrationInterface {
  name = 'SecureMethodsOnly1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.org_policies ADD COLUMN secure_methods_only boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE accounts.accounts ADD COLUMN secure_active_device_count int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts.accounts DROP COLUMN secure_active_device_count`);
    await q.query(`ALTER TABLE accounts.org_policies DROP COLUMN secure_methods_only`);
  }
}
