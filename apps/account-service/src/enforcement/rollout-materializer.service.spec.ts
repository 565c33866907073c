import type { JobQueues } from '@mfa/bus';
import { Jobs, MAX_ACCOUNTS_PER_JOB, MIN_UUID, Queues } from '@mfa/contracts';
import type { AccountEnforcementRepository } from './account-enforcement.repository';
import type { EnforcementOptions } from './enforcement.options';
import { defaultOrgPolicy } from './compute-enforcement';
import type { GroupPolicyRepository } from './group-policy.repository';
import type { OrgPolicyRepository } from './org-policy.repository';
import type { ChunkResult, RolloutMaterializerRepository, SnapshotRefreshRepository } from './rollout-materializer.repository';
import { NOTICE_HOLD_MS, RolloutMaterializerService } from './rollout-materializer.service';

const ORG = '0190c0de-0000-7000-8000-000000000001';
const ROLLOUT = '0190c0de-0000-7000-8000-000000000002';
const idOf = (i: number) => `0190c0de-0000-7000-8000-${String(i).padStart(12, '0')}`;

/** A walk over `chunks` (what each chunk statement answers), recording the jobs it queues. */
function walkOf(chunks: ChunkResult[], count: () => Promise<number>, chunkSize: number, onChunk: () => void = () => undefined) {
  const added: Array<{ name: string; data: Record<string, unknown>; delay?: number }> = [];
  const promoted: string[] = [];
  const afters: string[] = [];
  const queues = {
    add: async (name: string, data: Record<string, unknown>, opts: { delay?: number } = {}) => {
      added.push({ name, data, delay: opts.delay });
      return `job-${added.length}`;
    },
    promote: async (queue: string, ids: string[]) => {
      expect(queue).toBe(Queues.Notifications);
      promoted.push(...ids);
    },
  };
  const repo = {
    materializeChunk: async (_org: string, _policy: unknown, after: string) => {
      afters.push(after);
      onChunk();
      return chunks.shift() ?? { scanned: 0, updated: 0, lastId: null, newlyRequired: [] };
    },
  };
  const sut = new RolloutMaterializerService(
    repo as unknown as RolloutMaterializerRepository,
    { get: async () => ({ ...defaultOrgPolicy(ORG), version: 3, requireMfa: true }) } as unknown as OrgPolicyRepository,
    { countOrg: count } as unknown as AccountEnforcementRepository,
    queues as unknown as JobQueues,
    {} as GroupPolicyRepository,
    {} as SnapshotRefreshRepository,
    { chunkSize } as EnforcementOptions,
  );
  const run = () => sut.run({ orgId: ORG, rolloutId: ROLLOUT, policyVersion: 3 });
  return { run, added, promoted, afters };
}

describe(RolloutMaterializerService.name, () => {
  it('splits a chunk with more newly required members than one notice job may name, holds them all, promotes them at the end', async () => {
    const ids = Array.from({ length: 25_000 }, (_, i) => idOf(i + 1));
    const { run, added, promoted } = walkOf(
      [{ scanned: 25_000, updated: 25_000, lastId: ids.at(-1)!, newlyRequired: ids }],
      async () => 25_000,
      30_000,
    );
    expect(await run()).toEqual({ completed: true, applied: 25_000, chunks: 1 });
    const notices = added.filter((j) => j.name === Jobs.PolicyRequiredNotice);
    expect(notices.map((n) => (n.data.accountIds as string[]).length)).toEqual([MAX_ACCOUNTS_PER_JOB, MAX_ACCOUNTS_PER_JOB, 5_000]);
    expect(notices.flatMap((n) => n.data.accountIds as string[])).toEqual(ids);
    expect(notices.every((n) => n.delay === NOTICE_HOLD_MS && n.data.orgId === ORG && n.data.policyVersion === 3)).toBe(true);
    expect(promoted).toEqual(['job-1', 'job-2', 'job-3']);
  });

  it('counts the members beside the first chunk and reports that total with the progress after it', async () => {
    // the count answers only once the first chunk statement was sent: a walk waiting for the count first would never end
    let chunkSent!: () => void;
    const firstChunk = new Promise<void>((res) => (chunkSent = res));
    const { run, added, afters } = walkOf(
      [
        { scanned: 10, updated: 10, lastId: idOf(10), newlyRequired: [] },
        { scanned: 10, updated: 10, lastId: idOf(20), newlyRequired: [] },
        { scanned: 5, updated: 5, lastId: idOf(25), newlyRequired: [] },
      ],
      async () => {
        await firstChunk;
        return 25;
      },
      10,
      () => chunkSent(),
    );
    expect(await run()).toEqual({ completed: true, applied: 25, chunks: 3 });
    expect(afters).toEqual([MIN_UUID, idOf(10), idOf(20)]);
    const progress = added.filter((j) => j.name === Jobs.RolloutProgress).map((j) => [j.data.status, j.data.total, j.data.applied]);
    expect(progress).toEqual([
      ['running', 25, 10],
      ['running', 25, 20],
      ['completed', 25, 25],
    ]);
  });
});
