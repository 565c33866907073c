import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { inChunks, Periodic } from '../common/periodic';
import { DeviceRepository } from './device.repository';

const SWEEP_INTERVAL_MS = 10 * 60_000;
const CHUNK = 1000;

/**
 * A pending device past its TTL is already gone for every purpose (not listed, not counted, cannot
 * be enabled); this deletes its row, and the seed or phone number in it, every 10 minutes.
 * Idempotent, so every instance may sweep.
 */
@Injectable()
export class PendingDeviceSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PendingDeviceSweeper.name);
  private readonly periodic = new Periodic('pending device sweep', SWEEP_INTERVAL_MS, () => this.sweepAll(), this.logger);

  constructor(
    private readonly devices: DeviceRepository,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.periodic.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** Deletes every expired pending device, in chunks; answers how many. */
  sweep(): Promise<number> {
    return this.periodic.run();
  }

  private async sweepAll(): Promise<number> {
    const now = this.clock.now();
    const deleted = await inChunks(CHUNK, () => this.devices.deleteExpiredPending(now, CHUNK));
    if (deleted > 0) this.logger.log(`deleted ${deleted} expired pending devices`);
    return deleted;
  }
}
