import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Jobs,
  MAX_ACCOUNTS_PER_JOB,
  type MaterializePolicyJob,
  type PolicyRequiredNoticeJob,
  Queues,
  type RolloutStatus,
  MIN_UUID,
} from '@mfa/contracts';
import { keysetChunks } from '@mfa/database';
import { AccountEnforcementRepository } from './account-enforcement.repository';
import { JobQueues } from '@mfa/bus';
import { ENFORCEMENT_OPTIONS, type EnforcementOptions } from './enforcement.options';
import { OrgPolicyRepository } from './org-policy.repository';
import { type ChunkResult, RolloutMaterializerRepository, SnapshotRefreshRepository } from './rollout-materializer.repository';
import { GroupPolicyRepository } from './group-policy.repository';

/**
 * Notices are queued per chunk but held (delayed) until the walk ends, then promoted: the
 * notifier's inserts would otherwise compete with the walk's UPDATEs for the same disk and CPU
 * (docs/benchmarks.md, P2). The delay is only the fallback of a walk that dies before promoting.
 */
export const NOTICE_HOLD_MS = 10 * 60_000;

export interface MaterializeOutcome {
  completed: boolean;
  applied: number;
  chunks: number;
}

/**
 * Writes the org's current policy onto every member row: keyset chunks by (org_id, id), one
 * set-based UPDATE each, progress and one notice job per chunk. Resumable from Postgres alone:
 * rows already at the version are skipped, so a crash, a restart or a lost job just walks again.
 */
@Injectable()
export class RolloutMaterializerService {
  private readonly logger = new Logger(RolloutMaterializerService.name);

  constructor(
    private readonly chunks: RolloutMaterializerRepository,
    private readonly policies: OrgPolicyRepository,
    private readonly accounts: AccountEnforcementRepository,
    private readonly queues: JobQueues,
    private readonly groupPolicies: GroupPolicyRepository,
    private readonly snapshots: SnapshotRefreshRepository,
    @Inject(ENFORCEMENT_OPTIONS) private readonly options: EnforcementOptions,
  ) {}

  /** `shouldStop` is asked between chunks: on shutdown the walk stops and the job is handed back. */
  async run(job: MaterializePolicyJob, shouldStop: () => boolean = () => false): Promise<MaterializeOutcome> {
    if (job.groupId) return this.runGroup(job as MaterializePolicyJob & { groupId: string }, shouldStop);
    // the org's CURRENT policy: a superseded rollout completes by reaching a newer version
    const policy = await this.policies.get(job.orgId);
    if (policy.version < job.policyVersion)
      throw new Error(`org ${job.orgId} holds policy v${policy.version}, job is for v${job.policyVersion}`);
    const outcome = await this.walk(
      job,
      () => this.accounts.countOrg(job.orgId),
      { orgId: job.orgId, policyVersion: policy.version },
      (after, size) => this.chunks.materializeChunk(job.orgId, policy, after, size),
      shouldStop,
    );
    if (outcome.completed)
      this.logger.log(
        `org ${job.orgId} rollout ${job.rolloutId}: ${outcome.applied} accounts at v${policy.version} in ${outcome.chunks} chunks`,
      );
    return outcome;
  }

  /**
   * A group policy's rollout: the same walk over the group's members only (keyset on
   * group_members), each chunk one set-based refresh of their snapshot under the effective
   * policy. A group deleted meanwhile completes at once (its policy no longer applies to anyone).
   */
  private async runGroup(job: MaterializePolicyJob & { groupId: string }, shouldStop: () => boolean): Promise<MaterializeOutcome> {
    const policy = await this.groupPolicies.get(job.orgId, job.groupId);
    if (!policy) {
      await this.report(job, 'completed', 0, 0, new Date().toISOString());
      return { completed: true, applied: 0, chunks: 0 };
    }
    if (policy.version < job.policyVersion)
      throw new Error(`group ${job.groupId} holds policy v${policy.version}, job is for v${job.policyVersion}`);
    const outcome = await this.walk(
      job,
      () => this.groupPolicies.memberCount(job.groupId),
      { orgId: job.orgId, groupId: job.groupId, policyVersion: policy.version },
      (after, size) => this.snapshots.groupChunk(job.orgId, job.groupId, after, size),
      shouldStop,
    );
    if (outcome.completed)
      this.logger.log(
        `group ${job.groupId} rollout ${job.rolloutId}: ${outcome.applied} members at v${policy.version} in ${outcome.chunks} chunks`,
      );
    return outcome;
  }

  /**
   * The walk of both: keyset chunks of `nextChunk`, progress and the shutdown check between
   * chunks, a held notice per chunk for the newly required (`notice` plus their ids), all
   * promoted when the walk ends or stops, then the completed report. The members are counted
   * (`count`, for the rollout's `total`) beside the first chunk, not before it: the PUT no
   * longer counts them, and the walk does not wait for the count.
   */
  private async walk(
    job: MaterializePolicyJob,
    count: () => Promise<number>,
    notice: Omit<PolicyRequiredNoticeJob, 'accountIds'>,
    nextChunk: (after: string, size: number) => Promise<ChunkResult>,
    shouldStop: () => boolean,
  ): Promise<MaterializeOutcome> {
    const size = this.options.chunkSize;
    const counted = count();
    // a walk that stops or fails before it reads the count must not leave it unhandled
    counted.catch(() => undefined);
    let total = 0;
    let applied = 0;
    let chunks = 0;
    let stopped = false;
    const held: string[] = [];
    const walk = keysetChunks(MIN_UUID, size, async (after: string) => {
      // between chunks: progress so far, then the shutdown check
      if (chunks > 0) {
        if (chunks === 1) total = await counted;
        total = Math.max(total, applied);
        await this.report(job, 'running', total, applied);
      }
      if ((stopped = shouldStop())) return null;
      const c = await nextChunk(after, size);
      return { ...c, last: c.lastId };
    });
    for await (const chunk of walk) {
      chunks++;
      applied += chunk.scanned;
      // a notice job names at most MAX_ACCOUNTS_PER_JOB accounts (its payload check refuses more,
      // for good): a chunk bigger than that is split
      for (let i = 0; i < chunk.newlyRequired.length; i += MAX_ACCOUNTS_PER_JOB) {
        const accountIds = chunk.newlyRequired.slice(i, i + MAX_ACCOUNTS_PER_JOB);
        const id = await this.queues.add(Jobs.PolicyRequiredNotice, { ...notice, accountIds }, { delay: NOTICE_HOLD_MS });
        if (id) held.push(id);
      }
    }
    await this.queues.promote(Queues.Notifications, held);
    if (stopped) return { completed: false, applied, chunks };
    // every row that exists now is at the version (or newer): that is the final total
    await this.report(job, 'completed', applied, applied, new Date().toISOString());
    return { completed: true, applied, chunks };
  }

  private async report(
    job: MaterializePolicyJob,
    status: RolloutStatus,
    total: number,
    applied: number,
    completedAt: string | null = null,
  ): Promise<void> {
    await this.queues.add(Jobs.RolloutProgress, {
      rolloutId: job.rolloutId,
      orgId: job.orgId,
      policyVersion: job.policyVersion,
      status,
      total,
      applied,
      completedAt,
    });
  }
}
