import { Matches } from 'class-validator';
import { BaseEnv, IntRange } from '@mfa/config';

/**
 * account-service's environment: BaseEnv, its port, the rollout/authorize knobs and the compliance
 * settings. One flat class, validated once at boot; features read it (enforcementOptionsFromEnv).
 */
export class AccountServiceEnv extends BaseEnv {
  @IntRange(0, 65535)
  ACCOUNT_SERVICE_PORT: number = 3001;

  // rollouts and accounts.authorize (enforcement/)
  /** accounts per set-based UPDATE of a rollout; big chunks keep a rollout close to one raw UPDATE */
  @IntRange(100, 1_000_000)
  ROLLOUT_CHUNK_SIZE: number = 20_000;

  /** rollouts (orgs) materialized at once per instance */
  @IntRange(1, 16)
  ROLLOUT_CONCURRENCY: number = 2;

  /** an unknown key id in a session token refetches the JWKS at most this often */
  @IntRange(0, 3600)
  JWKS_REFETCH_MIN_SECONDS: number = 10;

  /** how often the repeatable compliance jobs run */
  @IntRange(1, 86_400)
  COMPLIANCE_INTERVAL_SECONDS: number = 60;

  /** hours before a grace deadline that a member is reminded, comma-separated (each sent once) */
  @Matches(/^\s*\d{1,4}\s*(,\s*\d{1,4}\s*)*$/, { message: 'must be comma-separated whole hours, e.g. "168,24"' })
  REMINDER_OFFSETS_HOURS: string = '168,24';
}
