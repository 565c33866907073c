import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time';

/** `BUS_INTERNAL_KEY`: base64 of at least 32 random bytes. Null when fine. */
export function internalKeyProblem(value: string): string | null {
  const raw = Buffer.from(value, 'base64');
  return raw.length >= 32 && /^[A-Za-z0-9+/=_-]+$/.test(value) ? null : 'must be base64 of at least 32 random bytes';
}

export function generateInternalKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The platform's own secret (`BUS_INTERNAL_KEY`, shared by org, account and mfa services) and
 * the keys derived from it, one per use, so no use can be turned against another:
 * - `busSecret`: the HMAC secret of bus entries signed with a `platform:<service>` key id;
 * - `serviceKeySecret(id, salt)`: the secret of a member service's key, derived, never stored;
 * - `signJob`/`verifyJob`: BullMQ job data, so a job added by hand to a queue is not believed;
 * - `webSessionKey`: seals what the web app keeps in a console session (the admin's API key);
 * - `macWebAuthnChallenge`: binds a WebAuthn challenge kept in Redis to its id, account and expiry;
 * - `macDeviceCache`: binds mfa-service's cached verify rows (devices, drift, step floor) to their account and end.
 * Whoever holds it is the platform: it is never given to member services (docs/security.md).
 */
export class InternalKey {
  /** The bus secret, as the UTF-8 string the contract's HMAC takes. */
  readonly busSecret: string;
  private readonly serviceKeyRoot: Buffer;
  private readonly jobKey: Buffer;
  /** AES-256 key of the web app's sessions (apps/web): an org API key is kept in Redis only under it. */
  readonly webSessionKey: Buffer;
  private readonly webAuthnChallengeKey: Buffer;
  private readonly deviceCacheKey: Buffer;

  constructor(secret: string) {
    const problem = internalKeyProblem(secret);
    if (problem) throw new Error(`BUS_INTERNAL_KEY: ${problem}`);
    const ikm = Buffer.from(secret, 'base64');
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));
    this.busSecret = derive('mfa-platform bus entries v1').toString('base64url');
    this.serviceKeyRoot = derive('mfa-platform service keys v1');
    this.jobKey = derive('mfa-platform jobs v1');
    this.webSessionKey = derive('mfa-platform web sessions v1');
    this.webAuthnChallengeKey = derive('mfa-platform webauthn challenges v1');
    this.deviceCacheKey = derive('mfa-platform verify device cache v1');
  }

  /** A service key's secret: HMAC(root, id:salt). The database holds the salt, never the secret. */
  serviceKeySecret(keyId: string, salt: Buffer): string {
    const mac = createHmac('sha256', this.serviceKeyRoot).update(keyId).update(':').update(salt).digest('base64url');
    return `mfask_${mac}`;
  }

  /**
   * base64url HMAC of a WebAuthn challenge record (mfa-service keeps them in Redis): a record
   * written by hand, or copied under another id, is not believed (docs/security.md).
   */
  macWebAuthnChallenge(message: string): string {
    return createHmac('sha256', this.webAuthnChallengeKey).update(message).digest('base64url');
  }

  /**
   * base64url HMAC of a device cache entry (mfa-service keeps an account's active devices in Redis):
   * an entry written by hand (a planted device, a drift, a step floor) is not believed (docs/security.md).
   */
  macDeviceCache(message: string): string {
    return createHmac('sha256', this.deviceCacheKey).update(message).digest('base64url');
  }

  /** Hex HMAC of a job: its queue, its name and its data as JSON. */
  signJob(queue: string, name: string, data: unknown): string {
    return createHmac('sha256', this.jobKey)
      .update(`${queue}\n${name}\n${JSON.stringify(data ?? null)}`)
      .digest('hex');
  }

  verifyJob(queue: string, name: string, data: unknown, sig: unknown): boolean {
    return typeof sig === 'string' && constantTimeEqual(sig, this.signJob(queue, name, data));
  }
}
