/**
 * The console and the enrollment page in a real Chromium (Debian's, driven by playwright-core),
 * end to end against the real services in this process. One browser for the whole file.
 * Screenshots of every page go to test-results/screenshots/ (gitignored).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { loadConfig } from '@mfa/config';
import { Patterns, type Device } from '@mfa/contracts';
import { startService, type RunningService } from '@mfa/observability';
import {
  addMembers,
  createApiKey,
  createOrg,
  createServiceKey,
  memberRows,
  memberServiceBus,
  startTestServices,
  waitFor,
  deleteMatching,
  testRedis,
  type TestOrg,
  type TestServices,
} from '@test/support';
import { hashLinkToken } from '../../mfa-service/src/enrollment-links/enrollment-links.service';
import { SmsOutboxRepository } from '../../mfa-service/src/sms/sms-outbox.repository';
import { WebEnv } from '../src/config/web.env';
import { webApp } from '../src/web.app';
import { check, freePort } from './console-stack';

const shots = join(__dirname, '../../../test-results/screenshots');
let services: TestServices;
let web: RunningService;
let webUrl: string;
let back: Server;
let backUrl: string;
let browser: Browser;
let redis: Redis;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  back = createServer((_, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Example app</title><p>Back in the app</p>'),
  ).listen(0, '127.0.0.1');
  await new Promise((r) => back.once('listening', r));
  backUrl = `http://127.0.0.1:${(back.address() as AddressInfo).port}`;
  const port = await freePort();
  // localhost, not 127.0.0.1: a passkey's RP id must be a domain of the page's origin (docs/web.md)
  webUrl = `http://localhost:${port}`;
  services = await startTestServices({
    env: { WEB_PUBLIC_URL: webUrl, WEB_ALLOWED_RETURN_ORIGINS: backUrl, WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: webUrl },
  });
  web = await startService(
    webApp,
    loadConfig(WebEnv, {
      ...process.env,
      WEB_PORT: String(port),
      ORG_API_URL: services.orgUrl,
      WEB_PUBLIC_URL: webUrl,
      WEB_SIGNIN_PER_MINUTE: '8',
    }),
  );
  // the machine is shared: generous waits, so a slow moment is not a failure
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'],
  });
  redis = testRedis() as Redis; // a Cluster (npm run test:cluster) has the same command methods
});

afterAll(async () => {
  await browser?.close();
  await web?.app.close();
  await services?.close();
  redis?.disconnect();
  back?.close();
});

async function signIn(page: Page, org: TestOrg, key = org.adminKey): Promise<void> {
  await page.goto(`${webUrl}/console`);
  await page.getByLabel('Organization ID').fill(org.id);
  await page.getByLabel('API key').fill(key);
  await go(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  expect(page.url()).toBe(`${webUrl}/console`);
}

/** Codes from an independent generator (oathtool): the previous time step's and the current one's. */
function twoCodes(keyText: string): [string, string] {
  const now = Math.floor(Date.now() / 1000);
  const [a, b] = execFileSync('oathtool', ['--totp', '-b', '-w', '1', '--now', `@${now - 30}`, keyText.replace(/\s+/g, '')], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
  return [a, b];
}

let org: TestOrg;

/** Clicks what submits a form or follows a link, and waits for the page it leads to. */
async function go(page: Page, target: ReturnType<Page['locator']>): Promise<void> {
  await Promise.all([page.waitForNavigation(), target.click()]);
}

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

describe('admin console', () => {
  it('signs in, turns MFA on, watches the rollout reach 100 % and the chart change', async () => {
    org = await createOrg(services.orgUrl, services.platformKey, 'Example Corp');
    await addMembers(services.orgUrl, org, 12);
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await page.goto(`${webUrl}/console`);
    expect(page.url()).toBe(`${webUrl}/console/sign-in`);
    const headers = first!.headers();
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['cache-control']).toBe('no-store');
    await check(page, 'console-sign-in');

    await page.getByLabel('Organization ID').fill(org.id);
    await page.getByLabel('API key').fill('mfak_00000000-0000-4000-8000-000000000000_' + 'A'.repeat(43));
    await go(page, page.getByRole('button', { name: 'Sign in', exact: true }));
    expect(await textOf(page, '[role=alert]')).toMatch(/do not match/);

    await signIn(page, org);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'mfa_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(JSON.stringify(cookies)).not.toContain(org.adminKey);
    expect(await page.locator('[data-state="not_required"]').textContent()).toBe('12');
    await check(page, 'console-overview-before');

    await go(page, page.getByRole('link', { name: 'Policy', exact: true }));
    await check(page, 'console-policy');
    await page.getByLabel('Require MFA for every member').check();
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('72');
    await page.getByLabel('Text message (SMS)').uncheck();
    // a bad condition: the admin API's message names the entry, nothing is saved
    const conditionsBox = page.getByLabel('Per-action conditions (JSON; empty: none)');
    await conditionsBox.fill('[{"actions": ["billing:*", "bad*x"], "maxMfaAgeSeconds": 300}]');
    await go(page, page.getByRole('button', { name: 'Save the policy', exact: true }));
    expect(await page.textContent('body')).toContain('conditions[0].actions[1] must be');
    await page.goto(`${webUrl}/console/policy`);
    await page.getByLabel('Require MFA for every member').check();
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('72');
    await page.getByLabel('Text message (SMS)').uncheck();
    await conditionsBox.fill('[{"actions": ["billing:*"], "maxMfaAgeSeconds": 300}]');
    await go(page, page.getByRole('button', { name: 'Save the policy', exact: true }));
    expect(page.url()).toBe(`${webUrl}/console`);
    expect((await request(services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.conditions).toEqual([
      { actions: ['billing:*'], maxMfaAgeSeconds: 300 },
    ]);
    // the script polls progress.json until the rollout completes
    await page.locator('#rollout[data-status="completed"]').waitFor({ timeout: 90_000 });
    expect(await textOf(page, '#rollout-text')).toBe('completed: 12 of 12 (100%)');
    await page.reload();
    expect(await page.locator('[data-state="pending"]').textContent()).toBe('12');
    expect(await page.locator('[data-state="not_required"]').textContent()).toBe('0');
    await check(page, 'console-overview-rollout');

    await go(page, page.getByRole('link', { name: 'Members', exact: true }));
    await page.getByLabel('State').selectOption('pending');
    await go(page, page.getByRole('button', { name: 'Filter', exact: true }));
    expect(await page.locator('tbody tr').count()).toBe(12);
    await check(page, 'console-members');

    await go(page, page.getByRole('link', { name: 'Service keys', exact: true }));
    await page.getByLabel('Name').fill('checkout app');
    await page.getByLabel('enroll', { exact: true }).check();
    await go(page, page.getByRole('button', { name: 'Create service key', exact: true }));
    expect(await page.getByLabel('Secret').inputValue()).toMatch(/^mfask_/);
    await check(page, 'console-service-keys');
    await page.goto(`${webUrl}/console/service-keys`);
    expect(await page.getByLabel('Secret').count()).toBe(0);

    await go(page, page.getByRole('link', { name: 'API keys', exact: true }));
    await check(page, 'console-api-keys');
    await go(page, page.getByRole('link', { name: 'Audit log', exact: true }));
    await page.getByLabel('Action').selectOption('policy.updated');
    await go(page, page.getByRole('button', { name: 'Filter', exact: true }));
    expect(await page.locator('tbody tr').count()).toBe(1);
    await check(page, 'console-audit');

    const csv = await page.request.get(`${webUrl}/console/report.csv`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).split('\n')[0]).toBe(
      'account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until,only_sms,groups',
    );

    await go(page, page.getByRole('button', { name: 'Sign out', exact: true }));
    expect(page.url()).toBe(`${webUrl}/console/sign-in`);
    // the old cookie is worth nothing now
    const replay = await request(webUrl).get('/console').set('Cookie', `mfa_console=${session.value}`);
    expect(replay.status).toBe(303);
    await context.close();
  });
});

describe('enrollment page', () => {
  it('a member opens a link, enrolls with codes made from the key on the page, saves recovery codes and is sent back; the admin then resets the device', async () => {
    const key = await createServiceKey(services.orgUrl, org, ['enroll']);
    const member = (await request(services.orgUrl).get(`/v1/orgs/${org.id}/members?limit=1`).set(org.auth)).body.items[0];
    const svc = memberServiceBus(key);
    const link = await svc.bus.send(Patterns.MfaEnrollmentLinksCreate, { accountId: member.id, returnUrl: `${backUrl}/settings` });
    await svc.close();
    expect(link.url.startsWith(`${webUrl}/enroll/`)).toBe(true);

    const context = await browser.newContext();
    const page = await context.newPage();
    const opened = await page.goto(link.url);
    expect(opened!.headers()['referrer-policy']).toBe('no-referrer');
    await check(page, 'enroll-start');
    await go(page, page.getByRole('button', { name: 'Start', exact: true }));
    // the link token is gone from the address bar
    expect(page.url()).toBe(`${webUrl}/enroll`);
    expect(await page.getByRole('heading', { name: 'Text message' }).count()).toBe(0); // the policy allows TOTP only
    await check(page, 'enroll-choose');
    await go(page, page.getByRole('button', { name: 'Set up an authenticator app', exact: true }));
    const keyText = await textOf(page, '#totp-key');
    expect(keyText).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    await check(page, 'enroll-totp');
    // a wrong pair is refused on the page
    await page.getByLabel('First code').fill('000000');
    await page.getByLabel('Next code').fill('000000');
    await go(page, page.getByRole('button', { name: 'Turn on', exact: true }));
    expect(await textOf(page, '[role=alert]')).not.toBe('');
    const [code1, code2] = twoCodes(keyText);
    await page.getByLabel('First code').fill(code1);
    await page.getByLabel('Next code').fill(code2);
    await go(page, page.getByRole('button', { name: 'Turn on', exact: true }));
    const codes = await page.locator('#recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    await check(page, 'enroll-recovery-codes');
    await page.getByLabel('I have saved my recovery codes').check();
    await go(page, page.getByRole('button', { name: 'Continue', exact: true }));
    await check(page, 'enroll-done');
    await go(page, page.getByRole('link', { name: /Go back to/ }));
    expect(page.url()).toBe(`${backUrl}/settings`);
    // the page session ended with the last step
    expect((await page.goto(`${webUrl}/enroll`))!.status()).toBe(401);

    // the link works once
    await page.goto(link.url);
    await go(page, page.getByRole('button', { name: 'Start', exact: true }));
    expect(await textOf(page, 'h1')).toBe('This link was already used');
    await check(page, 'enroll-link-used');

    // an expired link says so
    const svc2 = memberServiceBus(key);
    const late = await svc2.bus.send(Patterns.MfaEnrollmentLinksCreate, { accountId: member.id });
    await svc2.close();
    await redis.hset(`mfa:enrollment-link:${hashLinkToken(late.url.split('/').pop()!)}`, 'expiresAtMs', String(Date.now() - 1));
    await page.goto(late.url);
    await go(page, page.getByRole('button', { name: 'Start', exact: true }));
    expect(await textOf(page, 'h1')).toBe('This link has expired');
    await context.close();

    // the admin sees the device and resets it, after a confirmation naming it
    const admin = await (await browser.newContext()).newPage();
    await signIn(admin, org);
    await admin.goto(`${webUrl}/console/members/${member.id}`);
    expect(await textOf(admin, '#member-state')).toBe('Compliant');
    await check(admin, 'console-member');
    await go(admin, admin.getByRole('link', { name: 'Reset Authenticator app' }));
    expect(await textOf(admin, '#device-name')).toBe('Authenticator app');
    await check(admin, 'console-confirm-reset');
    await go(admin, admin.getByRole('button', { name: 'Reset Authenticator app', exact: true }));
    expect(await textOf(admin, '[role=status]')).toBe('The device was reset.');
    expect(await textOf(admin, '#member-state')).toBe('Pending');
    await admin.context().close();
  });
});

describe('all methods allowed: search, passkey, phone', () => {
  let org2: TestOrg;
  let enrollKey: Awaited<ReturnType<typeof createServiceKey>>;
  const api = () => request(services.orgUrl);

  beforeAll(async () => {
    org2 = await createOrg(services.orgUrl, services.platformKey, 'Passkey Corp');
    const members = [
      { email: 'ada@example.test', displayName: 'Ada' },
      { email: 'adam@example.test', displayName: 'Adam' },
      { email: 'bob@example.test', displayName: 'Bob' },
      ...memberRows(60, 'page'),
    ];
    expect((await api().post(`/v1/orgs/${org2.id}/members/bulk`).set(org2.auth).send({ members })).status).toBe(201);
    const put = await api()
      .put(`/v1/orgs/${org2.id}/mfa-policy`)
      .set(org2.auth)
      .send({ requireMfa: true, gracePeriodHours: 72, allowedMethods: ['totp', 'sms', 'webauthn'] });
    expect(put.status).toBe(202);
    await waitFor(
      async () => (await api().get(`/v1/orgs/${org2.id}/rollouts/${put.body.rollout.id}`).set(org2.auth)).body.status === 'completed',
      60_000,
    );
    enrollKey = await createServiceKey(services.orgUrl, org2, ['enroll']);
  });

  async function memberByEmail(email: string): Promise<{ id: string }> {
    return (
      await api()
        .get(`/v1/orgs/${org2.id}/members?email=${encodeURIComponent(email)}&limit=1`)
        .set(org2.auth)
    ).body.items[0];
  }

  async function linkFor(accountId: string): Promise<string> {
    const svc = memberServiceBus(enrollKey);
    try {
      return (await svc.bus.send(Patterns.MfaEnrollmentLinksCreate, { accountId })).url;
    } finally {
      await svc.close();
    }
  }

  async function devicesOf(accountId: string): Promise<Device[]> {
    return (await api().get(`/v1/orgs/${org2.id}/members/${accountId}`).set(org2.auth)).body.devices;
  }

  it('the console searches members by email, and pages through a search', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, org2);
    await go(page, page.getByRole('link', { name: 'Members', exact: true }));
    await page.getByLabel('Email starts with').fill('ADA');
    await go(page, page.getByRole('button', { name: 'Filter', exact: true }));
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['ada@example.test', 'adam@example.test']);
    await check(page, 'console-members-search');

    // keyset paging keeps the search: 50 of the 60 page-* members, then the other 10, in email order
    await page.getByLabel('Email starts with').fill('page-');
    await page.getByLabel('State').selectOption('pending');
    await go(page, page.getByRole('button', { name: 'Filter', exact: true }));
    const first = await page.locator('tbody tr td:first-child').allTextContents();
    expect(first).toHaveLength(50);
    await go(page, page.getByRole('link', { name: 'Next page' }));
    expect(new URL(page.url()).searchParams.get('email')).toBe('page-');
    const second = await page.locator('tbody tr td:first-child').allTextContents();
    expect(second).toHaveLength(10);
    const all = [...first, ...second];
    expect(all).toEqual(
      memberRows(60, 'page')
        .map((m) => m.email)
        .sort(),
    );
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
    await go(page, page.getByRole('link', { name: 'First page' }));
    expect(await page.locator('tbody tr').count()).toBe(50);

    await page.getByLabel('Email starts with').fill('nobody-here');
    await go(page, page.getByRole('button', { name: 'Filter', exact: true }));
    expect(await textOf(page, 'tbody td')).toBe('No member matches.');
    // hostile input reaches the API's checks and comes back as a page, not a 500
    expect((await page.goto(`${webUrl}/console/members?email=${'a'.repeat(5000)}`))!.status()).toBe(400);
    expect((await page.goto(`${webUrl}/console/members?email=a&cursor=garbage`))!.status()).toBe(400);
    await context.close();
  });

  it("a member enrolls a passkey with Chromium's virtual authenticator, end to end", async () => {
    const member = await memberByEmail('ada@');
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto(await linkFor(member.id));
    await go(page, page.getByRole('button', { name: 'Start', exact: true }));
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([
      'Authenticator app',
      'Text message',
      'Passkey or security key',
    ]);
    await check(page, 'enroll-choose-all');
    await go(page, page.getByRole('button', { name: 'Set up a passkey', exact: true }));
    expect(await page.locator('#passkey-form[data-webauthn=create]').getAttribute('data-options')).toContain(
      '"rp":{"name":"MFA Platform","id":"localhost"}',
    );
    await check(page, 'enroll-passkey');

    // what a broken or hostile page would post is refused on the page; the device stays pending
    const _csrf = await page.locator('#passkey-form input[name=_csrf]').inputValue();
    for (const registrationResponse of ['not json', '[1]', JSON.stringify({ id: 'x', rawId: 'x', type: 'public-key', response: {} })]) {
      const res = await page.request.post(`${webUrl}/enroll/enable`, { form: { _csrf, registrationResponse }, maxRedirects: 0 });
      expect(res.status()).toBe(400);
      expect(await res.text()).toContain('role="alert"');
    }
    expect((await devicesOf(member.id)).map((d) => [d.type, d.status])).toEqual([['webauthn', 'pending']]);

    await go(page, page.getByRole('button', { name: 'Create the passkey', exact: true }));
    expect(await page.locator('#recovery-codes code').count()).toBe(10);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0].rpId).toBe('localhost');
    expect((await devicesOf(member.id)).map((d) => [d.type, d.status, d.name])).toEqual([['webauthn', 'active', 'Passkey']]);
    await page.getByLabel('I have saved my recovery codes').check();
    await go(page, page.getByRole('button', { name: 'Continue', exact: true }));
    expect(await textOf(page, '[role=status]')).toBe('Two-step verification is on for your account.');

    // a second link: her passkey confirms it is her (navigator.credentials.get, mfa.sessions.issue
    // with the assertion); a forged assertion first is refused on the page
    await page.goto(await linkFor(member.id));
    await go(page, page.getByRole('button', { name: 'Start', exact: true }));
    await go(page, page.getByRole('button', { name: 'Use a passkey', exact: true }));
    await check(page, 'enroll-step-up-passkey');
    const forged = await page.request.post(`${webUrl}/enroll/step-up`, {
      form: { _csrf: await page.locator('#passkey-form input[name=_csrf]').inputValue(), assertion: '{"id":"x","response":{}}' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(400);
    expect(await forged.text()).toContain('did not answer with a passkey');
    // the challenge was not spent by a credential that is not hers: the page's own still works
    await go(page, page.getByRole('button', { name: 'Confirm with your passkey', exact: true }));
    // then the same authenticator is refused by the browser (the account's credentials are
    // excluded): the page says so and stays
    await go(page, page.getByRole('button', { name: 'Set up a passkey', exact: true }));
    await page.getByRole('button', { name: 'Create the passkey', exact: true }).click();
    await page.locator('#passkey-status:not([hidden])').waitFor({ timeout: 60_000 });
    expect(await textOf(page, '#passkey-status')).toMatch(/already set up/);
    await check(page, 'enroll-passkey-refused');
    expect(page.url()).toBe(`${webUrl}/enroll`);
    expect((await devicesOf(member.id)).map((d) => d.status).sort()).toEqual(['active', 'pending']);
    await context.close();
  });

  it('a member enrolls a phone with the code from the dev SMS outbox', async () => {
    const member = await memberByEmail('bob@');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(await linkFor(member.id));
    await go(page, page.getByRole('button', { name: 'Start', exact: true }));
    // what the form's pattern would stop, posted anyway, is refused on the page (never a 500)
    const _csrf = await page.locator('form[action="/enroll/sms"] input[name=_csrf]').inputValue();
    for (const phoneNumber of ['+1234567', 'x'.repeat(5000)]) {
      const res = await page.request.post(`${webUrl}/enroll/sms`, { form: { _csrf, phoneNumber }, maxRedirects: 0 });
      expect(res.status()).toBe(400);
      expect(await res.text()).toContain('E.164');
    }
    expect(await devicesOf(member.id)).toEqual([]);
    await page.getByLabel(/Phone number with country code/).fill('+14155550123');
    await go(page, page.getByRole('button', { name: 'Send me a code', exact: true }));
    await check(page, 'enroll-sms-code');
    const [device] = await devicesOf(member.id);
    expect([device.type, device.status]).toEqual(['sms', 'pending']);
    const [message] = await services.mfa!.app.get(SmsOutboxRepository).read({ serialNumber: device.serialNumber, limit: 1 });
    const code = /(\d{6})/.exec(message.body)![1];
    await page.getByLabel('Code from the text message').fill(code === '000000' ? '111111' : '000000');
    await go(page, page.getByRole('button', { name: 'Turn on', exact: true }));
    expect(await textOf(page, '[role=alert]')).not.toBe('');
    await page.getByLabel('Code from the text message').fill(code);
    await go(page, page.getByRole('button', { name: 'Turn on', exact: true }));
    expect(await page.locator('#recovery-codes code').count()).toBe(10);
    expect((await devicesOf(member.id)).map((d) => [d.type, d.status])).toEqual([['sms', 'active']]);
    await page.getByLabel('I have saved my recovery codes').check();
    await go(page, page.getByRole('button', { name: 'Continue', exact: true }));
    expect(await textOf(page, 'main p')).toBe('Two-step verification is on for your account.');
    await context.close();
  });
});

describe('refusals', () => {
  it('refuses a form without its CSRF token, and an auditor changes nothing', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, org);
    // signed in, but the form's token is missing or wrong: 403, nothing changed
    const before = (await request(services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version;
    const forms: Array<Record<string, string>> = [
      { requireMfa: 'on', gracePeriodHours: '1', allowedMethods: 'totp' },
      { _csrf: 'forged', requireMfa: 'on', gracePeriodHours: '1', allowedMethods: 'totp' },
    ];
    for (const form of forms) {
      const res = await page.request.post(`${webUrl}/console/policy`, { form, maxRedirects: 0 });
      expect(res.status()).toBe(403);
    }
    expect((await request(services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version).toBe(before);
    await context.close();

    const auditorKey = await createApiKey(services.orgUrl, org, 'auditor');
    const ctx = await browser.newContext();
    const auditor = await ctx.newPage();
    await signIn(auditor, org, auditorKey.key);
    await auditor.goto(`${webUrl}/console/policy`);
    expect(await auditor.getByRole('button', { name: 'Save the policy' }).count()).toBe(0);
    await check(auditor, 'console-policy-auditor');
    await auditor.goto(`${webUrl}/console/members`);
    expect(await auditor.getByRole('button', { name: 'Add member' }).count()).toBe(0);
    await auditor.goto(`${webUrl}/console/service-keys`);
    expect(await auditor.getByRole('button', { name: /Create|Revoke/ }).count()).toBe(0);
    // a valid token does not make an auditor an admin
    const token = await auditor.locator('input[name=_csrf]').first().inputValue();
    const res = await auditor.request.post(`${webUrl}/console/policy`, {
      form: { _csrf: token, requireMfa: 'on', gracePeriodHours: '1', allowedMethods: 'totp' },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('auditor key');
    expect((await request(services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version).toBe(before);
    await ctx.close();
  });

  it('the passkey routes refuse without a page session, and an oversized answer', async () => {
    const agent = request.agent(webUrl);
    const landing = await agent.get(`/enroll/${'A'.repeat(43)}`);
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(landing.text)![1];
    for (const path of ['/enroll/passkey', '/enroll/step-up/passkey', '/enroll/step-up', '/enroll/enable']) {
      const res = await agent.post(path).type('form').send({ _csrf, assertion: '{}', registrationResponse: '{}' });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.text).toContain('This page has expired');
    }
    const huge = await agent
      .post('/enroll/enable')
      .type('form')
      .send({ _csrf, registrationResponse: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });

  it('limits sign-in attempts per client', async () => {
    const agent = request.agent(webUrl);
    const form = await agent.get('/console/sign-in');
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++)
      statuses.push((await agent.post('/console/sign-in').type('form').send({ _csrf, orgId: org.id, apiKey: 'x' })).status);
    // 8 a minute here (WEB_SIGNIN_PER_MINUTE); earlier sign-ins of this file count too
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    // the window is per client address for a minute: the next web test file signs in from the same one
    await deleteMatching(redis, 'web:limit:sign-in:*'); // on every master of a cluster
  });
});
