/**
 * MemberHistory1797300000000 on a database that already has members and a policy: each member's
 * history starts at the migration with its facts then, and each org's current version is its
 * first row. A database of its own (the migration is run down and up again here).
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropDatabase } from '@mfa/database';
import { migrateAll } from '../../../tools/migrate';
import { dataSourceOptions } from '../src/database/data-source';
import { MemberHistory1797300000000 } from '../src/database/migrations/1797300000000-MemberHistory';

const url = `${process.env.DATABASE_URL}_history_migration`;
let db: DataSource;

beforeAll(async () => {
  await dropDatabase(url);
  await migrateAll(url);
  db = new DataSource(dataSourceOptions(url));
  await db.initialize();
});
afterAll(async () => {
  await db?.destroy();
  if (!process.env.KEEP_TEST_DB) await dropDatabase(url);
});

it('starts the history of existing members at the migration, with their facts then', async () => {
  const runner = db.createQueryRunner();
  const migration = new MemberHistory1797300000000();
  await migration.down(runner);
  const orgId = randomUUID();
  const [a, b] = [randomUUID(), randomUUID()];
  await db.query(
    `INSERT INTO accounts.org_policies (org_id, version, require_mfa, grace_period_hours, allowed_methods, required_since, policy_updated_at)
     VALUES ($1, 3, true, 48, '{totp}', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')`,
    [orgId],
  );
  await db.query(
    `INSERT INTO accounts.accounts (org_id, id, email, active_device_count, secure_active_device_count, exempt_until, created_at)
     VALUES ($1, $2, 'a@example.test', 2, 1, NULL, '2025-06-01Z'), ($1, $3, 'b@example.test', 0, 0, '2030-01-01Z', '2025-06-01Z')`,
    [orgId, a, b],
  );
  await migration.up(runner);
  await runner.release();

  const events: Array<{ account_id: string; kind: string; active_device_count: number; exempt_until: Date | null; at: Date }> =
    await db.query(
      `SELECT account_id, kind, active_device_count, exempt_until, at FROM accounts.member_events WHERE org_id = $1 ORDER BY active_device_count DESC`,
      [orgId],
    );
  expect(events.map((e) => [e.account_id, e.kind, e.active_device_count, e.exempt_until?.toISOString() ?? null])).toEqual([
    [a, 'history_started', 2, null],
    [b, 'history_started', 0, '2030-01-01T00:00:00.000Z'],
  ]);
  expect(events[0].at.getTime()).toBeGreaterThan(Date.now() - 60_000);
  const versions = await db.query(
    `SELECT version, require_mfa, grace_period_hours, at FROM accounts.org_policy_versions WHERE org_id = $1`,
    [orgId],
  );
  expect(versions).toEqual([{ version: 3, require_mfa: true, grace_period_hours: 48, at: new Date('2026-01-02T00:00:00Z') }]);

  // a member removed takes its events with it
  await db.query(`DELETE FROM accounts.accounts WHERE id = $1`, [a]);
  expect(await db.query(`SELECT count(*)::int AS n FROM accounts.member_events WHERE account_id = $1`, [a])).toEqual([{ n: 0 }]);
});
