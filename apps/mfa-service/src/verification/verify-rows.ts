import type { ActiveDevice } from '../methods/device-method';
import type { VerifyRow } from './verification.repository';

/**
 * Readings of the rows `VerificationRepository.load` answers, shared by mfa.verify and
 * mfa.devices.diagnose: the two must agree, or diagnose would tell what verify accepts.
 */

/** The lockout Postgres holds for the account, while it lasts (Redis holds the live one). */
export function storedLockout(rows: VerifyRow[], now: Date): Date | null {
  const until = rows[0]?.locked_until;
  return until && until > now ? until : null;
}

/** The devices of a type the org's policy allows (no policy row: every type). */
export function allowedDevices(devices: ActiveDevice[]): ActiveDevice[] {
  return devices.filter((d) => !d.allowed_methods || d.allowed_methods.includes(d.type));
}
