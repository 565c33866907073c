import { BaseRpcContext } from '@nestjs/microservices';
import type { BusCaller } from './callers';

/** [stream, entryId, pattern, requestId, consumer, caller, prefetched] */
type RedisStreamsContextArgs = [string, string, string, string, string, BusCaller, unknown?];

/** What `@Ctx()` gives a bus handler. */
export class RedisStreamsContext extends BaseRpcContext<RedisStreamsContextArgs> {
  getStream(): string {
    return this.args[0];
  }
  /** The Redis stream entry id (not the request id). */
  getEntryId(): string {
    return this.args[1];
  }
  getPattern(): string {
    return this.args[2];
  }
  /** The caller's request id. */
  getRequestId(): string {
    return this.args[3];
  }
  /** The consumer (instance) that handles this entry. */
  getConsumer(): string {
    return this.args[4];
  }
  /** Who signed the entry (a platform service, or a member service's key and its org). */
  getCaller(): BusCaller {
    return this.args[5];
  }
  /** What the pattern's Prefetcher started for this entry (undefined: none). */
  getPrefetched(): unknown {
    return this.args[6];
  }
}
