/**
 * The console's policy page in a real Chromium (Debian's, playwright-core): the Preview step
 * shows what saving would do (members by state now and after, blocked per day, the members
 * blocked soonest) and changes nothing; saving from there starts the rollout. End to end
 * against the real services in this process.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@mfa/config';
import { startService, type RunningService } from '@mfa/observability';
import { addMembers, createApiKey, createOrg, startTestServices, type TestOrg, type TestServices } from '@test/support';
import { WebEnv } from '../src/config/web.env';
import { webApp } from '../src/web.app';

const shots = join(__dirname, '../../../test-results/screenshots');
let services: TestServices;
let web: RunningService;
let webUrl: string;
let browser: Browser;

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  webUrl = `http://127.0.0.1:${port}`;
  services = await startTestServices({ env: { WEB_PUBLIC_URL: webUrl } });
  web = await startService(
    webApp,
    loadConfig(WebEnv, { ...process.env, WEB_PORT: String(port), ORG_API_URL: services.orgUrl, WEB_PUBLIC_URL: webUrl }),
  );
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await web?.app.close();
  await services?.close();
});

/** No serious or critical axe violation, and a screenshot. */
async function check(page: Page, name: string): Promise<void> {
  page.context().setDefaultTimeout(90_000);
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(
    violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([]);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function go(page: Page, target: ReturnType<Page['locator']>): Promise<void> {
  await Promise.all([page.waitForNavigation(), target.click()]);
}

async function signIn(page: Page, org: TestOrg, key = org.adminKey): Promise<void> {
  await page.goto(`${webUrl}/console`);
  await page.getByLabel('Organization ID').fill(org.id);
  await page.getByLabel('API key').fill(key);
  await go(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  expect(page.url()).toBe(`${webUrl}/console`);
}

const cell = async (page: Page, table: string, row: string, col: string) =>
  ((await page.locator(`#${table} tr[data-state="${row}"] td[data-col="${col}"]`).textContent()) ?? '').trim();
const policyVersion = async (org: TestOrg) =>
  (await request(services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version as number;

describe('console policy page: the Preview step', () => {
  it('previews (counts now and after, blocked per day, the members blocked soonest), changes nothing, then saves', async () => {
    const org = await createOrg(services.orgUrl, services.platformKey, 'Preview Corp');
    await addMembers(services.orgUrl, org, 5);
    const db = services.account.app.get(DataSource);
    const [enrolled] = await db.query(`SELECT id, email FROM accounts.accounts WHERE org_id = $1 ORDER BY email LIMIT 1`, [org.id]);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1, secure_active_device_count = 1 WHERE id = $1`, [enrolled.id]);

    const page = await (await browser.newContext()).newPage();
    await signIn(page, org);
    await go(page, page.getByRole('link', { name: 'Policy', exact: true }));
    expect(await page.locator('#preview').count()).toBe(0);
    await page.getByLabel('Require MFA for every member').check();
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('48');
    await page.getByLabel('Text message (SMS)').uncheck();
    await go(page, page.getByRole('button', { name: 'Preview', exact: true }));
    expect(page.url()).toBe(`${webUrl}/console/policy/preview`);

    await page.getByRole('heading', { name: 'Preview: if this policy were saved now' }).waitFor();
    expect(await cell(page, 'preview-counts', 'not_required', 'now')).toBe('5');
    expect(await cell(page, 'preview-counts', 'not_required', 'after')).toBe('0');
    expect(await cell(page, 'preview-counts', 'pending', 'after')).toBe('4');
    expect(await cell(page, 'preview-counts', 'compliant', 'after')).toBe('1');
    // required from now with 48 h of grace: the 4 without a device are blocked the day after tomorrow
    const api = (
      await request(services.orgUrl)
        .post(`/v1/orgs/${org.id}/mfa-policy/preview`)
        .set(org.auth)
        .send({ requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp'] })
    ).body;
    expect(api.blockedAt).toHaveLength(1);
    const day = api.blockedAt[0].date as string;
    expect(await page.locator(`#preview-days tr[data-date="${day}"] td`).allTextContents()).toEqual([day, '4']);
    const sample = page.locator('#preview-sample tbody tr');
    expect(await sample.count()).toBe(4);
    expect(await page.locator('#preview-sample').textContent()).not.toContain(enrolled.email);
    expect((await sample.first().locator('td').allTextContents()).slice(1)).toEqual([
      'Not required',
      'Pending',
      expect.stringMatching(`^${day}T`),
    ]);
    // the form keeps what was filled in, and nothing changed yet
    expect(await page.getByLabel('Require MFA for every member').isChecked()).toBe(true);
    expect(await page.getByLabel('Grace period (hours, 0 to 8760)').inputValue()).toBe('48');
    expect(await page.getByLabel('Text message (SMS)').isChecked()).toBe(false);
    expect(await policyVersion(org)).toBe(0);
    await check(page, 'console-policy-preview');

    // saving from the preview: the same values become version 1
    await go(page, page.getByRole('button', { name: 'Save the policy', exact: true }));
    expect(page.url()).toBe(`${webUrl}/console`);
    const saved = (await request(services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body;
    expect(saved).toMatchObject({ version: 1, requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp'] });
    await page.context().close();
  });

  it('an auditor previews but cannot save; a bad value shows the API message; CSRF is required', async () => {
    const org = await createOrg(services.orgUrl, services.platformKey);
    await addMembers(services.orgUrl, org, 2);
    const auditorKey = await createApiKey(services.orgUrl, org, 'auditor');
    const page = await (await browser.newContext()).newPage();
    await signIn(page, org, auditorKey.key);
    await page.goto(`${webUrl}/console/policy`);
    expect(await page.getByRole('button', { name: 'Save the policy' }).count()).toBe(0);
    await page.getByLabel('Require MFA for every member').check();
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('0');
    await go(page, page.getByRole('button', { name: 'Preview', exact: true }));
    expect(await cell(page, 'preview-counts', 'non_compliant', 'after')).toBe('2');
    expect(await page.getByRole('button', { name: 'Save the policy' }).count()).toBe(0);
    await check(page, 'console-policy-preview-auditor');

    // no method allowed: the admin API's validation message, not a 500
    const token = await page.locator('input[name=_csrf]').first().inputValue();
    const bad = await page.request.post(`${webUrl}/console/policy/preview`, {
      form: { _csrf: token, requireMfa: 'on', gracePeriodHours: '1' },
      maxRedirects: 0,
    });
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain('allowedMethods');
    const forged = await page.request.post(`${webUrl}/console/policy/preview`, {
      form: { _csrf: 'forged', requireMfa: 'on', gracePeriodHours: '1', allowedMethods: 'totp' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await policyVersion(org)).toBe(0);
    await page.context().close();
  });
});
