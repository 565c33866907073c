/**
 * The console's policy page in a real Chromium (Debian's, playwright-core): the Preview step
 * shows what saving would do (members by state now and after, blocked per day, the members
 * blocked soonest) and changes nothing; saving from there starts the rollout. End to end
 * against the real services in this process.
 */
import type { Page } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { addMembers, createApiKey, createOrg, type TestOrg } from '@test/support';
import { check, consoleStack, go, signIn as signInAt } from './console-stack';

const stack = consoleStack();
const signIn = (page: Page, org: TestOrg, key?: string) => signInAt(page, stack.webUrl, org, key);

const cell = async (page: Page, table: string, row: string, col: string) =>
  ((await page.locator(`#${table} tr[data-state="${row}"] td[data-col="${col}"]`).textContent()) ?? '').trim();
const policyVersion = async (org: TestOrg) =>
  (await request(stack.services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version as number;

describe('console policy page: the Preview step', () => {
  it('previews (counts now and after, blocked per day, the members blocked soonest), changes nothing, then saves', async () => {
    const org = await createOrg(stack.services.orgUrl, stack.services.platformKey, 'Preview Corp');
    await addMembers(stack.services.orgUrl, org, 5);
    const db = stack.services.account.app.get(DataSource);
    const [enrolled] = await db.query(`SELECT id, email FROM accounts.accounts WHERE org_id = $1 ORDER BY email LIMIT 1`, [org.id]);
    await db.query(`UPDATE accounts.accounts SET active_device_count = 1, secure_active_device_count = 1 WHERE id = $1`, [enrolled.id]);

    const page = await (await stack.browser.newContext()).newPage();
    await signIn(page, org);
    await go(page, page.getByRole('link', { name: 'Policy', exact: true }));
    expect(await page.locator('#preview').count()).toBe(0);
    await page.getByLabel('Require MFA for every member').check();
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('48');
    await page.getByLabel('Text message (SMS)').uncheck();
    await go(page, page.getByRole('button', { name: 'Preview', exact: true }));
    expect(page.url()).toBe(`${stack.webUrl}/console/policy/preview`);

    await page.getByRole('heading', { name: 'Preview: if this policy were saved now' }).waitFor();
    expect(await cell(page, 'preview-counts', 'not_required', 'now')).toBe('5');
    expect(await cell(page, 'preview-counts', 'not_required', 'after')).toBe('0');
    expect(await cell(page, 'preview-counts', 'pending', 'after')).toBe('4');
    expect(await cell(page, 'preview-counts', 'compliant', 'after')).toBe('1');
    // required from now with 48 h of grace: the 4 without a device are blocked the day after tomorrow
    const api = (
      await request(stack.services.orgUrl)
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
    expect(page.url()).toBe(`${stack.webUrl}/console`);
    const saved = (await request(stack.services.orgUrl).get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body;
    expect(saved).toMatchObject({ version: 1, requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp'] });
    await page.context().close();
  });

  it('an auditor previews but cannot save; a bad value shows the API message; CSRF is required', async () => {
    const org = await createOrg(stack.services.orgUrl, stack.services.platformKey);
    await addMembers(stack.services.orgUrl, org, 2);
    const auditorKey = await createApiKey(stack.services.orgUrl, org, 'auditor');
    const page = await (await stack.browser.newContext()).newPage();
    await signIn(page, org, auditorKey.key);
    await page.goto(`${stack.webUrl}/console/policy`);
    expect(await page.getByRole('button', { name: 'Save the policy' }).count()).toBe(0);
    await page.getByLabel('Require MFA for every member').check();
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('0');
    await go(page, page.getByRole('button', { name: 'Preview', exact: true }));
    expect(await cell(page, 'preview-counts', 'non_compliant', 'after')).toBe('2');
    expect(await page.getByRole('button', { name: 'Save the policy' }).count()).toBe(0);
    await check(page, 'console-policy-preview-auditor');

    // no method allowed: the admin API's validation message, not a 500
    const token = await page.locator('input[name=_csrf]').first().inputValue();
    const bad = await page.request.post(`${stack.webUrl}/console/policy/preview`, {
      form: { _csrf: token, requireMfa: 'on', gracePeriodHours: '1' },
      maxRedirects: 0,
    });
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain('allowedMethods');
    const forged = await page.request.post(`${stack.webUrl}/console/policy/preview`, {
      form: { _csrf: 'forged', requireMfa: 'on', gracePeriodHours: '1', allowedMethods: 'totp' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await policyVersion(org)).toBe(0);
    await page.context().close();
  });
});
