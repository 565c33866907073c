import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, utcDate } from '@mfa/clock';
import { JobQueues } from '@mfa/bus';
import { Jobs, MIN_UUID, Queues } from '@mfa/contracts';
import { keysetChunks } from '@mfa/database';
import { OrgPolicyRepository } from '../enforcement/org-policy.repository';
import { RolloutMaterializerRepository } from '../enforcement/rollout-materializer.repository';
import { ComplianceJobsRepository } from './compliance-jobs.repository';
import { ComplianceMetrics } from './compliance-metrics';
import { ComplianceNotifications } from './compliance-notifications';
import { COMPLIANCE_SETTINGS, type ComplianceSettings } from './compliance-settings';

export const ComplianceJobNames = [
  Jobs.MaterializeDeadlines,
  Jobs.ExpireExemptions,
  Jobs.SendReminders,
  Jobs.ReconcilePolicyVersions,
  Jobs.SnapshotCompliance,
] as const;
export type ComplianceJobName = (typeof ComplianceJobNames)[number];

export interface JobOutcome {
  job: ComplianceJobName;
  /** accounts (reminders: reminders sent; snapshots: orgs written) this run changed */
  changed: number;
  /** true when another instance held the job's lock: it does the work this tick */
  skipped: boolean;
}

/** Reminder rows for deadlines this far gone are deleted: they can never match again. */
const FORGET_REMINDERS_AFTER_MS = 30 * 86_400_000;

/**
 * The reminder walk stops for a running rollout (and the next tick walks again) only while its
 * last full walk in this instance is more recent than this: rollouts one after the other never
 * delay a reminder by more.
 */
export const REMINDERS_DEFER_AT_MOST_MS = 10 * 60_000;

/**
 * The scheduled compliance jobs. Each run walks the accounts in chunks, one set-based
 * statement per chunk in a transaction holding the job's advisory lock; a chunk that finds the
 * lock taken stops the run (another instance is on it). A handled row stops matching, so a run
 * is idempotent and a run that died half-way is finished by the next tick.
 */
@Injectable()
export class ComplianceJobsService {
  private readonly logger = new Logger(ComplianceJobsService.name);

  constructor(
    private readonly repo: ComplianceJobsRepository,
    private readonly policies: OrgPolicyRepository,
    private readonly materializer: RolloutMaterializerRepository,
    private readonly notifications: ComplianceNotifications,
    private readonly clock: Clock,
    private readonly metrics: ComplianceMetrics,
    private readonly queues: JobQueues,
    @Inject(COMPLIANCE_SETTINGS) private readonly settings: ComplianceSettings,
  ) {}

  /** When this instance last walked every required member for reminders (boot counts as one). */
  private remindersWalkedAt = Date.now();

  async run(job: ComplianceJobName): Promise<JobOutcome> {
    const started = Date.now();
    const now = this.clock.now();
    const result = await this.dispatch(job, now);
    const outcome = { job, changed: result ?? 0, skipped: result === null };
    if (!outcome.skipped) this.metrics.record(job, started, Date.now(), outcome.changed);
    if (outcome.changed > 0)
      this.logger.log({ job, changed: outcome.changed, ms: Date.now() - started, msg: `${job} changed ${outcome.changed}` });
    return outcome;
  }

  /** null: skipped, the lock was held elsewhere. */
  private dispatch(job: ComplianceJobName, now: Date): Promise<number | null> {
    switch (job) {
      case Jobs.MaterializeDeadlines:
        return this.untilDone(job, (tx) => this.repo.materializeDeadlines(tx, now, this.settings.chunkSize));
      case Jobs.ExpireExemptions:
        return this.untilDone(job, (tx) => this.repo.expireExemptions(tx, now, this.settings.chunkSize));
      case Jobs.SendReminders:
        return this.sendReminders(now);
      case Jobs.ReconcilePolicyVersions:
        return this.reconcilePolicyVersions(now);
      case Jobs.SnapshotCompliance:
        return this.snapshot(now);
    }
  }

  /** Chunks of an UPDATE whose handled rows stop matching: repeat until a chunk comes back short. */
  private async untilDone(job: string, chunk: Parameters<ComplianceJobsRepository['inLockedChunk']>[1]): Promise<number | null> {
    let total = 0;
    for (;;) {
      const n = (await this.repo.inLockedChunk(job, chunk)) as number | null;
      if (n === null) return total > 0 ? total : null;
      total += n;
      if (n < this.settings.chunkSize) return total;
    }
  }

  /**
   * One walk over the members MFA is required of, every offset at once: each member pending now
   * gets the reminder of the smallest offset its deadline is within, so a member who enters late
   * gets only the most urgent reminder (one pass, not one per offset: at 1,000,000 required
   * members each pass is 200 statements, and the tick ran them back to back under a rollout,
   * docs/benchmarks.md "P1a / P2e"). The notifier job of a chunk is queued before the chunk
   * commits: if queuing fails nothing is recorded and the next run tries again (at worst a crash
   * between the two sends one twice).
   *
   * The walk reads every required member of every org (at 2,000,000 that is 400 statements back
   * to back), so it gives way to a rollout walking in any instance (an active job on the
   * `policy-rollouts` queue): it stops between two chunks and the next tick walks again from the
   * start (what it sent is recorded; nobody is reminded twice). Reminders are hours ahead of
   * their deadline: a tick later is not late. Bounded by REMINDERS_DEFER_AT_MOST_MS.
   */
  private async sendReminders(now: Date): Promise<number | null> {
    const offsets = this.settings.reminderOffsetsHours;
    const mayDefer = Date.now() - this.remindersWalkedAt < REMINDERS_DEFER_AT_MOST_MS;
    let sent = 0;
    let locked = false;
    let deferred = false;
    // no offset configured: nobody is ever reminded, no walk
    const chunks = keysetChunks(
      { orgId: MIN_UUID, id: MIN_UUID },
      this.settings.chunkSize,
      async (after: { orgId: string; id: string }) => {
        if (mayDefer && (await this.rolloutWalking())) {
          deferred = true;
          return null;
        }
        const chunk = await this.repo.inLockedChunk(Jobs.SendReminders, async (tx) => {
          const c = await this.repo.reminderChunk(tx, now, offsets, after, this.settings.chunkSize);
          for (const group of c.sent) {
            await this.notifications.deadlineReminder({
              orgId: group.orgId,
              accountIds: group.accountIds,
              deadlines: group.deadlines,
              offsetHours: group.offsetHours,
            });
          }
          return c;
        });
        locked = chunk === null;
        return chunk;
      },
    );
    if (offsets.length > 0) for await (const chunk of chunks) sent += chunk.sent.reduce((n, g) => n + g.accountIds.length, 0);
    if (locked) return sent > 0 ? sent : null;
    if (deferred) {
      this.logger.log(`send-reminders gave way to a rollout after ${sent} reminders; the next tick walks again`);
      return sent;
    }
    this.remindersWalkedAt = Date.now();
    await this.repo.forgetOldReminders(new Date(now.getTime() - FORGET_REMINDERS_AFTER_MS));
    return sent;
  }

  /** Some instance is walking a rollout right now (one Redis read). */
  private async rolloutWalking(): Promise<boolean> {
    return (await this.queues.queue(Queues.PolicyRollouts).getActiveCount()) > 0;
  }

  /**
   * Members left behind their org's policy version (a lost rollout job, a crash, a member
   * written by an older instance) are brought up with the rollout's own set-based chunk
   * statement, which skips rows already at the version: overlapping a rollout is harmless.
   * Newly required members get the same notice a rollout sends them. The chunk statement
   * runs on the pool, so this job holds a session advisory lock for its whole run instead.
   */
  private async reconcilePolicyVersions(now: Date): Promise<number | null> {
    const settled = new Date(now.getTime() - this.settings.reconcileSettleSeconds * 1000);
    return this.repo.withSessionLock(Jobs.ReconcilePolicyVersions, async () => {
      let healed = 0;
      const chunks = keysetChunks(MIN_UUID, 100, async (afterOrg: string) => {
        const orgIds = await this.repo.orgsBehind(afterOrg, settled, 100);
        return { orgIds, scanned: orgIds.length, last: orgIds.at(-1) ?? null };
      });
      for await (const { orgIds } of chunks) for (const orgId of orgIds) healed += await this.healOrg(orgId);
      return healed;
    });
  }

  private async healOrg(orgId: string): Promise<number> {
    const policy = await this.policies.get(orgId);
    let healed = 0;
    const chunks = keysetChunks(MIN_UUID, this.settings.chunkSize, async (after: string) => {
      const c = await this.materializer.materializeChunk(orgId, policy, after, this.settings.chunkSize);
      return { ...c, last: c.lastId };
    });
    for await (const chunk of chunks) {
      healed += chunk.updated;
      if (chunk.newlyRequired.length > 0) {
        await this.notifications.policyRequired({ orgId, policyVersion: policy.version, accountIds: chunk.newlyRequired });
      }
    }
    if (healed > 0) this.logger.warn(`reconciled ${healed} accounts of org ${orgId} up to policy version ${policy.version}`);
    return healed;
  }

  /** Today's (UTC) figures per org: re-run every tick, so a day's row ends with its last figures. */
  private async snapshot(now: Date): Promise<number | null> {
    const date = utcDate(now);
    let written = 0;
    let locked = false;
    const chunks = keysetChunks(MIN_UUID, this.settings.orgChunkSize, async (afterOrg: string) => {
      const chunk = await this.repo.inLockedChunk(Jobs.SnapshotCompliance, (tx) =>
        this.repo.snapshotChunk(tx, now, date, afterOrg, this.settings.orgChunkSize),
      );
      locked = chunk === null;
      return chunk && { ...chunk, last: chunk.lastOrgId };
    });
    for await (const chunk of chunks) written += chunk.written;
    return locked && written === 0 ? null : written;
  }
}
