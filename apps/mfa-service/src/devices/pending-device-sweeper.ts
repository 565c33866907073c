import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { inChunks, JobQueues, OnJob } from '@mfa/bus';
import { Jobs } from '@mfa/contracts';
import { Clock } from '../common/clock';
import { DeviceRepository } from './device.repository';

const SWEEP_INTERVAL_MS = 10 * 60_000;
const CHUNK = 1000;

/**
 * A pending device past its TTL is already gone for every purpose (not listed, not counted, cannot
 * be enabled); this deletes its row, and the seed or phone number in it, every 10 minutes (a
 * BullMQ job scheduler: one sweep per tick whatever the number of instances). Idempotent.
 */
@Injectable()
export class PendingDeviceSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger(PendingDeviceSweeper.name);

  constructor(
    private readonly devices: DeviceRepository,
    private readonly clock: Clock,
    private readonly jobs: JobQueues,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.upsertScheduler(
      `mfa-${Jobs.SweepPendingDevices}`,
      { every: SWEEP_INTERVAL_MS },
      { name: Jobs.SweepPendingDevices, data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 }, attempts: 1 } },
    );
  }

  /** Deletes every expired pending device, in chunks; answers how many. */
  @OnJob(Jobs.SweepPendingDevices)
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const deleted = await inChunks(CHUNK, () => this.devices.deleteExpiredPending(now, CHUNK));
    if (deleted > 0) this.logger.log(`deleted ${deleted} expired pending devices`);
    return deleted;
  }
}
