import { createHmac, hkdfSync } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { JSONWebKeySet } from 'jose';
import { devSecret } from '@mfa/config';
import { Envelope, generateKeyRing, generateSigningKeyEntry, parseKeyRing, parseSigningKeys, type SigningKey } from '@mfa/crypto';
import type { MfaServiceEnv } from '../config/mfa-service.env';

/** The seed/phone envelope, the SMS code hashing key and the session signing keys. */
export class KeyMaterial {
  /** The public keys that check session tokens: `mfa.sessions.jwks` and the step-up check. */
  readonly jwks: JSONWebKeySet;

  constructor(
    readonly envelope: Envelope,
    /** newest first: [0] signs */
    readonly signingKeys: SigningKey[],
    /** HMAC key for SMS codes, derived from the current encryption key (codes live 5 minutes) */
    private readonly smsCodeKey: Buffer,
  ) {
    this.jwks = { keys: signingKeys.map((k) => ({ ...k.publicJwk })) };
  }

  static fromEnv(env: MfaServiceEnv): KeyMaterial {
    const logger = new Logger('KeyMaterial');
    const warn = (msg: string) => logger.warn(msg);
    // loadConfig refuses empty values in production; these generated keys are for dev and tests
    const ringText = env.MFA_ENCRYPTION_KEYS || devSecret(env.KEYS_DIR, 'mfa-encryption-keys', () => generateKeyRing(), warn);
    const signing =
      env.MFA_SESSION_SIGNING_KEYS || devSecret(env.KEYS_DIR, 'mfa-session-signing-keys', () => generateSigningKeyEntry(), warn);
    const ring = parseKeyRing(ringText);
    const smsKey = Buffer.from(hkdfSync('sha256', ring.current.key, Buffer.alloc(0), 'mfa-service sms-code v1', 32));
    return new KeyMaterial(new Envelope(ring), parseSigningKeys(signing), smsKey);
  }

  /** A 6-digit code has 20 bits: a keyed hash, so the table alone does not give codes away. */
  hashSmsCode(deviceId: string, code: string): Buffer {
    return createHmac('sha256', this.smsCodeKey).update(`${deviceId}:${code}`).digest();
  }

  /** Names a phone number in rate-limit keys without putting it in Redis (a key rotation restarts its counts). */
  phoneRef(phoneNumber: string): string {
    return createHmac('sha256', this.smsCodeKey).update(`phone:${phoneNumber}`).digest('base64url');
  }
}
