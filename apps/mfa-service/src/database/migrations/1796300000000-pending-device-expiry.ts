import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The sweep of expired pending devices finds them without reading the whole table. */
export class PendingDeviceExpiry1796300000000 implements MigrationInterface {
  name = 'PendingDeviceExpiry1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX devices_pending_expiry ON mfa.devices (pending_expires_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX mfa.devices_pending_expiry`);
  }
}
