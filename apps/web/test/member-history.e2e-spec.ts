/**
 * The History panel of the console's member page in a real Chromium (Debian's, driven by
 * playwright-core), against the real services in this process on one FixedClock (time moves,
 * nobody sleeps). Screenshots go to test-results/screenshots/ (gitignored).
 */
import type { Page } from 'playwright-core';
import request from 'supertest';
import { FixedClock } from '@mfa/clock';
import { addMember, createOrg, type TestOrg } from '@test/support';
import { check, consoleStack, go, signIn as signInAt } from './console-stack';

const H = 3_600_000;
// ahead of the database's clock, so the rows it stamps are in this clock's past
const clock = new FixedClock(new Date(Date.now() + 60_000));
const stack = consoleStack({ clock });
const signIn = (page: Page, org: TestOrg, key?: string) => signInAt(page, stack.webUrl, org, key);

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
    const org = await createOrg(stack.services.orgUrl, stack.services.platformKey, 'History Corp');
    const member = await addMember(stack.services.orgUrl, org);
    const api = () => request(stack.services.orgUrl);
    await api()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] })
      .expect(202);
    clock.advance(25 * H);

    const page = await (await stack.browser.newContext()).newPage();
    page.context().setDefaultTimeout(90_000);
    await signIn(page, org);
    await page.goto(`${stack.webUrl}/console/members/${member.id}`);
    expect(await historyRows(page)).toEqual([
      'Pending > Non-compliant: Grace deadline passed',
      'Not required > Pending: Policy version 1',
      ' > Not required: Member added',
    ]);
    await check(page, 'console-member-history');

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
    await page.goto(`${stack.webUrl}/console/members/${member.id}`);
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
