import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The org policy's `secureMethodsOnly` copy: refuses new SMS devices while true.
 *
 * Device events now carry `secureActiveDeviceCount` (active devices that are not SMS), which
 * account-service keeps beside the total. Its column starts at 0, so every account holding an
 * active device gets one device event restating both counts (through the outbox, as any other
 * event): without it a TOTP user would read as SMS-only the day their org turns the policy on.
 */
export class SecureMethodsOnly1796800000000 implements MigrationInterface {
  name = 'SecureMethodsOnly1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.org_policies ADD COLUMN secure_methods_only boolean NOT NULL DEFAULT false`);
    await q.query(`
      INSERT INTO mfa.event_outbox (id, job_name, payload, created_at)
      SELECT gen_random_uuid(), 'device-activated',
             jsonb_build_object(
               'accountId', d.account_id, 'orgId', d.org_id, 'serialNumber', d.serial_number, 'type', d.type,
               'activeDeviceCount', c.active, 'secureActiveDeviceCount', c.secure,
               'cause', 'enabled', 'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             clock_timestamp()
        FROM (SELECT account_id, count(*)::int AS active, (count(*) FILTER (WHERE type <> 'sms'))::int AS secure,
                     (array_agg(id ORDER BY enabled_at DESC NULLS LAST))[1] AS latest
                FROM mfa.devices WHERE status = 'active' GROUP BY account_id) c
        JOIN mfa.devices d ON d.id = c.latest`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.org_policies DROP COLUMN secure_methods_only`);
  }
}
