import { TOTP_DIGITS, TOTP_PERIOD_SECONDS } from './totp';

/** A label part may not hold a colon (Key URI format); replace it rather than fail. */
function labelPart(text: string): string {
  return encodeURIComponent(text.replace(/:/g, ' ').trim());
}

/**
 * `otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30`
 * (Google Authenticator Key URI format; Base32 without padding).
 */
export function otpauthUri(issuer: string, account: string, secretBase32: string): string {
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer: issuer.replace(/:/g, ' ').trim(),
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  // URLSearchParams writes spaces as '+', which some apps show literally: use %20
  return `otpauth://totp/${labelPart(issuer)}:${labelPart(account)}?${params.toString().replace(/\+/g, '%20')}`;
}
