import type { InternalKey } from '@mfa/crypto';
import { AccountServiceEnv } from '../config/account-service.env';

/** What the compliance jobs are tuned by (from the env; tests pass their own). */
export interface ComplianceSettings {
  redisUrl: string;
  /** signs the compliance and notification jobs and checks the ones the worker takes */
  internalKey: InternalKey;
  intervalSeconds: number;
  /** hours before the deadline a reminder goes out, most distant first */
  reminderOffsetsHours: number[];
  /** accounts per set-based statement */
  chunkSize: number;
  /** orgs per snapshot statement */
  orgChunkSize: number;
  /** a policy changed less than this ago is left to its own rollout before reconciliation steps in */
  reconcileSettleSeconds: number;
  /** false: no repeatable schedulers (tests drive the jobs themselves) */
  schedule: boolean;
}

export const COMPLIANCE_SETTINGS = Symbol('COMPLIANCE_SETTINGS');

export function parseOffsets(raw: string): number[] {
  const hours = raw
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  return [...new Set(hours)].sort((a, b) => b - a);
}

export function complianceSettingsFromEnv(env: AccountServiceEnv, internalKey: InternalKey): ComplianceSettings {
  return {
    redisUrl: env.REDIS_URL,
    internalKey,
    intervalSeconds: env.COMPLIANCE_INTERVAL_SECONDS,
    reminderOffsetsHours: parseOffsets(env.REMINDER_OFFSETS_HOURS),
    chunkSize: 5000,
    orgChunkSize: 100,
    reconcileSettleSeconds: Math.max(60, env.COMPLIANCE_INTERVAL_SECONDS),
    schedule: true,
  };
}
