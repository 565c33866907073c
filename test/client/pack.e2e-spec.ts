import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addMember, createOrg, createServiceKey, startTestServices, type TestServices } from '@test/support';

/**
 * What someone outside this repository does: `npm pack` the client, install the tarball in a
 * fresh project, type-check and run a script that asks accounts.authorize of the running services.
 */
const root = resolve(__dirname, '../..');
const pkgDir = resolve(root, 'libs/client');
let s: TestServices;
let dir: string;

beforeAll(async () => {
  s = await startTestServices();
  dir = mkdtempSync(join(tmpdir(), 'mfa-client-pack-'));
});
afterAll(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

it('packs into a tarball that a fresh project installs, type-checks and uses', async () => {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: pkgDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [{ filename, files }] = JSON.parse(out.slice(out.indexOf('[')));
  const paths = files.map((f: { path: string }) => f.path);
  expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/client/src/index.js', 'dist/client/src/index.d.ts']));
  expect(paths.filter((p: string) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]); // no sources, no specs

  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'member-app', version: '1.0.0', private: true }));
  // offline: ioredis comes from this checkout's node_modules, the client from the tarball only
  execFileSync(
    'npm',
    ['install', join(dir, filename), `file:${join(root, 'node_modules/ioredis')}`, '--offline', '--no-audit', '--no-fund'],
    { cwd: app, stdio: 'pipe' },
  );

  const org = await createOrg(s.orgUrl, s.platformKey);
  const key = await createServiceKey(s.orgUrl, org, ['authorize']);
  const member = await addMember(s.orgUrl, org);
  writeFileSync(
    join(app, 'check.ts'),
    `import { MfaClient, MfaError, type AuthorizeReply } from '@mfa-platform/client';
const c = new MfaClient({ keyId: 'k', secret: 's' });
const r: Promise<AuthorizeReply> = c.accounts.authorize({ accountId: 'a', maxMfaAgeSeconds: 60 });
const e: string = new MfaError('timeout', 'x').code;
export { r, e };
`,
  );
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--types',
      'node',
      '--typeRoots',
      join(root, 'node_modules/@types'),
      'check.ts',
    ],
    { cwd: app, stdio: 'pipe' },
  );

  writeFileSync(
    join(app, 'authorize.js'),
    `const { MfaClient } = require('@mfa-platform/client');
const mfa = new MfaClient({ keyId: process.env.KEY_ID, secret: process.env.KEY_SECRET, redisUrl: process.env.REDIS_URL });
mfa.accounts.authorize({ accountId: process.argv[2] })
  .then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify({ error: e.code, name: e.name })))
  .finally(() => mfa.close());
`,
  );
  // async: the services answer from this process's event loop
  const run = async (accountId: string, secret = key.secret) =>
    JSON.parse(
      (
        await promisify(execFile)(process.execPath, ['authorize.js', accountId], {
          cwd: app,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, REDIS_URL: process.env.REDIS_URL, KEY_ID: key.id, KEY_SECRET: secret },
        })
      ).stdout,
    );
  expect(await run(member.id)).toMatchObject({ allowed: true, reason: 'ok', enforcement: { state: 'not_required' } });
  expect(await run(member.id, 'wrong')).toEqual({ error: 'unauthenticated', name: 'MfaError' });
});
