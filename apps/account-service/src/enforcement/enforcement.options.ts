import { BaseEnv, IntRange } from '@mfa/config';
import type { InternalKey } from '@mfa/crypto';

/** The variables the enforcement feature reads, validated once at boot (with BaseEnv's). */
export class EnforcementEnv extends BaseEnv {
  /** accounts per set-based UPDATE of a rollout; big chunks keep a rollout close to one raw UPDATE */
  @IntRange(100, 1_000_000)
  ROLLOUT_CHUNK_SIZE: number = 20_000;

  /** rollouts (orgs) materialized at once per instance */
  @IntRange(1, 16)
  ROLLOUT_CONCURRENCY: number = 2;

  /** an unknown key id in a session token refetches the JWKS at most this often */
  @IntRange(0, 3600)
  JWKS_REFETCH_MIN_SECONDS: number = 10;
}

export interface EnforcementOptions {
  redisUrl: string;
  /** signs the jobs this feature adds and checks the ones its workers take */
  internalKey: InternalKey;
  chunkSize: number;
  rolloutConcurrency: number;
  jwksRefetchMinMs: number;
}

export const ENFORCEMENT_OPTIONS = Symbol('ENFORCEMENT_OPTIONS');

export function enforcementOptionsFromEnv(env: EnforcementEnv, internalKey: InternalKey): EnforcementOptions {
  return {
    redisUrl: env.REDIS_URL,
    internalKey,
    chunkSize: env.ROLLOUT_CHUNK_SIZE,
    rolloutConcurrency: env.ROLLOUT_CONCURRENCY,
    jwksRefetchMinMs: env.JWKS_REFETCH_MIN_SECONDS * 1000,
  };
}
