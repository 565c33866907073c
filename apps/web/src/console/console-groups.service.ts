import { Injectable } from '@nestjs/common';
import { type Group, isUuid, type Member, type MfaPolicy, type PolicyPreview, type PolicyRollout } from '@mfa/contracts';
import type { ConsoleSession } from './console-sessions';
import { OrgApi, OrgApiError } from './org-api';

/** At most this many lines in the add/remove box (the form's body is at most 16 KB), of which this many emails (one search each). */
export const MAX_MEMBER_LINES = 400;
export const MAX_EMAIL_LINES = 20;

/** "Required, 24 h grace, TOTP + passkeys"; the groups list's summary of a policy. */
export function policySummary(p: MfaPolicy | null): string {
  if (!p) return 'No policy (the org policy applies)';
  const methods = p.allowedMethods.map((m) => ({ totp: 'TOTP', sms: 'SMS', webauthn: 'passkeys' })[m] ?? m).join(' + ');
  const parts = [p.requireMfa ? `MFA required, ${p.gracePeriodHours} h grace` : 'MFA not required', methods];
  if (p.secureMethodsOnly) parts.push('secure methods only');
  if (p.maxMfaAgeSeconds) parts.push(`MFA at most ${p.maxMfaAgeSeconds} s old`);
  if (p.conditions?.length) parts.push(`${p.conditions.length} condition${p.conditions.length > 1 ? 's' : ''}`);
  return `v${p.version}: ${parts.join(', ')}`;
}

/** Refused before any API call: the page names the field, as the API would. */
export class GroupFormError extends OrgApiError {
  constructor(message: string) {
    super(400, 'validation_failed', message);
  }
}

/** The console's groups pages (docs/web.md), over the admin API's group routes with the session's key. */
@Injectable()
export class ConsoleGroupsService {
  constructor(private readonly api: OrgApi) {}

  list(s: ConsoleSession, cursor: string) {
    const q = new URLSearchParams({ limit: '100' });
    if (cursor) q.set('cursor', cursor);
    return this.api.json<{ items: Group[]; nextCursor: string | null }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/groups?${q.toString()}`);
  }

  /** Every group of the org (at most 1,000: one page of the API's largest). */
  async all(s: ConsoleSession): Promise<Group[]> {
    return (await this.api.json<{ items: Group[] }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/groups?limit=1000`)).items;
  }

  /** The admin API has no GET of one group: it is found in the org's list (at most 1,000). */
  async get(s: ConsoleSession, groupId: string): Promise<Group> {
    const group = isUuid(groupId) ? (await this.all(s)).find((g) => g.id === groupId) : undefined;
    if (!group) throw new OrgApiError(404, 'not_found', 'There is no such group in this organization.');
    return group;
  }

  create(s: ConsoleSession, name: string) {
    return this.api.json<Group>(s.apiKey, 'POST', `/v1/orgs/${s.orgId}/groups`, { name });
  }

  /**
   * The add/remove box: one account id or email per line. An email is looked up with the members
   * search (`?email=`, its exact match, any case); one that matches nobody refuses the whole change.
   */
  async changeMembers(s: ConsoleSession, groupId: string, text: string, action: 'add' | 'remove') {
    const lines = [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
    if (lines.length === 0) throw new GroupFormError('members: enter at least one account ID or email');
    if (lines.length > MAX_MEMBER_LINES)
      throw new GroupFormError(`members: at most ${MAX_MEMBER_LINES} at a time here (the admin API takes 10,000)`);
    const emails = lines.filter((l) => l.includes('@'));
    if (emails.length > MAX_EMAIL_LINES)
      throw new GroupFormError(`members: at most ${MAX_EMAIL_LINES} emails at a time (each is a search)`);
    const ids = lines.filter((l) => !l.includes('@'));
    const bad = ids.filter((id) => !isUuid(id));
    if (bad.length > 0) throw new GroupFormError(`members: not an account ID or email: ${bad.slice(0, 5).join(', ')}`);
    const unknown: string[] = [];
    for (const email of emails) {
      const id = await this.byEmail(s, email);
      if (id) ids.push(id);
      else unknown.push(email);
    }
    if (unknown.length > 0) throw new GroupFormError(`members: no member has the email ${unknown.join(', ')}`);
    return this.api.json<Group>(s.apiKey, 'PUT', `/v1/orgs/${s.orgId}/groups/${encodeURIComponent(groupId)}/members`, {
      [action]: [...new Set(ids)],
    });
  }

  private async byEmail(s: ConsoleSession, email: string): Promise<string | null> {
    const q = new URLSearchParams({ email, limit: '10' });
    const page = await this.api.json<{ items: Member[] }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/members?${q.toString()}`);
    return page.items.find((m) => m.email.toLowerCase() === email.toLowerCase())?.id ?? null;
  }

  putPolicy(s: ConsoleSession, groupId: string, body: object) {
    return this.api.json<{ policy: MfaPolicy; rollout: PolicyRollout }>(
      s.apiKey,
      'PUT',
      `/v1/orgs/${s.orgId}/groups/${encodeURIComponent(groupId)}/mfa-policy`,
      body,
    );
  }

  /**
   * The preview of a group policy: the admin API's preview with `groupId`. Null when the API does
   * not preview group policies yet (it answers validation_failed naming groupId): the page says so.
   */
  async preview(s: ConsoleSession, groupId: string, body: object): Promise<PolicyPreview | null> {
    try {
      return await this.api.json<PolicyPreview>(s.apiKey, 'POST', `/v1/orgs/${s.orgId}/mfa-policy/preview`, { ...body, groupId });
    } catch (err) {
      if (err instanceof OrgApiError && err.code === 'validation_failed' && /^groupId:/.test(err.message)) return null;
      throw err;
    }
  }

  delete(s: ConsoleSession, groupId: string) {
    return this.api.json<void>(s.apiKey, 'DELETE', `/v1/orgs/${s.orgId}/groups/${encodeURIComponent(groupId)}`);
  }
}
