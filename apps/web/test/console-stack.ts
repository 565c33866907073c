/**
 * The console's browser tests' common stack: the three services in this process, the web app on
 * a free port, and Debian's Chromium (playwright-core) headless, without background networking.
 * One per test file: `const stack = consoleStack({ clock })` registers its own beforeAll/afterAll.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Clock } from '@mfa/clock';
import { loadConfig } from '@mfa/config';
import { startService, type RunningService } from '@mfa/observability';
import { startTestServices, type TestOrg, type TestServices } from '@test/support';
import { WebEnv } from '../src/config/web.env';
import { webApp } from '../src/web.app';

const shots = join(__dirname, '../../../test-results/screenshots');

export async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface ConsoleStack {
  services: TestServices;
  web: RunningService;
  webUrl: string;
  browser: Browser;
}

/** Starts the stack before the file's tests and stops it after; read its fields inside tests. */
export function consoleStack(opts: { clock?: Clock } = {}): ConsoleStack {
  const stack = {} as ConsoleStack;
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const port = await freePort();
    stack.webUrl = `http://127.0.0.1:${port}`;
    stack.services = await startTestServices({ clock: opts.clock, env: { WEB_PUBLIC_URL: stack.webUrl } });
    stack.web = await startService(
      webApp,
      loadConfig(WebEnv, { ...process.env, WEB_PORT: String(port), ORG_API_URL: stack.services.orgUrl, WEB_PUBLIC_URL: stack.webUrl }),
    );
    // the machine is shared: generous waits, so a slow moment is not a failure
    stack.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await stack.browser?.close();
    await stack.web?.app.close();
    await stack.services?.close();
  });
  return stack;
}

/** No serious or critical axe violation, and a screenshot (test-results/screenshots, gitignored). */
export async function check(page: Page, name: string): Promise<void> {
  page.context().setDefaultTimeout(90_000);
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(
    violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([]);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

export async function go(page: Page, target: ReturnType<Page['locator']>): Promise<void> {
  await Promise.all([page.waitForNavigation(), target.click()]);
}

export async function signIn(page: Page, webUrl: string, org: TestOrg, key = org.adminKey): Promise<void> {
  await page.goto(`${webUrl}/console`);
  await page.getByLabel('Organization ID').fill(org.id);
  await page.getByLabel('API key').fill(key);
  await go(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  expect(page.url()).toBe(`${webUrl}/console`);
}
