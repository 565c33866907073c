import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@mfa/crypto';

/**
 * The SMS webhook's signature, in the style of Stripe's: `t=<unix seconds>,v1=<hex>` where hex is
 * HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp inside the MAC lets a receiver refuse
 * replays of an old request.
 */
export const SMS_SIGNATURE_HEADER = 'x-mfa-signature';

export function signSmsWebhook(secret: string, rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What a receiver runs: the signature matches the raw body and is at most `toleranceSeconds` old. */
export function verifySmsWebhook(
  secret: string,
  header: string | undefined,
  rawBody: string,
  toleranceSeconds = 300,
  nowMs = Date.now(),
): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  return constantTimeEqual(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'), v1);
}
