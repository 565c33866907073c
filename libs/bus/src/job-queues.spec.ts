import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { type Job, Queue } from 'bullmq';
import { Jobs, type QueueName, Queues } from '@mfa/contracts';
import { generateInternalKey, InternalKey } from '@mfa/crypto';
import { TEST_REDIS_URL, testRedis, waitFor } from '@mfa/testing';
import { JOB_SIG_FIELD, JOB_TRACEPARENT_FIELD, JobQueues, signedJobData, splitTraceparent, verifiedJobData } from './job-queues';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const key = new InternalKey(generateInternalKey());

describe('signedJobData / verifiedJobData', () => {
  const data = { orgId: 'o1', accountIds: ['a', 'b'], at: new Date(0).toISOString() };

  it('round-trips through JSON (as Redis stores it) and gives the data back without the signature', () => {
    const stored = JSON.parse(JSON.stringify(signedJobData(key, 'q', 'n', data)));
    expect(stored[JOB_SIG_FIELD]).toMatch(/^[0-9a-f]{64}$/);
    expect(verifiedJobData(key, 'q', { name: 'n', data: stored })).toEqual(data);
  });

  it('refuses unsigned, forged, tampered, renamed, moved and non-object jobs', () => {
    const stored = signedJobData(key, 'q', 'n', data);
    const other = new InternalKey(generateInternalKey());
    expect(() => verifiedJobData(key, 'q', { name: 'n', data })).toThrow('unsigned job');
    expect(() => verifiedJobData(key, 'q', { name: 'n', data: signedJobData(other, 'q', 'n', data) })).toThrow('bad signature');
    expect(() => verifiedJobData(key, 'q', { name: 'n', data: { ...stored, orgId: 'o2' } })).toThrow('bad signature');
    expect(() => verifiedJobData(key, 'q', { name: 'm', data: stored })).toThrow('bad signature');
    expect(() => verifiedJobData(key, 'r', { name: 'n', data: stored })).toThrow('bad signature');
    for (const bad of [null, 'text', 42, [stored]])
      expect(() => verifiedJobData(key, 'q', { name: 'n', data: bad })).toThrow('unsigned job');
  });
});

describe('traceparent in job data', () => {
  const data = { orgId: 'o1' };

  it('is signed with the payload and taken out before the payload is validated or handled', () => {
    const stored = JSON.parse(JSON.stringify(signedJobData(key, 'q', 'n', data, TP)));
    expect(stored[JOB_TRACEPARENT_FIELD]).toBe(TP);
    const verified = verifiedJobData<Record<string, unknown>>(key, 'q', { name: 'n', data: stored });
    expect(splitTraceparent(verified)).toEqual({ payload: data, traceparent: TP, invalid: false });
    // changing or adding it breaks the signature: nobody grafts a job onto a trace
    const other = TP.replace('4bf9', '0000');
    expect(() => verifiedJobData(key, 'q', { name: 'n', data: { ...stored, traceparent: other } })).toThrow('bad signature');
    const plain = signedJobData(key, 'q', 'n', data);
    expect(() => verifiedJobData(key, 'q', { name: 'n', data: { ...plain, traceparent: TP } })).toThrow('bad signature');
  });

  it('a signed but invalid one is dropped and reported, never handed to the payload check', () => {
    expect(splitTraceparent({ ...data, traceparent: 'x'.repeat(10_000) })).toEqual({ payload: data, invalid: true });
    expect(splitTraceparent({ ...data, traceparent: 42 })).toEqual({ payload: data, invalid: true });
    expect(splitTraceparent(data)).toEqual({ payload: data, invalid: false });
  });

  it('refuses payloads that already carry the field', () => {
    expect(() => signedJobData(key, 'q', 'n', { ...data, traceparent: TP })).toThrow('already has a "traceparent" field');
  });
});

describe('JobQueues (real Redis)', () => {
  const queueName = `test-signed-${randomUUID()}` as QueueName;
  let jobs: JobQueues;
  let raw: Queue;
  const connection = testRedis({ maxRetriesPerRequest: null });

  beforeAll(() => {
    jobs = new JobQueues(TEST_REDIS_URL, key, 'job-queues-spec');
    // the queue's own prefix: on a cluster each queue has its hash tag
    raw = new Queue(queueName, { connection, prefix: jobs.prefixOf(queueName) });
  });
  afterAll(async () => {
    await raw.obliterate({ force: true }).catch(() => undefined);
    await raw.close();
    await jobs.close();
    connection.disconnect();
  });

  it('runs only signed jobs, fails the others for good with a warning, and keeps working', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const seen: unknown[] = [];
    jobs.work(queueName, async (job: Job) => {
      seen.push(job.data);
    });
    const opts = { attempts: 5, backoff: { type: 'fixed', delay: 10 } };
    const unsigned = await raw.add('n', { v: 1 }, opts);
    const forged = await raw.add('n', { v: 2, sig: '0'.repeat(64) }, opts);
    const text = await raw.add('n', 'not an object', opts);
    const good = await raw.add('n', signedJobData(key, queueName, 'n', { v: 3 }), opts);
    await waitFor(async () => (await raw.getJobState(good.id!)) === 'completed' || (await raw.getJobState(good.id!)) === 'unknown');
    for (const j of [unsigned, forged, text]) {
      await waitFor(async () => (await raw.getJobState(j.id!)) === 'failed');
      const failed = (await raw.getJob(j.id!))!;
      expect(failed.attemptsMade).toBe(1); // no retries
      expect(failed.failedReason).toMatch(/unsigned job|bad signature/);
    }
    expect(seen).toEqual([{ v: 3 }]); // the processor sees the data without the signature
    await waitFor(() => warn.mock.calls.filter(([m]) => String(m).includes('refused, not processed')).length === 3);
    warn.mockRestore();
  });

  it('promotes held (delayed) jobs by id, and leaves a job that is not delayed or is gone as it is', async () => {
    // a queue no worker takes from: the promoted job stays waiting
    const name = `test-promote-${randomUUID()}` as QueueName;
    const queue = new Queue(name, { connection, prefix: jobs.prefixOf(name) });
    try {
      const held = await queue.add('n', { v: 1 }, { delay: 600_000 });
      const due = await queue.add('n', { v: 2 });
      await jobs.promote(name, [held.id!, due.id!, 'no-such-job']);
      expect(await queue.getJobState(held.id!)).toBe('waiting');
      expect(await queue.getJobState(due.id!)).toBe('waiting');
      expect(await queue.getJobState('no-such-job')).toBe('unknown');
      // only its id was needed: the job keeps its data
      expect((await queue.getJob(held.id!))!.data).toEqual({ v: 1 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('signs the jobs it adds, and the template of a repeatable job', async () => {
    const id = await jobs.add(Jobs.RolloutProgress, {
      rolloutId: randomUUID(),
      orgId: randomUUID(),
      policyVersion: 1,
      status: 'running',
      total: 1,
      applied: 0,
      completedAt: null,
    });
    const progress = jobs.queue(Queues.RolloutProgress);
    const job = (await progress.getJob(id!))!;
    expect(() => verifiedJobData(key, Queues.RolloutProgress, job)).not.toThrow();
    await job.remove();

    const schedulerId = `test-${randomUUID()}`;
    const compliance = jobs.queue(Queues.Compliance);
    await jobs.upsertScheduler(schedulerId, { every: 60_000 }, { name: Jobs.SnapshotCompliance, data: {} });
    try {
      const next = await waitFor(async () =>
        (await compliance.getJobs(['delayed', 'waiting', 'prioritized'])).find((j) => j.repeatJobKey === schedulerId),
      );
      expect(verifiedJobData(key, Queues.Compliance, next)).toEqual({});
    } finally {
      await compliance.removeJobScheduler(schedulerId);
      for (const j of await compliance.getJobs(['delayed', 'waiting', 'prioritized'])) if (j.repeatJobKey === schedulerId) await j.remove();
    }
  });
});
