import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Apps, type AuditEventJob, Jobs, Queues, type RolloutProgressJob } from '@mfa/contracts';
import { generateInternalKey, InternalKey } from '@mfa/crypto';
import { TEST_REDIS_URL, waitFor } from '@mfa/testing';
import { JobQueues } from '../job-queues';
import { checkJobHandlers } from './job-handlers';
import { JobsModule } from './jobs.module';
import { type JobContext, OnJob } from './on-job.decorator';

const key = new InternalKey(generateInternalKey());

describe('checkJobHandlers (the boot check)', () => {
  const org = [
    { name: Jobs.RolloutProgress, owner: 'A.progress' },
    { name: Jobs.RecordAuditEvent, owner: 'B.audit' },
  ];

  it('passes when every job of the queues the app owns has exactly one handler', () => {
    expect(() => checkJobHandlers(Apps.Org, org)).not.toThrow();
  });

  it('fails for a missing handler, naming the job and its queue', () => {
    expect(() => checkJobHandlers(Apps.Org, org.slice(1))).toThrow('"rollout-progress" of queue rollout-progress has no handler');
  });

  it('fails for a duplicate handler, naming both', () => {
    expect(() => checkJobHandlers(Apps.Org, [...org, { name: Jobs.RecordAuditEvent, owner: 'C.again' }])).toThrow(
      '"record-audit-event" has 2 handlers: B.audit, C.again',
    );
  });

  it("fails for a job the registry does not know, and for another app's queue", () => {
    expect(() => checkJobHandlers(Apps.Org, [...org, { name: 'no-such-job', owner: 'D.x' }])).toThrow(
      'D.x handles "no-such-job", a job the registry does not know',
    );
    expect(() => checkJobHandlers(Apps.Org, [...org, { name: Jobs.SendSms, owner: 'E.sms' }])).toThrow(
      'E.sms handles "send-sms" of queue sms-delivery, which mfa-service consumes',
    );
  });
});

@Injectable()
class OrgHandlers {
  readonly progress: RolloutProgressJob[] = [];

  @OnJob(Jobs.RolloutProgress)
  async rolloutProgress(p: RolloutProgressJob, ctx: JobContext): Promise<void> {
    expect(ctx.stopping.aborted).toBe(false);
    this.progress.push(p);
  }

  @OnJob(Jobs.RecordAuditEvent)
  async audit(_e: AuditEventJob): Promise<void> {}
}

@Injectable()
class AnotherAuditHandler {
  @OnJob(Jobs.RecordAuditEvent)
  async audit(_e: AuditEventJob): Promise<void> {}
}

async function boot(...providers: Array<new (...args: never[]) => object>): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [JobsModule.forApp({ app: Apps.Org, redisUrl: TEST_REDIS_URL, internalKey: key })],
    providers,
  }).compile();
  await module.init();
  return module;
}

describe('JobsModule (real Redis)', () => {
  it('refuses to start with a duplicate handler, or with a job of its queues unhandled', async () => {
    await expect(boot(OrgHandlers, AnotherAuditHandler)).rejects.toThrow(
      '"record-audit-event" has 2 handlers: OrgHandlers.audit, AnotherAuditHandler.audit',
    );
    await expect(boot(AnotherAuditHandler)).rejects.toThrow('"rollout-progress" of queue rollout-progress has no handler');
  });

  it('runs valid jobs; fails a job with bad data for good, naming the fields, and keeps working', async () => {
    const module = await boot(OrgHandlers);
    try {
      const jobs = module.get(JobQueues);
      const handlers = module.get(OrgHandlers);
      const good: RolloutProgressJob = {
        rolloutId: randomUUID(),
        orgId: randomUUID(),
        policyVersion: 2,
        status: 'running',
        total: 10,
        applied: 3,
        completedAt: null,
      };
      // signed by the platform, but not a RolloutProgressJob: a bug or an old producer
      const bad = { ...good, rolloutId: randomUUID(), status: 'sideways', total: -1 } as unknown as RolloutProgressJob;
      const badId = await jobs.add(Jobs.RolloutProgress, bad, {
        attempts: 5,
        backoff: { type: 'fixed', delay: 10 },
        removeOnFail: { count: 10 },
      });
      await jobs.add(Jobs.RolloutProgress, good);
      await waitFor(() => handlers.progress.some((p) => p.rolloutId === good.rolloutId));
      const queue = jobs.queue(Queues.RolloutProgress);
      await waitFor(async () => (await queue.getJobState(badId!)) === 'failed');
      const failed = (await queue.getJob(badId!))!;
      expect(failed.attemptsMade).toBe(1); // no retries: a retry cannot fix the data
      expect(failed.failedReason).toContain('invalid rollout-progress job');
      expect(failed.failedReason).toContain('status: status must be one of the following values');
      expect(failed.failedReason).toContain('total: total must not be less than 0');
      expect(handlers.progress.some((p) => p.rolloutId === bad.rolloutId)).toBe(false);
      await failed.remove();
    } finally {
      await module.close();
    }
  });
});
