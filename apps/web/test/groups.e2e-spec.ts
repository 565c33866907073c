/**
 * The console's groups pages in a real Chromium (Debian's, playwright-core), end to end against
 * the real services in this process: list, create, add and remove members by id and by email,
 * the group policy with its Preview step (or the page saying the admin API does not preview group
 * policies yet), the member page's groups and effective policy, delete with a confirmation page.
 */
import type { Page } from 'playwright-core';
import request from 'supertest';
import type { Group, HistoryItem } from '@mfa/contracts';
import { addMember, createApiKey, createOrg, type TestOrg } from '@test/support';
import { check, consoleStack, go, signIn as signInAt } from './console-stack';

const stack = consoleStack();
const signIn = (page: Page, org: TestOrg, key?: string) => signInAt(page, stack.webUrl, org, key);

const api = () => request(stack.services.orgUrl);
const groupsOf = async (org: TestOrg): Promise<Group[]> => (await api().get(`/v1/orgs/${org.id}/groups`).set(org.auth)).body.items;
const text = async (page: Page, sel: string) => ((await page.locator(sel).textContent()) ?? '').trim();

describe('console groups pages', () => {
  it('lists, creates, adds by id and by email, sets the policy (with the Preview step), shows it on the member, deletes', async () => {
    const org = await createOrg(stack.services.orgUrl, stack.services.platformKey, 'Groups Corp');
    await api()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 720, allowedMethods: ['totp', 'webauthn'] })
      .expect(202);
    const ada = await addMember(stack.services.orgUrl, org, `ada-${Date.now()}@groups.test`);
    const bob = await addMember(stack.services.orgUrl, org, `bob-${Date.now()}@groups.test`);

    const page = await (await stack.browser.newContext()).newPage();
    await signIn(page, org);
    await go(page, page.getByRole('link', { name: 'Groups', exact: true }));
    expect(await text(page, '#groups tbody')).toBe('No groups yet.');
    await page.getByLabel('Name (unique in the organization)').fill('admins');
    await go(page, page.getByRole('button', { name: 'Create the group' }));
    expect(await text(page, '[role=status]')).toBe('The group is created.');
    const [group] = await groupsOf(org);
    expect(page.url()).toBe(`${stack.webUrl}/console/groups/${group.id}?done=created`);
    expect(await text(page, '#group-policy')).toBe('No policy (the org policy applies)');

    // ada by id, bob by email (any case)
    await page.getByLabel(/Account IDs or emails/).fill(`${ada.id}\n${bob.email.toUpperCase()}`);
    await go(page, page.getByRole('button', { name: 'Add to the group' }));
    expect(await text(page, '[role=status]')).toBe('The members are added.');
    expect(await text(page, '#group-members')).toBe('2');

    // the policy form, Preview first: the figures when the admin API previews group policies, else the page says it does not
    await page.getByLabel('Grace period (hours, 0 to 8760)').fill('24');
    await page.getByLabel('Text message (SMS)').uncheck();
    await page.getByLabel('Passkey or security key (WebAuthn)').check();
    await go(page, page.getByRole('button', { name: 'Preview', exact: true }));
    if ((await page.locator('#preview-unavailable').count()) > 0) {
      expect(await text(page, '#preview-unavailable')).toContain('does not preview group policies yet');
    } else {
      expect(await page.locator('#preview').count()).toBe(1);
    }
    // the form kept as filled in, nothing saved
    expect(await page.getByLabel('Grace period (hours, 0 to 8760)').inputValue()).toBe('24');
    expect((await groupsOf(org))[0].policy).toBeNull();
    await check(page, 'console-group-preview');
    await go(page, page.getByRole('button', { name: 'Save the group policy' }));
    expect(await text(page, '[role=status]')).toBe('The group policy is saved; its rollout runs now.');
    expect(await text(page, '#group-policy')).toBe('v1: MFA required, 24 h grace, TOTP + passkeys');
    await check(page, 'console-group');

    // the list: name, member count, policy summary
    await go(page, page.getByRole('link', { name: 'Groups', exact: true }));
    expect(await text(page, `#groups tr[data-group="${group.id}"] td[data-col="members"]`)).toBe('2');
    expect(await text(page, `#groups tr[data-group="${group.id}"] td[data-col="policy"]`)).toContain('24 h grace');
    await check(page, 'console-groups');

    // the member page: its groups and its effective policy
    await page.goto(`${stack.webUrl}/console/members/${ada.id}`);
    expect(await text(page, '#member-groups')).toBe('admins');
    expect(await text(page, '#member-effective')).toBe('MFA required; methods: totp, webauthn');
    const deadline = (await api().get(`/v1/orgs/${org.id}/members/${ada.id}`).set(org.auth)).body.enforcement.graceDeadline;
    expect(new Date(deadline).getTime() - Date.now()).toBeLessThan(25 * 3_600_000);

    // bob removed by email
    await page.goto(`${stack.webUrl}/console/groups/${group.id}`);
    await page.getByLabel(/Account IDs or emails/).fill(bob.email);
    await go(page, page.getByRole('button', { name: 'Remove from the group' }));
    expect(await text(page, '#group-members')).toBe('1');

    // delete, after a confirmation page
    await go(page, page.getByRole('link', { name: 'Delete this group' }));
    expect(await text(page, '#group-name')).toBe('admins');
    await check(page, 'console-confirm-delete-group');
    expect(await groupsOf(org)).toHaveLength(1);
    await go(page, page.getByRole('button', { name: 'Delete admins' }));
    expect(page.url()).toBe(`${stack.webUrl}/console/groups`);
    expect(await groupsOf(org)).toHaveLength(0);
    // ada's history says she left the group
    const history: HistoryItem[] = (await api().get(`/v1/orgs/${org.id}/members/${ada.id}/history`).set(org.auth)).body.items;
    expect(history[0].cause).toEqual({ type: 'group_left', id: group.id });
    await page.goto(`${stack.webUrl}/console/members/${ada.id}`);
    expect(await text(page, '#member-groups')).toBe('none (the org policy alone)');
    await page.context().close();
  });

  it('refuses bad input by name, another org, no session, a forged CSRF token, hostile sizes and an auditor', async () => {
    const org = await createOrg(stack.services.orgUrl, stack.services.platformKey);
    const other = await createOrg(stack.services.orgUrl, stack.services.platformKey);
    const theirs = (await api().post(`/v1/orgs/${other.id}/groups`).set(other.auth).send({ name: 'theirs' }).expect(201)).body as Group;
    const mine = (await api().post(`/v1/orgs/${org.id}/groups`).set(org.auth).send({ name: 'mine' }).expect(201)).body as Group;
    const stranger = await addMember(stack.services.orgUrl, other);

    // no session: to the sign-in page
    const anon = await (await stack.browser.newContext()).newPage();
    await anon.goto(`${stack.webUrl}/console/groups`);
    expect(anon.url()).toBe(`${stack.webUrl}/console/sign-in`);
    await anon.context().close();

    const page = await (await stack.browser.newContext()).newPage();
    await signIn(page, org);
    await page.goto(`${stack.webUrl}/console/groups`);
    const token = await page.locator('input[name=_csrf]').first().inputValue();
    const post = (path: string, form: Record<string, string>) => page.request.post(`${stack.webUrl}${path}`, { form, maxRedirects: 0 });

    // another org's group: not found, nothing changed
    expect((await page.goto(`${stack.webUrl}/console/groups/${theirs.id}`))!.status()).toBe(404);
    expect((await post(`/console/groups/${theirs.id}/delete`, { _csrf: token })).status()).toBe(404);
    expect((await groupsOf(other)).map((g) => g.name)).toEqual(['theirs']);
    expect((await page.goto(`${stack.webUrl}/console/groups/not-a-uuid`))!.status()).toBe(404);
    // another org's member, a bad line, an unknown email: refused naming the field
    for (const members of [stranger.id, 'not-an-id', 'nobody@nowhere.test']) {
      const res = await post(`/console/groups/${mine.id}/members`, { _csrf: token, action: 'add', members });
      expect([res.status(), (await res.text()).includes('add') || (await res.text()).includes('members')]).toEqual([400, true]);
    }
    // a bad name: the API's message
    const badName = await post('/console/groups', { _csrf: token, name: 'x'.repeat(201) });
    expect([badName.status(), (await badName.text()).includes('name')]).toEqual([400, true]);
    // hostile sizes: 401 lines, 21 emails, a body over the form limit
    const lines = Array.from({ length: 401 }, () => stranger.id).join('\n');
    const many = Array.from({ length: 21 }, (_, i) => `u${i}@x.test`).join('\n');
    expect((await post(`/console/groups/${mine.id}/members`, { _csrf: token, action: 'add', members: lines })).status()).toBe(400);
    expect((await post(`/console/groups/${mine.id}/members`, { _csrf: token, action: 'add', members: many })).status()).toBe(400);
    expect((await post(`/console/groups/${mine.id}/members`, { _csrf: token, action: 'add', members: 'a'.repeat(40_000) })).status()).toBe(
      413,
    );
    // a forged CSRF token: 403, nothing created
    expect((await post('/console/groups', { _csrf: 'forged', name: 'forged' })).status()).toBe(403);
    expect((await groupsOf(org)).map((g) => g.name)).toEqual(['mine']);
    expect((await groupsOf(org))[0].memberCount).toBe(0);
    await page.context().close();

    // an auditor: sees, changes nothing
    const auditor = await createApiKey(stack.services.orgUrl, org, 'auditor');
    const ro = await (await stack.browser.newContext()).newPage();
    await signIn(ro, org, auditor.key);
    await ro.goto(`${stack.webUrl}/console/groups/${mine.id}`);
    expect(await ro.getByRole('button', { name: 'Save the group policy' }).count()).toBe(0);
    expect(await ro.getByRole('button', { name: 'Add to the group' }).count()).toBe(0);
    expect(await ro.getByRole('link', { name: 'Delete this group' }).count()).toBe(0);
    const roToken = await ro.locator('input[name=_csrf]').first().inputValue();
    const refused = await ro.request.post(`${stack.webUrl}/console/groups/${mine.id}/delete`, {
      form: { _csrf: roToken },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    expect(await groupsOf(org)).toHaveLength(1);
    await ro.context().close();
  });
});
