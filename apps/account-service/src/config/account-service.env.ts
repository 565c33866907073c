import { Matches } from 'class-validator';
import { IntRange } from '@mfa/config';
import { EnforcementEnv } from '../enforcement/enforcement.options';

/** account-service's environment: BaseEnv, the rollout/authorize knobs, its port and the compliance settings. One class, validated once at boot. */
export class AccountServiceEnv extends EnforcementEnv {
  @IntRange(0, 65535)
  ACCOUNT_SERVICE_PORT: number = 3001;

  /** how often the repeatable compliance jobs run */
  @IntRange(1, 86_400)
  COMPLIANCE_INTERVAL_SECONDS: number = 60;

  /** hours before a grace deadline that a member is reminded, comma-separated (each sent once) */
  @Matches(/^\s*\d{1,4}\s*(,\s*\d{1,4}\s*)*$/, { message: 'must be comma-separated whole hours, e.g. "168,24"' })
  REMINDER_OFFSETS_HOURS: string = '168,24';
}
