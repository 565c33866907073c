import { BaseEnv, IntRange } from '@mfa/config';
import type { InternalKey } from '@mfa/crypto';

/** The knobs of policy hand-over, the outbox relay and reconciliation (validated once at boot). */
export class PolicyEnv extends BaseEnv {
  /** how often the relay delivers pending outbox rows and looks for stalled rollouts */
  @IntRange(50, 600_000)
  OUTBOX_RELAY_INTERVAL_MS: number = 2000;

  /** a rollout not completed and silent this long is handed over again (after a crash or a lost Redis) */
  @IntRange(1, 86_400)
  ROLLOUT_STALE_SECONDS: number = 30;

  /** how long PUT mfa-policy waits for both services before answering 202 with a queued rollout */
  @IntRange(100, 60_000)
  POLICY_HANDOVER_TIMEOUT_MS: number = 3000;
}

export interface PolicyOptions {
  redisUrl: string;
  /** checks the rollout progress jobs account-service signed */
  internalKey: InternalKey;
  relayIntervalMs: number;
  staleSeconds: number;
  handoverTimeoutMs: number;
}

export const POLICY_OPTIONS = Symbol('POLICY_OPTIONS');
