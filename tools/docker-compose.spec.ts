import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type BaseEnv, loadConfig } from '@mfa/config';
import { OrgServiceEnv } from '../apps/org-service/src/config/org-service.env';
import { AccountServiceEnv } from '../apps/account-service/src/config/account-service.env';
import { MfaServiceEnv } from '../apps/mfa-service/src/config/mfa-service.env';
import { WebEnv } from '../apps/web/src/config/web.env';

// No Docker engine runs here, so the compose file is checked against the code instead.
const root = join(__dirname, '..');
const apps: Record<string, { env: new () => BaseEnv; portVariable: string; defaultPort: number }> = {
  'org-service': { env: OrgServiceEnv, portVariable: 'ORG_API_PORT', defaultPort: 3000 },
  'account-service': { env: AccountServiceEnv, portVariable: 'ACCOUNT_SERVICE_PORT', defaultPort: 3001 },
  'mfa-service': { env: MfaServiceEnv, portVariable: 'MFA_SERVICE_PORT', defaultPort: 3002 },
  web: { env: WebEnv, portVariable: 'WEB_PORT', defaultPort: 3003 },
};

/** What an operator would put in the host environment for the `${VAR:?}` references. */
const hostEnv: Record<string, string> = {
  PLATFORM_API_KEY: randomBytes(32).toString('hex'),
  BUS_INTERNAL_KEY: randomBytes(32).toString('base64'),
  MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  MFA_SESSION_SIGNING_KEYS: `s1:${randomBytes(32).toString('base64')}`,
  SMS_WEBHOOK_URL: 'https://sms.example.com/hook',
  SMS_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
};

/** Compose's `${NAME}`, `${NAME:?message}` (must be set) and `${NAME:-default}` (optional: the default when unset or empty). */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*|:-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
    if (fallback !== undefined) return hostEnv[name] || fallback;
    if (!(name in hostEnv)) throw new Error(`compose refers to an unknown host variable ${name}`);
    return hostEnv[name];
  });
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      { command?: string[]; ports?: string[]; environment?: Record<string, string>; depends_on?: Record<string, unknown> }
    >;
  };

  it('has Postgres, Redis, the migration step, the three services and the web app', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'account-service',
      'mfa-service',
      'migrate',
      'org-service',
      'postgres',
      'redis',
      'web',
    ]);
    expect(compose.services.migrate.command).toEqual(['node', 'dist/tools/migrate.js']);
    expect(existsSync(join(root, 'tools/migrate.ts'))).toBe(true);
  });

  it.each(Object.entries(apps))('%s: command, port and every variable match the code and pass production validation', (name, app) => {
    const service = compose.services[name];
    expect(service.command).toEqual(['node', `dist/apps/${name}/src/main.js`]);
    expect(existsSync(join(root, `apps/${name}/src/main.ts`))).toBe(true);

    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
    const known = Object.keys(new app.env());
    expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);

    expect(Number(env[app.portVariable])).toBe(app.defaultPort);
    expect(service.ports).toEqual([`${app.defaultPort}:${app.defaultPort}`]);
    expect(env.REDIS_URL).toMatch(/^redis:\/\/redis:6379\/\d+$/);
    expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(env.NODE_ENV).toBe('production');
    expect(() => loadConfig(app.env, env)).not.toThrow();
    expect(service.depends_on).toHaveProperty('migrate');
  });
});
