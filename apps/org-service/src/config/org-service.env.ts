import { MinLength, ValidateIf } from 'class-validator';
import { BaseEnv, IntRange } from '@mfa/config';

/**
 * org-service's environment: BaseEnv, its port, the platform key and the policy relay's knobs.
 * One flat class, validated once at boot; features read it (policy.module.ts builds PolicyOptions).
 */
export class OrgServiceEnv extends BaseEnv {
  @IntRange(0, 65535)
  ORG_API_PORT: number = 3000;

  /**
   * Creates orgs. Empty means "development": a key is generated once and kept in KEYS_DIR
   * (see PlatformKey); production refuses to start without an explicit one.
   */
  @ValidateIf((env: OrgServiceEnv) => env.PLATFORM_API_KEY !== '')
  @MinLength(32, { message: 'must be at least 32 characters' })
  PLATFORM_API_KEY: string = '';

  // policy hand-over, the outbox relay and reconciliation
  /** how often the relay delivers pending outbox rows and looks for stalled rollouts */
  @IntRange(50, 600_000)
  OUTBOX_RELAY_INTERVAL_MS: number = 2000;

  /** a rollout not completed and silent this long is handed over again (after a crash or a lost Redis) */
  @IntRange(1, 86_400)
  ROLLOUT_STALE_SECONDS: number = 30;

  /** how long PUT mfa-policy waits for both services before answering 202 with a queued rollout */
  @IntRange(100, 60_000)
  POLICY_HANDOVER_TIMEOUT_MS: number = 3000;

  override productionProblems(): string[] {
    const problems = super.productionProblems();
    if (this.PLATFORM_API_KEY === '')
      problems.push('PLATFORM_API_KEY: must be set in production (the generated development key is refused)');
    return problems;
  }
}
