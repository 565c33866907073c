import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import { NotificationOutboxRepository } from './notification-outbox.repository';
import { OutboxNotifier } from './notifier';

// real Postgres: the outbox's uniqueness is what makes notices idempotent
describe(OutboxNotifier.name, () => {
  let ds: DataSource;
  let sut: OutboxNotifier;
  beforeAll(async () => {
    ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
    await ds.initialize();
    sut = new OutboxNotifier(new NotificationOutboxRepository(ds));
  });
  afterAll(() => ds?.destroy());

  const outbox = async (accountId: string) =>
    (await ds.query(`SELECT kind, policy_version, payload FROM accounts.notification_outbox WHERE account_id = $1 ORDER BY id`, [
      accountId,
    ])) as Array<{
      kind: string;
      policy_version: number;
      payload: Record<string, unknown>;
    }>;

  it('writes a policy notice once per version, however often its job runs', async () => {
    const [orgId, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await sut.policyRequired({ orgId, policyVersion: 3, accountIds: [a, b] })).toBe(2);
    expect(await sut.policyRequired({ orgId, policyVersion: 3, accountIds: [a, b] })).toBe(0);
    expect(await sut.policyRequired({ orgId, policyVersion: 4, accountIds: [a] })).toBe(1);
    expect((await outbox(a)).map((n) => n.policy_version)).toEqual([3, 4]);
  });

  it('reminds again when the deadline moved, once per (offset, deadline)', async () => {
    const [orgId, a] = [randomUUID(), randomUUID()];
    const first = '2030-01-08T00:00:00.000Z';
    const moved = '2030-01-03T00:00:00.000Z';
    expect(await sut.deadlineReminder({ orgId, accountIds: [a], deadlines: [first], offsetHours: 24 })).toBe(1);
    expect(await sut.deadlineReminder({ orgId, accountIds: [a], deadlines: [first], offsetHours: 24 })).toBe(0); // a retried job
    expect(await sut.deadlineReminder({ orgId, accountIds: [a], deadlines: [moved], offsetHours: 24 })).toBe(1);
    expect((await outbox(a)).map((n) => n.payload)).toEqual([
      { offsetHours: 24, deadline: first },
      { offsetHours: 24, deadline: moved },
    ]);
  });
});
