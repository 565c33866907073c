import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Queue, Worker } from 'bullmq';
import { JobQueues, JobsModule, loadInternalKey } from '@mfa/bus';
import { ConfigModule, loadConfig } from '@mfa/config';
import { dropDatabase } from '@mfa/database';
import { Apps, Jobs, Queues, type DeadlineReminderJob, type PolicyRequiredNoticeJob } from '@mfa/contracts';
import { MetricsModule, Metrics } from '@mfa/observability';
import { AccountServiceEnv } from '../src/config/account-service.env';
import { dataSourceOptions } from '../src/database/data-source';
import { Clock, ClockModule } from '@mfa/clock';
import { ComplianceJobsService, REMINDERS_DEFER_AT_MOST_MS } from '../src/compliance/compliance-jobs.service';
import { ComplianceModule } from '../src/compliance/compliance.module';
import { ComplianceNotifications } from '../src/compliance/compliance-notifications';
import { ComplianceReportService } from '../src/compliance/compliance-report.service';
import { ComplianceScheduler, schedulerId } from '../src/compliance/compliance-scheduler';
import { COMPLIANCE_SETTINGS, type ComplianceSettings } from '../src/compliance/compliance-settings';
import { RolloutMaterializerRepository, SnapshotRefreshRepository } from '../src/enforcement/rollout-materializer.repository';
import { GroupPolicyRepository } from '../src/enforcement/group-policy.repository';
import { OrgPolicyRepository } from '../src/enforcement/org-policy.repository';
import { migrateAll } from '../../../tools/migrate';

const HOUR = 3_600_000;

/** A clock the test sets; every instance of a test shares one. */
class TestClock extends Clock {
  at = new Date();
  now(): Date {
    return new Date(this.at.getTime());
  }
}

/** Records what the jobs hand to the notifier (the real one is a queue other test files may drain). */
class RecordingNotifications {
  reminders: DeadlineReminderJob[] = [];
  notices: PolicyRequiredNoticeJob[] = [];
  async deadlineReminder(job: DeadlineReminderJob) {
    this.reminders.push(job);
  }
  async policyRequired(job: PolicyRequiredNoticeJob) {
    this.notices.push(job);
  }
  remindedIn(orgId: string): string[] {
    return this.reminders.filter((r) => r.orgId === orgId).flatMap((r) => r.accountIds);
  }
}

interface Instance {
  module: TestingModule;
  jobs: ComplianceJobsService;
  notifications: RecordingNotifications;
}

/**
 * The jobs scan every org, and the clock here runs years ahead: on the run's shared database
 * they would rewrite other test files' members (and crawl through their big orgs). This file
 * gets a database of its own, with every migration.
 */
const jobsDbUrl = `${process.env.DATABASE_URL}_jobs`;
const env = loadConfig(AccountServiceEnv, { ...process.env, DATABASE_URL: jobsDbUrl, ACCOUNT_SERVICE_PORT: '0' });
const clock = new TestClock();
const settings: ComplianceSettings = {
  redisUrl: env.REDIS_URL,
  internalKey: loadInternalKey(env),
  intervalSeconds: 3600,
  reminderOffsetsHours: [168, 24],
  chunkSize: 7,
  orgChunkSize: 3,
  reconcileSettleSeconds: 0,
  schedule: false,
};

/** One account-service "instance": its own pool, notifier and metrics; the DB and clock are shared. */
async function startInstance(): Promise<Instance> {
  const notifications = new RecordingNotifications();
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(AccountServiceEnv, env),
      TypeOrmModule.forRoot(dataSourceOptions(env.DATABASE_URL)),
      MetricsModule.forRoot('account-service'),
      // the service's one clock (the compliance module reads the global one)
      ClockModule.forRoot(clock),
      // producers only: the other feature modules' handlers are not here, and the jobs are run by hand
      JobsModule.forApp({ app: Apps.Account, redisUrl: env.REDIS_URL, internalKey: settings.internalKey, consume: false }),
      ComplianceModule,
    ],
  })
    .overrideProvider(COMPLIANCE_SETTINGS)
    .useValue(settings)
    .overrideProvider(Clock)
    .useValue(clock)
    .overrideProvider(ComplianceNotifications)
    .useValue(notifications)
    .compile();
  await module.init();
  return { module, jobs: module.get(ComplianceJobsService), notifications };
}

let a: Instance;
let b: Instance;
let db: DataSource;

beforeAll(async () => {
  await dropDatabase(jobsDbUrl);
  await migrateAll(jobsDbUrl);
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  db = a.module.get(DataSource);
});
afterAll(async () => {
  await Promise.all([a?.module.close(), b?.module.close()]);
  if (!process.env.KEEP_TEST_DB) await dropDatabase(jobsDbUrl);
});

/**
 * An org requiring MFA since `since` with `graceHours`, and `n` members created an hour before,
 * materialized by the rollout's own chunk statement (stored state `pending` or `non_compliant`).
 */
async function orgWithMembers(n: number, since: Date, graceHours: number): Promise<{ orgId: string; ids: string[] }> {
  const orgId = randomUUID();
  await db.query(
    `INSERT INTO accounts.org_policies (org_id, version, require_mfa, grace_period_hours, allowed_methods, required_since, policy_updated_at, updated_at)
     VALUES ($1, 1, true, $2, '{totp,sms}', $3, $3, $3)`,
    [orgId, graceHours, since],
  );
  const rows: Array<{ id: string }> = await db.query(
    `INSERT INTO accounts.accounts (org_id, email, created_at)
     SELECT $1::uuid, 'm' || i || '-' || $1::text || '@example.test', $2::timestamptz - interval '1 hour' FROM generate_series(1, $3::int) i RETURNING id`,
    [orgId, since, n],
  );
  const policy = await a.module.get(OrgPolicyRepository).get(orgId);
  const saved = clock.at;
  await a.module.get(RolloutMaterializerRepository).materializeChunk(orgId, policy, '00000000-0000-0000-0000-000000000000', 100_000);
  clock.at = saved;
  return { orgId, ids: rows.map((r) => r.id).sort() };
}

async function storedStates(orgId: string): Promise<Record<string, number>> {
  const rows: Array<{ enforcement_state: string; n: number }> = await db.query(
    `SELECT enforcement_state, count(*)::int AS n FROM accounts.accounts WHERE org_id = $1 GROUP BY 1`,
    [orgId],
  );
  return Object.fromEntries(rows.map((r) => [r.enforcement_state, r.n]));
}

/** Far from the real time, so nothing else running on the database sees these deadlines move. */
function farFuture(): Date {
  return new Date(Date.now() + 5 * 365 * 24 * HOUR + Math.floor(Math.random() * 1000) * HOUR);
}

describe('materialize-deadlines', () => {
  it('stores non_compliant once the deadline passed, and the report says so', async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(10, since, 48);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1 WHERE id = $1`, [ids[0]]);
    await db.query(`UPDATE accounts.accounts SET exempt_until = $2 WHERE id = $1`, [ids[1], new Date(since.getTime() + 1000 * HOUR)]);
    expect(await storedStates(orgId)).toEqual({ pending: 10 });

    clock.at = new Date(since.getTime() + 47 * HOUR);
    await a.jobs.run(Jobs.MaterializeDeadlines);
    expect(await storedStates(orgId)).toEqual({ pending: 10 });

    clock.at = new Date(since.getTime() + 48 * HOUR);
    const outcome = await a.jobs.run(Jobs.MaterializeDeadlines);
    expect(outcome.changed).toBeGreaterThanOrEqual(8);
    // the one with a device and the exempt one are not non_compliant; chunks of 7 covered all 8
    expect(await storedStates(orgId)).toEqual({ pending: 2, non_compliant: 8 });
    const page = await a.module.get(ComplianceReportService).page(orgId, 100);
    const byState = page.items.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.state]: (acc[r.state] ?? 0) + 1 }), {});
    expect(byState).toEqual({ compliant: 1, exempt: 1, non_compliant: 8 });

    // a second run finds nothing of this org left to do
    await a.jobs.run(Jobs.MaterializeDeadlines);
    expect(await storedStates(orgId)).toEqual({ pending: 2, non_compliant: 8 });
  });

  it('publishes its run on /metrics', async () => {
    clock.at = farFuture();
    await a.jobs.run(Jobs.MaterializeDeadlines);
    const text = await a.module.get(Metrics).registry.metrics();
    expect(text).toMatch(/compliance_job_last_run_timestamp_seconds\{job="materialize-deadlines",service="account-service"\} \d+/);
    expect(text).toContain('compliance_job_duration_seconds{job="materialize-deadlines"');
    expect(text).toContain('compliance_job_accounts_changed_total{job="materialize-deadlines"');
  });
});

describe('expire-exemptions', () => {
  it('moves an ended exemption to the state the rule gives now', async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(3, since, 10);
    await db.query(`UPDATE accounts.accounts SET exempt_until = $2, enforcement_state = 'exempt' WHERE org_id = $1`, [
      orgId,
      new Date(since.getTime() + 20 * HOUR),
    ]);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1 WHERE id = $1`, [ids[0]]);

    clock.at = new Date(since.getTime() + 19 * HOUR);
    await a.jobs.run(Jobs.ExpireExemptions);
    expect(await storedStates(orgId)).toEqual({ exempt: 3 });

    clock.at = new Date(since.getTime() + 20 * HOUR);
    await a.jobs.run(Jobs.ExpireExemptions);
    expect(await storedStates(orgId)).toEqual({ compliant: 1, non_compliant: 2 });
  });
});

describe('send-reminders', () => {
  it('reminds each pending member once per offset, across runs', async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(9, since, 200);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1 WHERE id = $1`, [ids[0]]);

    clock.at = new Date(since.getTime() + 10 * HOUR); // deadline in 190 h: no offset yet
    await a.jobs.run(Jobs.SendReminders);
    expect(a.notifications.remindedIn(orgId)).toEqual([]);

    clock.at = new Date(since.getTime() + 40 * HOUR); // deadline in 160 h: the 168 h reminder
    await a.jobs.run(Jobs.SendReminders);
    await a.jobs.run(Jobs.SendReminders);
    expect(a.notifications.remindedIn(orgId).sort()).toEqual(ids.slice(1));
    expect(a.notifications.reminders.filter((r) => r.orgId === orgId).every((r) => r.offsetHours === 168)).toBe(true);

    clock.at = new Date(since.getTime() + 180 * HOUR); // deadline in 20 h: the 24 h reminder, once
    await a.jobs.run(Jobs.SendReminders);
    await a.jobs.run(Jobs.SendReminders);
    const reminders = a.notifications.reminders.filter((r) => r.orgId === orgId);
    expect(
      reminders
        .filter((r) => r.offsetHours === 24)
        .flatMap((r) => r.accountIds)
        .sort(),
    ).toEqual(ids.slice(1));
    // chunks of 7 accounts: one notifier job per chunk, never one per member
    expect(reminders.length).toBeLessThanOrEqual(4);
  });
});

describe('send-reminders, one walk for every offset', () => {
  it('gives a member first seen inside the smallest offset that reminder only, and two orgs their own offsets', async () => {
    const since = farFuture();
    const late = await orgWithMembers(3, since, 30); // deadline in 20 h at the run: 24 h only, never 168 h
    const early = await orgWithMembers(2, new Date(since.getTime() + 90 * HOUR), 100); // deadline in 180 h: none; then 160 h
    clock.at = new Date(since.getTime() + 10 * HOUR);
    await a.jobs.run(Jobs.SendReminders);
    // each member once, with its offset (how the walk's chunks split them into notifier jobs is not the point)
    const sent = (orgId: string) =>
      a.notifications.reminders
        .filter((r) => r.orgId === orgId)
        .flatMap((r) => r.accountIds.map((id) => `${r.offsetHours} ${id}`))
        .sort();
    const each = (offset: number, ids: string[]) => ids.map((id) => `${offset} ${id}`).sort();
    expect(sent(late.orgId)).toEqual(each(24, late.ids));
    expect(sent(early.orgId)).toEqual([]);
    clock.at = new Date(since.getTime() + 30 * HOUR);
    await a.jobs.run(Jobs.SendReminders);
    expect(sent(late.orgId)).toEqual(each(24, late.ids)); // its deadline passed: nothing more
    expect(sent(early.orgId)).toEqual(each(168, early.ids));
  });
});

describe('send-reminders while a rollout walks', () => {
  it('gives way to an active rollout job (the next run walks), but not once its last full walk is too old', async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(3, since, 30);
    clock.at = new Date(since.getTime() + 10 * HOUR); // deadline in 20 h: the 24 h reminder
    // a rollout walking in some instance: a job held active on the policy-rollouts queue
    const jobQueues = a.module.get(JobQueues);
    const prefix = jobQueues.prefixOf(Queues.PolicyRollouts);
    const connection = { url: env.REDIS_URL, maxRetriesPerRequest: null };
    const queue = new Queue(Queues.PolicyRollouts, { connection, prefix });
    let release = () => undefined as void;
    const held = new Promise<void>((res) => (release = res));
    const worker = new Worker(Queues.PolicyRollouts, () => held, { connection, prefix });
    try {
      const job = await queue.add('test-walk', {});
      for (let waited = 0; (await queue.getActiveCount()) === 0; waited += 20) {
        if (waited > 10_000) throw new Error('the rollout job never became active');
        await new Promise((res) => setTimeout(res, 20));
      }
      expect((await a.jobs.run(Jobs.SendReminders)).changed).toBe(0);
      expect(a.notifications.remindedIn(orgId)).toEqual([]);
      // deferred since its boot for longer than the bound: it walks, rollout or not
      const instance = a.jobs as unknown as { remindersWalkedAt: number };
      const walkedAt = instance.remindersWalkedAt;
      instance.remindersWalkedAt = Date.now() - REMINDERS_DEFER_AT_MOST_MS - 1;
      try {
        await b.jobs.run(Jobs.SendReminders); // b gives way too (its own bound is fresh)
        expect(a.notifications.remindedIn(orgId)).toEqual([]);
        expect(b.notifications.remindedIn(orgId)).toEqual([]);
        await a.jobs.run(Jobs.SendReminders);
        expect(a.notifications.remindedIn(orgId).sort()).toEqual(ids);
      } finally {
        instance.remindersWalkedAt = walkedAt;
      }
      // the rollout done: the next run walks
      release();
      await worker.close();
      expect(await job.getState()).toBe('completed');
      await b.jobs.run(Jobs.SendReminders);
      expect(b.notifications.remindedIn(orgId)).toEqual([]); // a reminded them already: once
    } finally {
      release();
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });
});

describe('two instances ticking together', () => {
  it('do the work once', async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(30, since, 100);
    clock.at = new Date(since.getTime() + 90 * HOUR);
    await Promise.all([
      a.jobs.run(Jobs.SendReminders),
      b.jobs.run(Jobs.SendReminders),
      a.jobs.run(Jobs.SendReminders),
      b.jobs.run(Jobs.SendReminders),
    ]);
    const reminded = [...a.notifications.remindedIn(orgId), ...b.notifications.remindedIn(orgId)].sort();
    expect(reminded).toEqual(ids);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM accounts.reminders_sent WHERE org_id = $1`, [orgId]);
    expect(n).toBe(30);

    clock.at = new Date(since.getTime() + 101 * HOUR);
    await Promise.all([a.jobs.run(Jobs.MaterializeDeadlines), b.jobs.run(Jobs.MaterializeDeadlines)]);
    expect(await storedStates(orgId)).toEqual({ non_compliant: 30 });
  });

  it('a run that finds the lock held leaves the tick to its holder', async () => {
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(`SELECT pg_advisory_xact_lock(hashtext('compliance-job:' || $1))`, [Jobs.MaterializeDeadlines]);
      expect(await b.jobs.run(Jobs.MaterializeDeadlines)).toEqual({ job: Jobs.MaterializeDeadlines, changed: 0, skipped: true });
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('register one scheduler per job, whoever registers', async () => {
    const sa = a.module.get(ComplianceScheduler);
    const sb = b.module.get(ComplianceScheduler);
    await Promise.all([sa.upsertSchedulers(), sb.upsertSchedulers(), sa.upsertSchedulers()]);
    const schedulers = await sa.queue.getJobSchedulers();
    const ours = schedulers.filter((s) => String(s.key).startsWith('compliance-'));
    expect(ours.map((s) => s.key).sort()).toEqual(
      [Jobs.ExpireExemptions, Jobs.MaterializeDeadlines, Jobs.ReconcilePolicyVersions, Jobs.SendReminders, Jobs.SnapshotCompliance]
        .map(schedulerId)
        .sort(),
    );
    for (const s of ours) await sa.queue.removeJobScheduler(s.key);
  });
});

describe('reconcile-policy-versions', () => {
  it("heals a member forced behind its org's version", async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(5, since, 24);
    await db.query(
      `UPDATE accounts.accounts SET policy_version = 0, enforcement_state = NULL, required_since = NULL, grace_deadline = NULL WHERE id = $1`,
      [ids[2]],
    );
    clock.at = new Date(since.getTime() + HOUR);
    const outcome = await a.jobs.run(Jobs.ReconcilePolicyVersions);
    expect(outcome.changed).toBeGreaterThanOrEqual(1);
    const [row] = await db.query(`SELECT policy_version, enforcement_state FROM accounts.accounts WHERE id = $1`, [ids[2]]);
    expect(row).toEqual({ policy_version: 1, enforcement_state: 'pending' });
    // it was "newly required": it gets the notice a rollout would have sent
    expect(a.notifications.notices.filter((x) => x.orgId === orgId).flatMap((x) => x.accountIds)).toEqual([ids[2]]);
  });
});

describe('snapshot-compliance and history', () => {
  it("stores today's figures per org, counted with the shared rule, and serves them oldest first", async () => {
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(4, since, 24);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1 WHERE id = $1`, [ids[0]]);
    clock.at = new Date(since.getTime() + 25 * HOUR);
    await a.jobs.run(Jobs.SnapshotCompliance);
    clock.at = new Date(since.getTime() + 49 * HOUR);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1 WHERE id = $1`, [ids[1]]);
    await Promise.all([a.jobs.run(Jobs.SnapshotCompliance), b.jobs.run(Jobs.SnapshotCompliance)]);

    const history = await a.module.get(ComplianceReportService).history(orgId, 30);
    expect(history.items).toHaveLength(2);
    expect(history.items[0]).toEqual({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      total: 4,
      byState: { not_required: 0, pending: 0, compliant: 1, non_compliant: 3, exempt: 0 },
      compliantPercent: 25,
    });
    expect(history.items[1]).toMatchObject({ total: 4, byState: { compliant: 2, non_compliant: 2 }, compliantPercent: 50 });
    expect(history.items[0].date < history.items[1].date).toBe(true);
    expect((await a.module.get(ComplianceReportService).history(orgId, 1)).items).toHaveLength(1);
  });
});

describe('per effective deadline (groups)', () => {
  it('deadlines, reminders, exemptions and the snapshot follow a group policy, through the shared SQL', async () => {
    // the org requires with 1,000 h of grace; a group of 3 of its 6 members requires with 30 h
    const since = farFuture();
    const { orgId, ids } = await orgWithMembers(6, since, 1000);
    const [{ id: groupId }] = await db.query(`INSERT INTO accounts.groups (org_id, name) VALUES ($1, 'admins') RETURNING id`, [orgId]);
    const members = ids.slice(0, 3);
    await db.query(`INSERT INTO accounts.group_members (group_id, account_id, org_id) SELECT $1, x, $2 FROM unnest($3::uuid[]) x`, [
      groupId,
      orgId,
      members,
    ]);
    await new GroupPolicyRepository(db).applyIfNewer({
      orgId,
      groupId,
      version: 1,
      requireMfa: true,
      gracePeriodHours: 30,
      allowedMethods: ['totp'],
      maxMfaAgeSeconds: null,
      updatedAt: since.toISOString(),
    });
    // one of the group is exempt for 50 h
    await db.query(`UPDATE accounts.accounts SET exempt_until = $2 WHERE id = $1`, [members[2], new Date(since.getTime() + 50 * HOUR)]);
    const refresh = new SnapshotRefreshRepository(db);
    await refresh.accounts(db, orgId, ids);
    expect(await storedStates(orgId)).toEqual({ pending: 5, exempt: 1 });

    // the 24 h reminder goes to the group's two (deadline since + 30 h), not to the others (since + 1,000 h)
    clock.at = new Date(since.getTime() + 8 * HOUR);
    await a.jobs.run(Jobs.SendReminders);
    expect(a.notifications.remindedIn(orgId).sort()).toEqual(members.slice(0, 2).sort());

    // the group's deadline passes: its pending members are stored non_compliant, the others stay pending
    clock.at = new Date(since.getTime() + 30 * HOUR);
    await a.jobs.run(Jobs.MaterializeDeadlines);
    expect(await storedStates(orgId)).toEqual({ pending: 3, non_compliant: 2, exempt: 1 });

    // the exemption ends after the group's deadline: non_compliant at once
    clock.at = new Date(since.getTime() + 50 * HOUR);
    await a.jobs.run(Jobs.ExpireExemptions);
    expect(await storedStates(orgId)).toEqual({ pending: 3, non_compliant: 3 });

    // the daily snapshot and the report count with the same rule
    await a.jobs.run(Jobs.SnapshotCompliance);
    const [day] = (await a.module.get(ComplianceReportService).history(orgId, 1)).items;
    expect(day).toMatchObject({ total: 6, byState: { pending: 3, non_compliant: 3 } });
    const page = await a.module.get(ComplianceReportService).page(orgId, 100);
    expect(
      page.items
        .filter((r) => r.groups?.[0] === groupId)
        .map((r) => r.accountId)
        .sort(),
    ).toEqual([...members].sort());
    expect(
      page.items
        .filter((r) => r.state === 'non_compliant')
        .every((r) => r.graceDeadline === new Date(since.getTime() + 30 * HOUR).toISOString()),
    ).toBe(true);
  });
});
