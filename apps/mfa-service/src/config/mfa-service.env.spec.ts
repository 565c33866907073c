import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@mfa/config';
import { generateSigningKeyEntry } from '@mfa/crypto';
import { MfaServiceEnv } from './mfa-service.env';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(MfaServiceEnv, env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe(MfaServiceEnv.name, () => {
  it('has working defaults', () => {
    expect(loadConfig(MfaServiceEnv, {})).toMatchObject({ MFA_SERVICE_PORT: 3002, MFA_MAX_FAILURES: 5, MFA_LOCKOUT_SECONDS: 900, SMS_SENDER: 'outbox' });
  });

  it('refuses development keys in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.some((p) => p.startsWith('MFA_ENCRYPTION_KEYS'))).toBe(true);
    expect(problems.some((p) => p.startsWith('MFA_SESSION_SIGNING_KEYS'))).toBe(true);
    const keys = { BUS_INTERNAL_KEY: randomBytes(32).toString('base64'), MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, MFA_SESSION_SIGNING_KEYS: generateSigningKeyEntry() };
    expect(problemsOf({ NODE_ENV: 'production', ...keys })).toEqual([]);
  });

  it('lists every bad variable, naming the key entry without its value', () => {
    const short = randomBytes(16).toString('base64');
    const problems = problemsOf({ MFA_ENCRYPTION_KEYS: `k1:${short}`, MFA_ISSUER: 'a:b', MFA_MAX_FAILURES: '0' });
    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual(['MFA_ENCRYPTION_KEYS', 'MFA_ISSUER', 'MFA_MAX_FAILURES']);
    expect(problems.find((p) => p.startsWith('MFA_ENCRYPTION_KEYS'))).toContain('entry 0 (k1)');
  });
});
