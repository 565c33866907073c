import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The org policy's `secureMethodsOnly` copy: refuses new SMS devices while true. */
export class SecureMethodsOnly1796800000000 implements MigrationInterface {
  name = 'SecureMethodsOnly1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.org_policies ADD COLUMN secure_methods_only boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.org_policies DROP COLUMN secure_methods_only`);
  }
}
