import type { InternalKey } from '@mfa/crypto';

export interface PolicyOptions {
  redisUrl: string;
  /** checks the rollout progress jobs account-service signed */
  internalKey: InternalKey;
  relayIntervalMs: number;
  staleSeconds: number;
  handoverTimeoutMs: number;
}

export const POLICY_OPTIONS = Symbol('POLICY_OPTIONS');
