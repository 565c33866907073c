import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `secureMethodsOnly` on each policy version (docs/admin-api.md): SMS neither counts toward
 * compliance nor may be enrolled. Versions written before it are false, as they behaved.
 */
export class SecureMethodsOnly1796800000000 implements MigrationInterface {
  name = 'SecureMethodsOnly1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE org.mfa_policies ADD COLUMN secure_methods_only boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE org.mfa_policies DROP COLUMN secure_methods_only`);
  }
}
