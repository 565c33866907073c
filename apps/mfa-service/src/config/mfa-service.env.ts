import { IsIn, Matches, MinLength, ValidateBy, ValidateIf } from 'class-validator';
import { BaseEnv, IntRange, IsEmptyOrValid } from '@mfa/config';
import { keyRingProblem, signingKeysProblem } from '@mfa/crypto';

/** Every origin is scheme://host[:port] with nothing after it; at least one. */
export function originsProblem(value: string): string | null {
  const list = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.length === 0) return 'must list at least one origin such as https://app.example.com';
  const bad = list.filter((o) => !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(o));
  return bad.length ? `not an origin (scheme://host[:port]): ${bad.join(', ')}` : null;
}

/** mfa-service's environment, validated once at boot (README.md "Environment", docs/mfa.md "Environment"). */
export class MfaServiceEnv extends BaseEnv {
  @IntRange(0, 65535)
  MFA_SERVICE_PORT: number = 3002;

  /** The otpauth issuer shown by authenticator apps; a colon would break the key URI label. */
  @Matches(/^[^:]{1,64}$/, { message: 'must be 1..64 characters without a colon' })
  MFA_ISSUER: string = 'MFA Platform';

  @IntRange(1, 100)
  MFA_MAX_FAILURES: number = 5;

  @IntRange(1, 86_400)
  MFA_LOCKOUT_SECONDS: number = 900;

  /** `kid1:base64-32-bytes,kid0:...`; the first encrypts, all decrypt. Empty: a kept dev key. */
  @IsEmptyOrValid(keyRingProblem)
  MFA_ENCRYPTION_KEYS: string = '';

  /** `kid2:base64-ed25519-seed,kid1:...`; the first (newest) signs, all are in the JWKS. */
  @IsEmptyOrValid(signingKeysProblem)
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
  @IntRange(1, 50)
  SMS_WEBHOOK_ATTEMPTS: number = 6;

  /** First retry delay; each next one doubles. */
  @IntRange(10, 600_000)
  SMS_WEBHOOK_BACKOFF_MS: number = 2000;

  @IntRange(100, 60_000)
  SMS_WEBHOOK_TIMEOUT_MS: number = 10_000;

  /** Outbox rows (encrypted) are deleted after this. */
  @IntRange(60, 30 * 86_400)
  SMS_OUTBOX_RETENTION_SECONDS: number = 86_400;

  /** SMS codes sent to one phone number in any hour, whatever the account or device. */
  @IntRange(1, 1000)
  SMS_MAX_PER_PHONE_PER_HOUR: number = 5;

  /** SMS codes sent for one account in any hour, whatever the number or device. */
  @IntRange(1, 1000)
  SMS_MAX_PER_ACCOUNT_PER_HOUR: number = 5;

  /** Recovery-code sets generated for one account in any hour (each costs 10 scrypt hashes). */
  @IntRange(1, 1000)
  RECOVERY_CODE_SETS_MAX_PER_HOUR: number = 5;

  /** Minimum seconds between two SMS codes sent to one device (SMS pumping guard). */
  @IntRange(0, 3600)
  SMS_RESEND_SECONDS: number = 30;

  /** A device created but never enabled stops counting toward the 8 after this. */
  @IntRange(60, 30 * 86_400)
  DEVICE_PENDING_TTL_SECONDS: number = 3600;

  @IntRange(1, 200)
  MFA_DB_POOL_SIZE: number = 10;

  /** Where the web app (apps/web) is reached: enrollment links read `${WEB_PUBLIC_URL}/enroll/<token>`. */
  @Matches(/^https?:\/\/[^\s/]+$/, { message: 'must be an http(s) origin without a path, such as https://mfa.example.com' })
  WEB_PUBLIC_URL: string = 'http://localhost:3003';

  /** Origins an enrollment link's `returnUrl` may point to, comma-separated; empty: no returnUrl is accepted. */
  @Matches(/^(https?:\/\/[^\s/,]+)?(,https?:\/\/[^\s/,]+)*$/, { message: 'must be comma-separated http(s) origins without paths' })
  WEB_ALLOWED_RETURN_ORIGINS: string = '';

  /** WebAuthn relying party id: the registrable domain passkeys are bound to (no scheme, no port). */
  @Matches(/^(localhost|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$/, {
    message: 'must be a domain name such as example.com or localhost',
  })
  WEBAUTHN_RP_ID: string = 'localhost';

  /** The name a browser shows when it asks to create a passkey. */
  @Matches(/^.{1,64}$/, { message: 'must be 1..64 characters' })
  WEBAUTHN_RP_NAME: string = 'MFA Platform';

  /** Comma-separated origins (scheme://host[:port]) whose pages may register and use passkeys. */
  @ValidateBy({
    name: 'origins',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && originsProblem(v) === null,
      defaultMessage: (a) => originsProblem(String(a?.value)) ?? 'invalid',
    },
  })
  WEBAUTHN_ORIGINS: string = 'http://localhost:3000';

  /** WEBAUTHN_ORIGINS as a list. */
  get webauthnOrigins(): string[] {
    return this.WEBAUTHN_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
  }

  override productionProblems(): string[] {
    const problems = super.productionProblems();
    if (!this.MFA_ENCRYPTION_KEYS) problems.push('MFA_ENCRYPTION_KEYS: required in production (development keys are refused)');
    if (!this.MFA_SESSION_SIGNING_KEYS) problems.push('MFA_SESSION_SIGNING_KEYS: required in production (development keys are refused)');
    // the outbox is a development sender: in production codes must reach phones
    if (this.SMS_SENDER !== 'webhook')
      problems.push('SMS_SENDER: outbox is refused in production; set SMS_SENDER=webhook with SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET');
    return problems;
  }
}
