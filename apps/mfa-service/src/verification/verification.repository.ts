import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { one } from '../common/db';
import { ActiveDeviceCache, type VerifyRow } from '../devices/active-device-cache';

export type { VerifyRow } from '../devices/active-device-cache';

interface DeviceUse {
  step: number;
  at: Date;
}

/** How long accepted steps wait to be written behind (one statement for all of them). */
export const WRITE_BEHIND_MS = 100;

/**
 * The queries of the verification hot path. The read is ActiveDeviceCache's (Redis, Postgres on
 * a miss); accepted steps and last-used times are written behind, at most every
 * WRITE_BEHIND_MS, in one statement (Redis holds the live replay state, see VerifyState; this is
 * its durable floor).
 */
@Injectable()
export class VerificationRepository implements OnModuleDestroy {
  private readonly logger = new Logger(VerificationRepository.name);
  /** device id -> the latest accepted step and use not yet stored */
  private pendingUses = new Map<string, DeviceUse>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ActiveDeviceCache,
    private readonly clock: Clock,
  ) {}

  /**
   * Lockout, active devices (optionally one serial) and the org's allowed methods: the device cache, Postgres on a miss;
   * `prefetched`: the cache read the bus gate started (ctx.getPrefetched()).
   */
  load(accountId: string, serialNumber: string | null, prefetched?: unknown): Promise<VerifyRow[]> {
    return this.cache.rows(accountId, serialNumber, this.clock.now(), prefetched);
  }

  /**
   * Written behind the reply: the step accepted in Redis becomes the floor Postgres keeps, and
   * the device's last use shows in listings. A failed write is logged; Redis still holds the step.
   */
  recordUse(deviceId: string, step: number, at: Date): void {
    const prev = this.pendingUses.get(deviceId);
    this.pendingUses.set(deviceId, { step: Math.max(step, prev?.step ?? step), at: prev && prev.at > at ? prev.at : at });
    // a debounce of this instance's in-memory writes, not periodic work: it stays a local timer (docs/jobs.md)
    this.flushTimer ??= setTimeout(() => void this.flushUses(), WRITE_BEHIND_MS);
  }

  /** Stores the pending uses now (also on shutdown). */
  flushUses(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const uses = this.pendingUses;
    this.pendingUses = new Map();
    // one write at a time, in order: a later flush never lands before an earlier one
    this.flushing = this.flushing.then(() => (uses.size ? this.storeUses(uses) : undefined));
    return this.flushing;
  }

  private async storeUses(uses: Map<string, DeviceUse>): Promise<void> {
    // in id order: two instances writing overlapping devices lock them in the same order (no deadlock)
    const list = [...uses].sort(([a], [b]) => (a < b ? -1 : 1));
    try {
      await this.dataSource.query(
        `UPDATE mfa.devices d SET last_step = GREATEST(d.last_step, u.step), last_used_at = GREATEST(d.last_used_at, u.at)
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS u(id, step, at)
          WHERE d.id = u.id`,
        [list.map(([id]) => id), list.map(([, u]) => u.step), list.map(([, u]) => u.at)],
      );
    } catch (err) {
      this.logger.error(`${list.length} device uses not stored: ${(err as Error).message}`);
    }
  }

  /**
   * The durable floor of VerifyState.burnStep, written before the reply (not behind): a Redis that
   * lost the burned step, or a resync (its compare-and-set reads this column), cannot bring it back.
   * last_used_at is left alone: the device was not used.
   */
  async burnStep(deviceId: string, step: number): Promise<void> {
    await this.dataSource.query(`UPDATE mfa.devices SET last_step = GREATEST(last_step, $2) WHERE id = $1`, [deviceId, step]);
  }

  /** An SMS code is single use: the hash is cleared by the statement that accepts it. */
  async consumeSmsCode(accountId: string, deviceId: string, codeHash: Buffer, now: Date): Promise<boolean> {
    const r = await one<{ id: string }>(
      this.dataSource,
      `UPDATE mfa.devices SET sms_code_hash = NULL, sms_code_expires_at = NULL, last_used_at = $3
        WHERE id = $1 AND status = 'active' AND sms_code_hash = $2 AND sms_code_expires_at > $3 RETURNING id`,
      [deviceId, codeHash, now],
    );
    // the cached row holds the code's hash: the next read loads (a used code then matches nothing)
    if (r) await this.cache.invalidate(accountId);
    return r !== null;
  }

  /** The writes behind replies already sent finish before the pool closes. */
  async onModuleDestroy(): Promise<void> {
    await this.flushUses();
  }
}
