import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { JobQueues } from '@mfa/bus';
import type { QueueName } from '@mfa/contracts';
import { ENFORCEMENT_OPTIONS, type EnforcementOptions } from './enforcement.options';

/** The BullMQ producers and workers of account-service's enforcement feature. */
@Injectable()
export class EnforcementQueues extends JobQueues implements OnModuleDestroy {
  constructor(@Inject(ENFORCEMENT_OPTIONS) options: EnforcementOptions) {
    super(options.redisUrl, options.internalKey, EnforcementQueues.name);
  }

  /** Makes delayed jobs due now; jobs already promoted, running or gone are left as they are. */
  async promote(queue: QueueName, ids: string[]): Promise<void> {
    const q = this.queue(queue);
    // promote() refuses a job that is not delayed: that refusal is the "left as it is"
    await Promise.all(ids.map(async (id) => (await q.getJob(id))?.promote().catch(() => undefined)));
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }
}
