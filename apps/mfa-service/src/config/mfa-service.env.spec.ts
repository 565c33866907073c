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
    expect(loadConfig(MfaServiceEnv, {})).toMatchObject({
      MFA_SERVICE_PORT: 3002,
      MFA_MAX_FAILURES: 5,
      MFA_LOCKOUT_SECONDS: 900,
      SMS_SENDER: 'outbox',
    });
  });

  it('defaults the WebAuthn relying party to localhost and refuses a bad RP id or origin list', () => {
    const env = loadConfig(MfaServiceEnv, {});
    expect([env.WEBAUTHN_RP_ID, env.webauthnOrigins]).toEqual(['localhost', ['http://localhost:3000']]);
    expect(loadConfig(MfaServiceEnv, { WEBAUTHN_ORIGINS: 'http://localhost:3000, http://localhost:3003' }).webauthnOrigins).toEqual([
      'http://localhost:3000',
      'http://localhost:3003',
    ]);
    const problems = problemsOf({ WEBAUTHN_RP_ID: 'https://example.com', WEBAUTHN_ORIGINS: 'http://localhost:3000,example.com/login' });
    expect(problems.map((p) => p.split(/[=:]/)[0]).sort()).toEqual(['WEBAUTHN_ORIGINS', 'WEBAUTHN_RP_ID']);
    expect(problems.join(' ')).toContain('example.com/login');
    expect(problemsOf({ WEBAUTHN_ORIGINS: ' , ' }).some((p) => p.startsWith('WEBAUTHN_ORIGINS'))).toBe(true);
  });

  it('refuses development keys in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.some((p) => p.startsWith('MFA_ENCRYPTION_KEYS'))).toBe(true);
    expect(problems.some((p) => p.startsWith('MFA_SESSION_SIGNING_KEYS'))).toBe(true);
    const keys = {
      MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MFA_SESSION_SIGNING_KEYS: generateSigningKeyEntry(),
      BUS_INTERNAL_KEY: randomBytes(32).toString('base64'),
    };
    const webhook = {
      SMS_SENDER: 'webhook',
      SMS_WEBHOOK_URL: 'https://sms.example.com/hook',
      SMS_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    };
    // production names its Redis (REDIS_URL or REDIS_CLUSTER_NODES)
    expect(problemsOf({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379/5', ...keys, ...webhook })).toEqual([]);
  });

  it('refuses the outbox SMS sender in production, and a webhook sender without its URL and secret anywhere', () => {
    expect(problemsOf({ NODE_ENV: 'production' }).some((p) => p.startsWith('SMS_SENDER: outbox is refused in production'))).toBe(true);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
    const problems = problemsOf({ SMS_SENDER: 'webhook', SMS_WEBHOOK_SECRET: 'short' });
    expect(problems.map((p) => p.split('=')[0].split(':')[0]).sort()).toEqual(['SMS_WEBHOOK_SECRET', 'SMS_WEBHOOK_URL']);
    expect(problems.join(' ')).not.toContain('short');
  });

  it('makes the limits configurable, 5 an hour by default', () => {
    expect(loadConfig(MfaServiceEnv, {})).toMatchObject({
      SMS_MAX_PER_PHONE_PER_HOUR: 5,
      SMS_MAX_PER_ACCOUNT_PER_HOUR: 5,
      RECOVERY_CODE_SETS_MAX_PER_HOUR: 5,
    });
    expect(loadConfig(MfaServiceEnv, { SMS_MAX_PER_PHONE_PER_HOUR: '2' }).SMS_MAX_PER_PHONE_PER_HOUR).toBe(2);
    expect(problemsOf({ RECOVERY_CODE_SETS_MAX_PER_HOUR: '0' })[0]).toMatch(/^RECOVERY_CODE_SETS_MAX_PER_HOUR/);
  });

  it('lists every bad variable, naming the key entry without its value', () => {
    const short = randomBytes(16).toString('base64');
    const problems = problemsOf({ MFA_ENCRYPTION_KEYS: `k1:${short}`, MFA_ISSUER: 'a:b', MFA_MAX_FAILURES: '0' });
    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual(['MFA_ENCRYPTION_KEYS', 'MFA_ISSUER', 'MFA_MAX_FAILURES']);
    expect(problems.find((p) => p.startsWith('MFA_ENCRYPTION_KEYS'))).toContain('entry 0 (k1)');
  });
});
