import { SECRET_FIELD_NAMES } from '@mfa/contracts';

/**
 * Field names that never enter an audit event's details, at any depth, in any letter case.
 * Callers should not pass secrets in the first place; this is the net under them (an API key,
 * a TOTP seed or a recovery code in the audit log would be readable by every auditor key).
 */
const SECRET_FIELDS = new Set<string>(SECRET_FIELD_NAMES.map((name) => name.toLowerCase()));

export function scrubDetails(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => scrubDetails(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!SECRET_FIELDS.has(k.toLowerCase())) out[k] = scrubDetails(v, depth + 1);
    }
    return out;
  }
  return value;
}
