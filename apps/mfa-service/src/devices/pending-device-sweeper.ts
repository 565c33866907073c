import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
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
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: Error) => this.logger.warn(`pending device sweep: ${err.message}`)), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Deletes every expired pending device, in chunks; answers how many. */
  sweep(): Promise<number> {
    this.running ??= this.sweepAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepAll(): Promise<number> {
    const now = this.clock.now();
    let deleted = 0;
    for (;;) {
      const n = await this.devices.deleteExpiredPending(now, CHUNK);
      deleted += n;
      if (n < CHUNK) break;
    }
    if (deleted > 0) this.logger.log(`deleted ${deleted} expired pending devices`);
    return deleted;
  }
}
