import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createOrg, createServiceKey, startTestServices, type TestOrg, type TestServiceKey, type TestServices } from '@test/support';
import { base32Decode } from '../../../apps/mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../../apps/mfa-service/src/methods/totp/totp';

/** The `mfa` CLI as a child process (the built dist/tools/cli/main.js) against the real services. */
const root = resolve(__dirname, '../../..');
const bin = join(root, 'dist/tools/cli/main.js');
let s: TestServices;
let org: TestOrg;
let key: TestServiceKey;
let dir: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Async on purpose: the services answer from this process's event loop. */
function mfa(args: string[], extra: NodeJS.ProcessEnv = {}, until?: (out: string) => boolean): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
      if (until?.(stdout)) child.kill('SIGINT');
    });
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
const json = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
  const r = await mfa([...args, '--output', 'json'], extra);
  if (r.code !== 0) throw new Error(`mfa ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const code = (secret: string, offset: number) => hotp(base32Decode(secret), timeStep(Date.now()) + offset);

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts/ensure-built.js')], { cwd: root, stdio: 'ignore' });
  s = await startTestServices();
  org = await createOrg(s.orgUrl, s.platformKey);
  key = await createServiceKey(s.orgUrl, org);
  dir = mkdtempSync(join(tmpdir(), 'mfa-cli-'));
  env = {
    PATH: process.env.PATH,
    MFA_CONFIG_FILE: join(dir, 'config.json'),
    MFA_API_URL: s.orgUrl,
    MFA_API_KEY: org.adminKey,
    MFA_ORG_ID: org.id,
    REDIS_URL: process.env.REDIS_URL,
    // on a cluster (npm run test:cluster): member commands take its nodes and the services' partitions
    REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES,
    BUS_PARTITIONS: process.env.BUS_PARTITIONS,
    MFA_SERVICE_KEY_ID: key.id,
    MFA_SERVICE_KEY_SECRET: key.secret,
  };
});
afterAll(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mfa (usage and exit codes)', () => {
  it('has --help on every command, exit 1 for usage errors naming the flag, 2 with the code for API errors', async () => {
    const help = await mfa(['--help']);
    expect(help.code).toBe(0);
    for (const c of [
      'orgs',
      'members',
      'policy',
      'report',
      'history',
      'audit',
      'rollouts',
      'devices',
      'sts',
      'service-keys',
      'api-keys',
      'exemptions',
      'groups',
    ])
      expect(help.stdout).toContain(c);
    for (const c of [
      ['members', 'import'],
      ['sts', 'get-session-token'],
      ['devices', 'create'],
      ['rollouts', 'watch'],
      ['policy', 'set'],
      ['policy', 'preview'],
      ['groups', 'create'],
      ['groups', 'list'],
      ['groups', 'members'],
      ['groups', 'delete'],
      ['groups', 'policy', 'set'],
    ]) {
      const r = await mfa([...c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--output');
    }
    const bad = await mfa(['members', 'list', '--limit', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--limit');
    const missing = await mfa(['devices', 'enable', '--account-id', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--serial-number');
    const both = await mfa(['devices', 'list', '--account-id', 'x'], { REDIS_URL: 'redis://h:1/5', REDIS_CLUSTER_NODES: 'h:7000' });
    expect(both).toMatchObject({ code: 1, stderr: expect.stringContaining('REDIS_URL and REDIS_CLUSTER_NODES: both set') });
    const badNodes = await mfa(['devices', 'list', '--account-id', 'x'], { REDIS_URL: undefined, REDIS_CLUSTER_NODES: 'h:7000,h' });
    expect(badNodes).toMatchObject({ code: 1, stderr: expect.stringContaining('entry 2 ("h") is not host:port') });
    const noKey = await mfa(['members', 'list'], { MFA_API_KEY: undefined });
    expect(noKey).toMatchObject({ code: 1, stderr: expect.stringContaining('MFA_API_KEY') });
    const notFound = await mfa(['members', 'get', '00000000-0000-4000-8000-000000000000']);
    expect(notFound.code).toBe(2);
    expect(notFound.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mfa: not_found: /)]);
    const wrongKey = await mfa(['devices', 'list', '--account-id', '00000000-0000-4000-8000-000000000000'], {
      MFA_SERVICE_KEY_SECRET: 'wrong',
    });
    expect(wrongKey).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mfa: unauthenticated: sig/) });
  });

  it('reads profiles from the config file, the environment winning', async () => {
    const r = await mfa(['configure', '--profile', 'ops', '--api-url', s.orgUrl, '--api-key', org.adminKey, '--org-id', org.id]);
    expect(r.code).toBe(0);
    expect(statSync(env.MFA_CONFIG_FILE!).mode & 0o777).toBe(0o600);
    const viaProfile = await mfa(['--profile', 'ops', 'orgs', 'get', '--output', 'json'], {
      MFA_API_KEY: undefined,
      MFA_ORG_ID: undefined,
      MFA_API_URL: undefined,
    });
    expect(viaProfile.code).toBe(0);
    expect(JSON.parse(viaProfile.stdout)).toMatchObject({ id: org.id });
    expect((await mfa(['--profile', 'nope', 'orgs', 'get'])).code).toBe(1);
  });
});

describe('mfa admin commands', () => {
  it('orgs, api keys and service keys', async () => {
    const created = await json(['orgs', 'create', '--name', 'cli org'], { MFA_API_KEY: s.platformKey });
    expect(created).toMatchObject({ name: 'cli org', adminKey: { key: expect.any(String) } });
    const table = await mfa(['orgs', 'get']);
    expect(table.stdout).toMatch(/^ID\s+NAME/);
    const auditor = await json(['api-keys', 'create', '--role', 'auditor', '--label', 'reports']);
    expect((await mfa(['members', 'add', '--email', 'x@example.test'], { MFA_API_KEY: auditor.key })).stderr).toMatch(/^mfa: forbidden/);
    expect((await mfa(['api-keys', 'revoke', auditor.id])).code).toBe(0);
    expect((await mfa(['members', 'add', '--email', 'search-me@example.test'])).code).toBe(0);
    const found = await json(['members', 'list', '--email', 'SEARCH-']);
    expect(found.items.map((m: { email: string }) => m.email)).toEqual(['search-me@example.test']);
    expect((await mfa(['members', 'list', '--email', 'x'.repeat(255)])).stderr).toMatch(/email/);
    const sk = await json(['service-keys', 'create', '--name', 'web', '--scopes', 'verify,authorize']);
    expect(sk).toMatchObject({ scopes: ['verify', 'authorize'], secret: expect.any(String) });
    expect((await json(['service-keys', 'list'])).items).toContainEqual(expect.objectContaining({ id: sk.id, revokedAt: null }));
    expect((await mfa(['service-keys', 'revoke', sk.id])).code).toBe(0);
  });

  it('imports 100,000 members from CSV, reporting bad rows by line, then lists, gets and removes', async () => {
    const lines = ['email,displayName,externalId'];
    for (let i = 0; i < 100_000; i++) lines.push(`m${i}@bulk.example.test,"Member, ${i}",ext-${i}`);
    lines[3] = 'not-an-email,Bad,';
    lines[50_002] = 'x@bulk.example.test,a,b,extra';
    lines[99_999] = ',no email,';
    const file = join(dir, 'members.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const started = Date.now();
    const r = await mfa(['members', 'import', file]);
    const took = Date.now() - started;
    expect(r.code).toBe(2); // some rows failed
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^line 4: email: "not-an-email"/),
      expect.stringMatching(/^line 50003: 4 fields/),
      expect.stringMatching(/^line 100000: email: ""/),
    ]);
    expect(r.stdout).toMatch(/ROWS\s+CREATED\s+EXISTING\s+FAILED\n100000\s+99997\s+0\s+3/);
    console.log(`imported 100,000 rows in ${took} ms`);
    // again (a few of the same rows): they exist now
    const small = join(dir, 'again.csv');
    writeFileSync(small, `${lines.slice(0, 6).join('\n')}\n`);
    const second = await mfa(['members', 'import', small, '--output', 'json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ rows: 5, created: 0, existing: 4, failed: 1, errors: [{ line: 4 }] });

    const page = await json(['members', 'list', '--limit', '2', '--state', 'not_required']);
    expect(page.items).toHaveLength(2);
    const one = await json(['members', 'get', page.items[0].id]);
    expect(one).toMatchObject({ id: page.items[0].id, devices: [] });
    const tbl = await mfa(['members', 'list', '--limit', '2']);
    expect(tbl.stdout).toMatch(/^ID\s+EMAIL/);
    expect(tbl.stdout).toContain('next: --cursor');
    expect((await mfa(['members', 'remove', page.items[0].id])).code).toBe(0);
    expect((await mfa(['members', 'get', page.items[0].id])).code).toBe(2);
  }, 400_000);

  it('policy, rollout watch, exemptions, report, history and audit', async () => {
    const small = await createOrg(s.orgUrl, s.platformKey);
    const e = { MFA_API_KEY: small.adminKey, MFA_ORG_ID: small.id };
    const m = await json(['members', 'add', '--email', 'ada@example.test', '--display-name', 'Ada'], e);
    expect(await json(['policy', 'get'], e)).toMatchObject({ version: 0, requireMfa: false });
    // preview: same flags as set, changes nothing
    const preview = await json(['policy', 'preview', '--require-mfa', '--grace-period-hours', '0', '--allowed-methods', 'totp'], e);
    expect(preview).toMatchObject({
      members: { total: 1, byStateNow: { not_required: 1 }, byStateAfter: { non_compliant: 1 } },
      blockedAt: [{ date: preview.at.slice(0, 10), count: 1 }],
      sample: [{ id: m.id, stateNow: 'not_required', enforcement: { state: 'non_compliant' } }],
    });
    const previewTable = await mfa(['policy', 'preview', '--require-mfa', '--grace-period-hours', '48'], e);
    expect(previewTable.code).toBe(0);
    expect(previewTable.stdout).toMatch(/STATE\s+NOW\s+AFTER/);
    expect(previewTable.stdout).toMatch(/pending\s+0\s+1/);
    expect(previewTable.stdout).toContain('ada@example.test');
    const badPreview = await mfa(['policy', 'preview', '--allowed-methods', 'carrier-pigeon'], e);
    expect(badPreview).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mfa: validation_failed: .*allowedMethods/) });
    expect(await json(['policy', 'get'], e)).toMatchObject({ version: 0, requireMfa: false });
    const set = await json(['policy', 'set', '--require-mfa', '--grace-period-hours', '48', '--allowed-methods', 'totp'], e);
    expect(set.policy).toMatchObject({ version: 1, requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp'] });
    const watched = await mfa(['rollouts', 'watch', set.rollout.id, '--interval', '100', '--output', 'json'], e);
    expect(watched.code).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({ id: set.rollout.id, status: 'completed', applied: 1, total: 1 });
    expect(watched.stderr).toBe(''); // no progress bar without a terminal
    const keep = await json(['policy', 'set', '--grace-period-hours', '0'], e);
    expect(keep.policy).toMatchObject({ version: 2, requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
    // secureMethodsOnly survives a set that does not name it (a PUT replaces the whole policy)
    expect((await json(['policy', 'set', '--secure-methods-only'], e)).policy).toMatchObject({ version: 3, secureMethodsOnly: true });
    expect((await json(['policy', 'set', '--grace-period-hours', '1'], e)).policy).toMatchObject({ version: 4, secureMethodsOnly: true });
    expect((await json(['policy', 'preview', '--no-secure-methods-only'], e)).members.total).toBe(1);
    expect((await json(['policy', 'set', '--no-secure-methods-only'], e)).policy).toMatchObject({ version: 5, secureMethodsOnly: false });
    const badPolicy = await mfa(['policy', 'set', '--allowed-methods', 'carrier-pigeon'], e);
    expect(badPolicy).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mfa: validation_failed: .*allowedMethods/) });
    const conditions = [{ actions: ['billing:*', 'repo:delete'], maxMfaAgeSeconds: 300 }];
    const withConditions = await json(['policy', 'set', '--conditions', JSON.stringify(conditions)], e);
    expect(withConditions.policy).toMatchObject({ version: 6, gracePeriodHours: 1, conditions });
    expect((await json(['policy', 'set', '--grace-period-hours', '2'], e)).policy).toMatchObject({ version: 7, conditions }); // kept
    expect(await mfa(['policy', 'set', '--conditions', '[{"actions":["ok","bad*x"],"maxMfaAgeSeconds":300}]'], e)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^mfa: validation_failed: conditions\[0\]\.actions\[1\]/),
    });
    expect((await mfa(['policy', 'set', '--conditions', '{nope'], e)).stderr).toMatch(/--conditions must be JSON/);
    expect((await mfa(['policy', 'set', '--conditions', '{}'], e)).stderr).toMatch(/--conditions must be a JSON array/);
    expect((await json(['policy', 'set', '--conditions', '[]'], e)).policy).toMatchObject({ version: 8, conditions: [] });

    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect(await json(['exemptions', 'set', '--account-id', m.id, '--until', until, '--reason', 'travel'], e)).toMatchObject({
      enforcement: { state: 'exempt' },
    });
    expect((await json(['exemptions', 'remove', '--account-id', m.id], e)).enforcement.state).not.toBe('exempt');

    expect(await json(['report'], e)).toMatchObject({ total: 1, byState: expect.any(Object) });
    expect(JSON.parse((await mfa(['report', '--format', 'json'], e)).stdout)).toMatchObject({ total: 1 });
    const csv = await mfa(['report', '--format', 'csv'], e);
    expect(csv.stdout.split('\n')[0]).toBe(
      'account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until,only_sms,groups',
    );
    expect(csv.stdout).toContain('ada@example.test');
    expect((await mfa(['report'], e)).stdout).toMatch(/COMPLIANTPERCENT/);
    expect(await json(['history', '--days', '7'], e)).toEqual({ items: expect.any(Array) });
    expect((await mfa(['history'], e)).code).toBe(0);

    const audit = await json(['audit', '--limit', '50'], e);
    expect(audit.items.map((a: any) => a.action)).toEqual(expect.arrayContaining(['member.added', 'policy.updated', 'exemption.set']));
    // --follow prints what exists, then new events as they happen
    const follow = mfa(['audit', '--follow', '--interval', '1', '--output', 'json'], e, (out) => out.includes('"member.removed"'));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await mfa(['members', 'remove', m.id], e)).code).toBe(0);
    const followed = await follow;
    expect(followed.stdout).toContain('"member.added"');
    expect(followed.stdout).toContain('"member.removed"');
  }, 300_000);
});

describe('mfa groups', () => {
  it('creates, lists, fills, previews, sets a policy, empties and deletes a group; table and json; bad input and another org', async () => {
    const small = await createOrg(s.orgUrl, s.platformKey);
    const e = { MFA_API_KEY: small.adminKey, MFA_ORG_ID: small.id };
    const ada = await json(['members', 'add', '--email', 'ada@example.test'], e);
    const bob = await json(['members', 'add', '--email', 'bob@example.test'], e);
    const cy = await json(['members', 'add', '--email', 'cy@example.test'], e);
    await json(['policy', 'set', '--no-require-mfa', '--grace-period-hours', '0', '--allowed-methods', 'totp,webauthn'], e);

    const g = await json(['groups', 'create', '--name', 'admins'], e);
    expect(g).toMatchObject({ name: 'admins', memberCount: 0, policy: null });
    const created = await mfa(['groups', 'create', '--name', 'billing'], e);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/NAME\s+MEMBERCOUNT[^\n]*\n\S+\s+billing\s+0/);
    const billing = (await json(['groups', 'list'], e)).items.find((x: { name: string }) => x.name === 'billing');
    const listed = await mfa(['groups', 'list'], e);
    expect(listed.stdout).toMatch(/ID\s+NAME\s+MEMBERCOUNT/);
    expect(listed.stdout).toContain('admins');
    const paged = await json(['groups', 'list', '--limit', '1'], e);
    expect(paged.items).toHaveLength(1);
    expect((await json(['groups', 'list', '--limit', '1', '--cursor', paged.nextCursor], e)).items).toHaveLength(1);

    expect(await json(['groups', 'members', '--group-id', g.id, '--add', `${ada.id},${bob.id}`], e)).toMatchObject({ memberCount: 2 });
    const members = await mfa(['groups', 'members', '--group-id', g.id, '--add', cy.id, '--remove', bob.id], e);
    expect(members.code).toBe(0);
    expect(members.stdout).toMatch(/\s+admins\s+2\s+/);

    // preview of the group's policy: its members only; a group without a policy starts from the org's
    const preview = await json(['policy', 'preview', '--group-id', g.id, '--require-mfa', '--grace-period-hours', '0'], e);
    expect(preview.members).toMatchObject({ total: 2, byStateNow: { not_required: 2 }, byStateAfter: { non_compliant: 2 } });
    expect(preview.sample.map((m: { id: string }) => m.id).sort()).toEqual([ada.id, cy.id].sort());
    const previewTable = await mfa(['policy', 'preview', '--group-id', g.id, '--require-mfa', '--grace-period-hours', '48'], e);
    expect(previewTable.stdout).toMatch(/pending\s+0\s+2/);
    // nothing changed
    expect((await json(['groups', 'list'], e)).items.find((x: { id: string }) => x.id === g.id).policy).toBeNull();

    const conditions = [{ actions: ['billing:*'], maxMfaAgeSeconds: 300 }];
    const set = await json(
      [
        'groups',
        'policy',
        'set',
        '--group-id',
        g.id,
        '--require-mfa',
        '--grace-period-hours',
        '24',
        '--conditions',
        JSON.stringify(conditions),
      ],
      e,
    );
    expect(set.policy).toMatchObject({
      groupId: g.id,
      version: 1,
      requireMfa: true,
      gracePeriodHours: 24,
      allowedMethods: ['totp', 'webauthn'],
      conditions,
    });
    const watched = await mfa(['rollouts', 'watch', set.rollout.id, '--interval', '100', '--output', 'json'], e);
    expect(JSON.parse(watched.stdout)).toMatchObject({ status: 'completed', total: 2 });
    // unset flags keep the group's value
    const keep = await mfa(['groups', 'policy', 'set', '--group-id', g.id, '--grace-period-hours', '12'], e);
    expect(keep.code).toBe(0);
    expect(keep.stdout).toMatch(new RegExp(`${g.id}\\s+2\\s+true\\s+12\\s`));
    expect(keep.stdout).toContain('rollout ');
    expect((await json(['members', 'get', ada.id], e)).enforcement).toMatchObject({ state: 'pending', groups: [g.id] });
    // the org's policy is untouched
    expect(await json(['policy', 'get'], e)).toMatchObject({ requireMfa: false });

    // refused like the API refuses: an empty intersection with another group sharing a member, named by field
    await json(['groups', 'members', '--group-id', billing.id, '--add', ada.id], e);
    await json(['groups', 'policy', 'set', '--group-id', billing.id, '--allowed-methods', 'totp'], e);
    const clash = await mfa(['groups', 'policy', 'set', '--group-id', g.id, '--allowed-methods', 'webauthn'], e);
    expect(clash).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mfa: validation_failed: allowedMethods: .*group/) });
    const clashPreview = await mfa(['policy', 'preview', '--group-id', g.id, '--allowed-methods', 'webauthn'], e);
    expect(clashPreview.stderr).toBe(clash.stderr);

    // usage errors (exit 1) and API errors (exit 2)
    expect(await mfa(['groups', 'members', '--group-id', g.id], e)).toMatchObject({ code: 1, stderr: expect.stringContaining('--add') });
    expect(await mfa(['groups', 'create'], e)).toMatchObject({ code: 1, stderr: expect.stringContaining('--name') });
    expect(await mfa(['groups', 'policy', 'set', '--require-mfa'], e)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--group-id'),
    });
    expect(await mfa(['groups', 'list', '--limit', '5000'], e)).toMatchObject({ code: 1, stderr: expect.stringContaining('--limit') });
    expect(await mfa(['groups', 'members', '--group-id', g.id, '--add', 'not-an-id'], e)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^mfa: validation_failed: /),
    });
    expect(await mfa(['groups', 'create', '--name', 'x'.repeat(10_000)], e)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^mfa: validation_failed: .*name/),
    });
    // another org's key: its groups are not found
    const other = await createOrg(s.orgUrl, s.platformKey);
    const o = { MFA_API_KEY: other.adminKey, MFA_ORG_ID: other.id };
    for (const args of [
      ['groups', 'members', '--group-id', g.id, '--add', ada.id],
      ['groups', 'delete', '--group-id', g.id],
      ['groups', 'policy', 'set', '--group-id', g.id, '--require-mfa'],
      ['policy', 'preview', '--group-id', g.id],
    ])
      expect([args.join(' '), (await mfa(args, o)).stderr]).toEqual([args.join(' '), expect.stringMatching(/^mfa: not_found: /)]);

    const emptied = await json(['groups', 'members', '--group-id', g.id, '--remove', `${ada.id},${cy.id}`], e);
    expect(emptied.memberCount).toBe(0);
    expect((await json(['members', 'get', ada.id], e)).enforcement).toMatchObject({ groups: [billing.id] });
    const deleted = await mfa(['groups', 'delete', '--group-id', g.id], e);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(g.id);
    expect(await json(['groups', 'delete', '--group-id', billing.id], e)).toEqual({ deleted: billing.id });
    expect((await json(['groups', 'list'], e)).items).toEqual([]);
    expect((await mfa(['groups', 'delete', '--group-id', g.id], e)).stderr).toMatch(/^mfa: not_found: /);
  }, 120_000);
});

describe('mfa member commands', () => {
  it('enrolls a TOTP device (QR in the terminal), lists it, caches session tokens until they expire, and an admin resets it', async () => {
    const m = await json(['members', 'add', '--email', `totp-${Date.now()}@example.test`]);
    const qr = await mfa(['devices', 'create', '--account-id', m.id, '--type', 'totp', '--name', 'phone']);
    expect(qr.code).toBe(0);
    expect(qr.stdout).toMatch(/[▀▄█]/); // the QR code, drawn with block characters
    const dev = await json(['devices', 'create', '--account-id', m.id, '--type', 'totp', '--name', 'phone 2']);
    expect(dev).toMatchObject({ status: 'pending', otpauthUri: expect.stringMatching(/^otpauth:/) });
    const enabled = await json([
      'devices',
      'enable',
      '--account-id',
      m.id,
      '--serial-number',
      dev.serialNumber,
      '--code1',
      code(dev.secretBase32, -1),
      '--code2',
      code(dev.secretBase32, 0),
    ]);
    expect(enabled).toMatchObject({ status: 'active' });
    const listed = await json(['devices', 'list', '--account-id', m.id]);
    expect(listed.items.map((d: any) => d.status).sort()).toEqual(['active', 'pending']);
    expect((await mfa(['devices', 'list', '--account-id', m.id])).stdout).toMatch(/^SERIALNUMBER\s+TYPE/);

    const sts = [
      'sts',
      'get-session-token',
      '--account-id',
      m.id,
      '--serial-number',
      dev.serialNumber,
      '--token-code',
      code(dev.secretBase32, 1),
      '--duration-seconds',
      '900',
    ];
    const first = await json(sts);
    expect(first).toMatchObject({ token: expect.any(String), expiresAt: expect.any(String), mfaAuthenticatedAt: expect.any(String) });
    const cacheDir = join(dir, 'cache');
    const [cached] = readdirSync(cacheDir);
    expect(statSync(join(cacheDir, cached)).mode & 0o777).toBe(0o600);
    // the same code again would be a replay: the cache answers instead of the bus
    expect(await json(sts)).toEqual(first);
    // ...but only for that code: a wrong code with the same account, device and duration is asked of the bus (and refused; this is the failed code this test can spare before a lockout)
    const wrongCached = await mfa([...sts.slice(0, -3), '000000', '--duration-seconds', '900']);
    expect(wrongCached).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mfa: invalid_code/) });
    // an expired entry is not used: the bus is asked again (and refuses the replayed code)
    writeFileSync(join(cacheDir, cached), JSON.stringify({ ...first, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const expired = await mfa([...sts, '--output', 'json']);
    expect(expired).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mfa: invalid_code/) });
    expect(JSON.parse(readFileSync(join(cacheDir, cached), 'utf8')).expiresAt < new Date().toISOString()).toBe(true);

    // a clock 5 steps ahead: diagnose names the skew and the resync that fixes it (one line per finding)
    const diag = await mfa([
      'devices',
      'diagnose',
      '--account-id',
      m.id,
      '--serial-number',
      dev.serialNumber,
      '--token-code',
      code(dev.secretBase32, 5),
      '--action',
      'export',
    ]);
    expect(diag.code).toBe(0);
    expect(diag.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^clock_skew\\s+${dev.serialNumber} .*steps=\\d+.* -> mfa devices resync --account-id ${m.id} --serial-number ${dev.serialNumber} `,
        ),
      ),
    ]);
    expect(await json(['devices', 'diagnose', '--account-id', m.id, '--token-code', '12345', '--action', 'export'])).toEqual({
      action: 'export',
      findings: [expect.objectContaining({ code: 'pending_device' }), expect.objectContaining({ code: 'invalid_code' })],
    });
    // diagnosing burned the future code: the resync takes it and the next one, as the printed command says
    const resynced = await json([
      'devices',
      'resync',
      '--account-id',
      m.id,
      '--serial-number',
      dev.serialNumber,
      '--code1',
      code(dev.secretBase32, 5),
      '--code2',
      code(dev.secretBase32, 6),
    ]);
    expect(resynced).toMatchObject({ status: 'active' });
    expect(
      (await mfa(['devices', 'diagnose', '--account-id', m.id, '--token-code', '123456'], { MFA_SERVICE_KEY_SECRET: 'wrong' })).code,
    ).toBe(2);

    expect((await mfa(['devices', 'reset', '--account-id', m.id, '--serial-number', dev.serialNumber])).code).toBe(0);
    expect(
      (await json(['devices', 'list', '--account-id', m.id])).items.find((d: any) => d.serialNumber === dev.serialNumber),
    ).toMatchObject({ status: 'deactivated' });
  }, 300_000);
});
