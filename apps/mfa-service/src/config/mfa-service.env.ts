import { IsIn, IsInt, Matches, Max, Min, MinLength, ValidateBy, ValidateIf } from 'class-validator';
import { BaseEnv } from '@mfa/config';
import { keyRingProblem, signingKeysProblem } from '@mfa/crypto';

/** Validates a key list with `problem` (null when fine); empty means "use the development key". */
function IsKeyList(problem: (v: string) => string | null) {
  return ValidateBy({
    name: 'isKeyList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && (value === '' || problem(value) === null),
      // the message names the bad entry by position and never echoes the key itself
      defaultMessage: (args) => (typeof args?.value === 'string' ? (problem(args.value) ?? 'invalid') : 'must be a string'),
    },
  });
}

/** mfa-service's environment, validated once at boot (CONTRACT.md "Running it"). */
export class MfaServiceEnv extends BaseEnv {
  @IsInt()
  @Min(0)
  @Max(65535)
  MFA_SERVICE_PORT: number = 3002;

  /** The otpauth issuer shown by authenticator apps; a colon would break the key URI label. */
  @Matches(/^[^:]{1,64}$/, { message: 'must be 1..64 characters without a colon' })
  MFA_ISSUER: string = 'MFA Platform';

  @IsInt()
  @Min(1)
  @Max(100)
  MFA_MAX_FAILURES: number = 5;

  @IsInt()
  @Min(1)
  @Max(86_400)
  MFA_LOCKOUT_SECONDS: number = 900;

  /** `kid1:base64-32-bytes,kid0:...`; the first encrypts, all decrypt. Empty: a kept dev key. */
  @IsKeyList(keyRingProblem)
  MFA_ENCRYPTION_KEYS: string = '';

  /** `kid2:base64-ed25519-seed,kid1:...`; the first (newest) signs, all are in the JWKS. */
  @IsKeyList(signingKeysProblem)
  MFA_SESSION_SIGNING_KEYS: string = '';

  /** `outbox`: development sender (mfa.sms_outbox, encrypted); `webhook`: POST to SMS_WEBHOOK_URL from a job. */
  @IsIn(['outbox', 'webhook'])
  SMS_SENDER: 'outbox' | 'webhook' = 'outbox';

  @ValidateIf((e: MfaServiceEnv) => e.SMS_SENDER === 'webhook')
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL when SMS_SENDER=webhook' })
  SMS_WEBHOOK_URL: string = '';

  /** Signs every webhook request (HMAC-SHA256); the receiver holds the same secret. */
  @ValidateIf((e: MfaServiceEnv) => e.SMS_SENDER === 'webhook')
  @MinLength(32, { message: 'must be at least 32 characters when SMS_SENDER=webhook' })
  SMS_WEBHOOK_SECRET: string = '';

  /** Tries per message before it is dead-lettered (kept in the failed set and logged). */
  @IsInt()
  @Min(1)
  @Max(50)
  SMS_WEBHOOK_ATTEMPTS: number = 6;

  /** First retry delay; each next one doubles. */
  @IsInt()
  @Min(10)
  @Max(600_000)
  SMS_WEBHOOK_BACKOFF_MS: number = 2000;

  @IsInt()
  @Min(100)
  @Max(60_000)
  SMS_WEBHOOK_TIMEOUT_MS: number = 10_000;

  /** Outbox rows (encrypted) are deleted after this. */
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  SMS_OUTBOX_RETENTION_SECONDS: number = 86_400;

  /** SMS codes sent to one phone number in any hour, whatever the account or device. */
  @IsInt()
  @Min(1)
  @Max(1000)
  SMS_MAX_PER_PHONE_PER_HOUR: number = 5;

  /** SMS codes sent for one account in any hour, whatever the number or device. */
  @IsInt()
  @Min(1)
  @Max(1000)
  SMS_MAX_PER_ACCOUNT_PER_HOUR: number = 5;

  /** Recovery-code sets generated for one account in any hour (each costs 10 scrypt hashes). */
  @IsInt()
  @Min(1)
  @Max(1000)
  RECOVERY_CODE_SETS_MAX_PER_HOUR: number = 5;

  /** Minimum seconds between two SMS codes sent to one device (SMS pumping guard). */
  @IsInt()
  @Min(0)
  @Max(3600)
  SMS_RESEND_SECONDS: number = 30;

  /** A device created but never enabled stops counting toward the 8 after this. */
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  DEVICE_PENDING_TTL_SECONDS: number = 3600;

  @IsInt()
  @Min(1)
  @Max(200)
  MFA_DB_POOL_SIZE: number = 10;

  override productionProblems(): string[] {
    const problems = super.productionProblems();
    if (!this.MFA_ENCRYPTION_KEYS) problems.push('MFA_ENCRYPTION_KEYS: required in production (development keys are refused)');
    if (!this.MFA_SESSION_SIGNING_KEYS) problems.push('MFA_SESSION_SIGNING_KEYS: required in production (development keys are refused)');
    // the outbox is a development sender: in production codes must reach phones
    if (this.SMS_SENDER !== 'webhook') problems.push('SMS_SENDER: outbox is refused in production; set SMS_SENDER=webhook with SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET');
    return problems;
  }
}
