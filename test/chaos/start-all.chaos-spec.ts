import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from '../../bench/lib/service-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nextDelay, BACKOFF } = require('../../scripts/start-all.js') as {
  nextDelay(previousMs: number, upMs: number): number;
  BACKOFF: { firstMs: number; maxMs: number; stableMs: number };
};

const PLATFORM_API_KEY = 'chaos-start-all-key-0123456789abcdef0123456789';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('restart delays', () => {
  it('1 s, doubling to 30 s after quick deaths, back to 1 s after 60 s up', () => {
    const delays: number[] = [];
    let d = 0;
    for (let i = 0; i < 7; i++) delays.push((d = nextDelay(d, 500)));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(nextDelay(30_000, BACKOFF.stableMs)).toBe(1_000);
  });
});

/** `npm run start:all` as operators run it (dist/ built), one boot for every check below. */
describe('start-all (real processes)', () => {
  let supervisor: ChildProcess;
  let stderr = '';
  const ports = { org: 0, account: 0, mfa: 0 };

  const childPids = (): Map<string, number> => {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(supervisor.pid)], { encoding: 'utf8' });
    const pids = new Map<string, number>();
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s.*dist\/apps\/([a-z-]+)\/src\/main\.js/.exec(line);
      if (m) pids.set(m[2], Number(m[1]));
    }
    return pids;
  };
  const healthy = async (port: number) => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; start-all said: ${stderr.slice(-2000)}`);
      await wait(100);
    }
  };

  beforeAll(async () => {
    ports.org = await freePort();
    ports.account = await freePort();
    ports.mfa = await freePort();
    supervisor = spawn(process.execPath, [join(repoRoot(), 'scripts/start-all.js')], {
      cwd: repoRoot(),
      env: {
        ...process.env,
        NODE_ENV: 'development',
        NODE_OPTIONS: '',
        LOG_LEVEL: 'error',
        PLATFORM_API_KEY,
        KEYS_DIR: mkdtempSync(join(tmpdir(), 'mfa-start-all-keys-')),
        ORG_API_PORT: String(ports.org),
        ACCOUNT_SERVICE_PORT: String(ports.account),
        MFA_SERVICE_PORT: String(ports.mfa),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    supervisor.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(
      'every service healthy',
      async () => (await healthy(ports.org)) && (await healthy(ports.account)) && (await healthy(ports.mfa)),
      60_000,
    );
  });
  afterAll(async () => {
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
      const pids = [...childPids().values()];
      supervisor.kill('SIGKILL');
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    }
  });

  it('org-service (128 MB old space) survives the worst bodies, with and without a key', async () => {
    const before = childPids().get('org-service');
    const url = `http://127.0.0.1:${ports.org}`;
    const post = (path: string, body: string, key?: string) =>
      fetch(url + path, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      });
    expect((await post('/v1/orgs', `[${'{},'.repeat(2_666_666)}{}]`)).status).toBe(401);
    const org = (await (await post('/v1/orgs', JSON.stringify({ name: 'start-all' }), PLATFORM_API_KEY)).json()) as {
      id: string;
      adminKey: { key: string };
    };
    const bulk = `/v1/orgs/${org.id}/members/bulk`;
    const worst = [
      `{"members":[${'{},'.repeat(699_000)}{}]}`,
      `{"members":[${'0,'.repeat(1_048_000)}0]}`,
      `{"members":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`,
    ];
    for (const body of worst) expect((await post(bulk, body, org.adminKey.key)).status).toBe(400);
    expect(await healthy(ports.org)).toBe(true);
    expect(childPids().get('org-service')).toBe(before);
  });

  it('a service killed with SIGKILL comes back; the others keep answering meanwhile', async () => {
    const before = childPids();
    process.kill(before.get('account-service')!, 'SIGKILL');
    let othersAlwaysUp = true;
    await until('account-service restarted', async () => {
      othersAlwaysUp &&= (await healthy(ports.org)) && (await healthy(ports.mfa));
      const now = childPids().get('account-service');
      return now !== undefined && now !== before.get('account-service') && (await healthy(ports.account));
    });
    expect(othersAlwaysUp).toBe(true);
    const after = childPids();
    expect(after.get('org-service')).toBe(before.get('org-service'));
    expect(after.get('mfa-service')).toBe(before.get('mfa-service'));
    expect(stderr).toMatch(/account-service \(pid \d+\) exited \(SIGKILL\).*restarting it in 1 s/);
  });

  it('SIGTERM stops everything cleanly, with no restart', async () => {
    const pids = [...childPids().values()];
    const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
    supervisor.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    const restarts = stderr.match(/restarting it/g) ?? [];
    expect(restarts).toHaveLength(1);
  });
});
