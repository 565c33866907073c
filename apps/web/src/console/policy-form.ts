import { field, fields } from '../common/render';

/** The policy form as the admin API's body (a PUT replaces the policy: the form carries every field). */
export function policyForm(body: unknown): Record<string, unknown> {
  const maxAge = field(body, 'maxMfaAgeSeconds');
  const grace = field(body, 'gracePeriodHours');
  return {
    requireMfa: field(body, 'requireMfa') === 'on',
    gracePeriodHours: /^\d+$/.test(grace) ? Number(grace) : grace,
    allowedMethods: fields(body, 'allowedMethods'),
    secureMethodsOnly: field(body, 'secureMethodsOnly') === 'on',
    ...(maxAge ? { maxMfaAgeSeconds: /^\d+$/.test(maxAge) ? Number(maxAge) : maxAge } : {}),
    // carried by the form like secureMethodsOnly; the admin API validates it and names a bad entry
    conditions: conditionsField(field(body, 'conditions')),
  };
}

/** The conditions textarea: empty is none; what is not JSON goes as typed, for the admin API to refuse by name. */
function conditionsField(text: string): unknown {
  if (!text) return [];
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
