/**
 * The History panel of the console's member page in a real Chromium (Debian's, driven by
 * playwright-core), against the real services in this process on one FixedClock (time moves,
 * nobody sleeps). Screenshots go to test-results/screenshots/ (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { FixedClock } from '@mfa/clock';
import { loadConfig } from '@mfa/config';
import { startService, type RunningService } from '@mfa/observability';
import { addMember, createOrg, startTestServices, type TestOrg, type TestServices } from '@test/support';
import { WebEnv } from '../src/config/web.env';
import { webApp } from '../src/web.app';

const H = 3_600_000;
const shots = join(__dirname, '../../../test-results/screenshots');
// ahead of the database's clock, so the rows it stamps are in this clock's past
const clock = new FixedClock(new Date(Date.now() + 60_000));
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
  services = await startTestServices({ clock, env: { WEB_PUBLIC_URL: webUrl } });
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

async function go(page: Page, target: ReturnType<Page['locator']>): Promise<void> {
  await Promise.all([page.waitForNavigation(), target.click()]);
}

async function signIn(page: Page, org: TestOrg): Promise<void> {
  await page.goto(`${webUrl}/console`);
  await page.getByLabel('Organization ID').fill(org.id);
  await page.getByLabel('API key').fill(org.adminKey);
  await go(page, page.getByRole('button', { name: 'Sign in', exact: true }));
}

/** The History table's rows as "from > to: why". */
async function historyRows(page: Page): Promise<string[]> {
  return page.locator('#member-history tbody tr').evaluateAll((rows) =>
    rows.map((r) => {
      const c = Array.from(r.querySelectorAll('td')).map((td) => ((td as { textContent: string | null }).textContent ?? '').trim());
      return `${c[1]} > ${c[2]}: ${c[3]}`;
    }),
  );
}

describe('member page, History panel', () => {
  it('shows why a member is blocked, newest first, and pages to older changes', async () => {
    const org = await createOrg(services.orgUrl, services.platformKey, 'History Corp');
    const member = await addMember(services.orgUrl, org);
    const api = () => request(services.orgUrl);
    await api()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] })
      .expect(202);
    clock.advance(25 * H);

    const page = await (await browser.newContext()).newPage();
    page.context().setDefaultTimeout(90_000);
    await signIn(page, org);
    await page.goto(`${webUrl}/console/members/${member.id}`);
    expect(await historyRows(page)).toEqual([
      'Pending > Non-compliant: Grace deadline passed',
      'Not required > Pending: Policy version 1',
      ' > Not required: Member added',
    ]);
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await page.screenshot({ path: join(shots, 'console-member-history.png'), fullPage: true });

    // 12 exemptions set and removed: 27 changes, more than one page of 20
    for (let i = 0; i < 12; i++) {
      clock.advance(60_000);
      const until = new Date(clock.now().getTime() + H).toISOString();
      await api()
        .put(`/v1/orgs/${org.id}/members/${member.id}/exemption`)
        .set(org.auth)
        .send({ until, reason: `trip ${i}` })
        .expect(200);
      clock.advance(60_000);
      await api().delete(`/v1/orgs/${org.id}/members/${member.id}/exemption`).set(org.auth).expect(200);
    }
    await page.goto(`${webUrl}/console/members/${member.id}`);
    const first = await historyRows(page);
    expect(first).toHaveLength(20);
    expect(first[0]).toBe('Exempt > Non-compliant: Exemption removed by an admin');
    expect(first[1]).toBe('Non-compliant > Exempt: Exemption set');
    await go(page, page.getByRole('link', { name: 'Older changes' }));
    const older = await historyRows(page);
    expect(older).toHaveLength(7);
    expect(older[older.length - 1]).toBe(' > Not required: Member added');
    expect(await page.getByRole('link', { name: 'Older changes' }).count()).toBe(0);
    await page.context().close();
  });
});
