import type { InternalKey } from '@mfa/crypto';
import type { AccountServiceEnv } from '../config/account-service.env';

export interface EnforcementOptions {
  redisUrl: string;
  /** signs the jobs this feature adds and checks the ones its workers take */
  internalKey: InternalKey;
  chunkSize: number;
  rolloutConcurrency: number;
  jwksRefetchMinMs: number;
}

export const ENFORCEMENT_OPTIONS = Symbol('ENFORCEMENT_OPTIONS');

export function enforcementOptionsFromEnv(env: AccountServiceEnv, internalKey: InternalKey): EnforcementOptions {
  return {
    redisUrl: env.REDIS_URL,
    internalKey,
    chunkSize: env.ROLLOUT_CHUNK_SIZE,
    rolloutConcurrency: env.ROLLOUT_CONCURRENCY,
    jwksRefetchMinMs: env.JWKS_REFETCH_MIN_SECONDS * 1000,
  };
}
