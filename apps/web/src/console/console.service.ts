import { Injectable } from '@nestjs/common';
import {
  AuditActions,
  EnforcementStates,
  isUuid,
  type AuditEvent,
  type ComplianceHistoryItem,
  type Device,
  type EnforcementState,
  type HistoryItem,
  type Member,
  type MfaPolicy,
  type PolicyPreview,
  type PolicyRollout,
  type ApiKeyRole,
} from '@mfa/contracts';
import type { ConsoleSession } from './console-sessions';
import { rolloutText, stateBars, trendLine } from './charts';
import { OrgApi, OrgApiError } from './org-api';

export interface OrgSummary {
  id: string;
  name: string;
  policy: MfaPolicy;
  members: { total: number; byState: Record<EnforcementState, number> };
}

const KEY_SHAPE = /^mfak_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/;

/** What each console page shows, composed from admin API calls made with the session's key. */
@Injectable()
export class ConsoleService {
  constructor(private readonly api: OrgApi) {}

  /** The key's org, role and id; a wrong org id or key reads the same (no probing which one). */
  async signIn(orgId: string, apiKey: string): Promise<{ orgId: string; orgName: string; role: ApiKeyRole; keyId: string }> {
    const refused = new OrgApiError(401, 'unauthenticated', 'That organization ID and API key do not match an active key.');
    if (!isUuid(orgId) || !KEY_SHAPE.test(apiKey)) throw refused;
    try {
      const me = await this.api.json<{ id: string; role: ApiKeyRole }>(apiKey, 'GET', `/v1/orgs/${orgId}/api-keys/current`);
      const org = await this.api.json<OrgSummary>(apiKey, 'GET', `/v1/orgs/${orgId}`);
      return { orgId, orgName: org.name, role: me.role, keyId: me.id };
    } catch (err) {
      if (err instanceof OrgApiError && (err.status === 401 || err.status === 404 || err.status === 403)) throw refused;
      throw err;
    }
  }

  async overview(s: ConsoleSession) {
    const [org, report, history, rollout] = await Promise.all([
      this.org(s),
      this.api.json<{ compliantPercent: number; devicesByType: Record<string, number> }>(
        s.apiKey,
        'GET',
        `/v1/orgs/${s.orgId}/compliance-report?format=json`,
      ),
      this.api.json<{ items: ComplianceHistoryItem[] }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/compliance-report/history?days=30`),
      this.rollout(s),
    ]);
    return {
      org,
      report,
      bars: stateBars(org.members.byState),
      trend: trendLine(history.items),
      rollout,
      rolloutText: rollout && rolloutText(rollout),
    };
  }

  /** The live part of the overview (polled by /static/rollout.js). */
  async progress(s: ConsoleSession) {
    const [org, rollout] = await Promise.all([this.org(s), this.rollout(s)]);
    return { rollout, rolloutText: rollout && rolloutText(rollout), members: org.members, policyVersion: org.policy.version };
  }

  org(s: ConsoleSession): Promise<OrgSummary> {
    return this.api.json<OrgSummary>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}`);
  }

  private async rollout(s: ConsoleSession): Promise<PolicyRollout | null> {
    return s.rolloutId ? this.api.json<PolicyRollout>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/rollouts/${s.rolloutId}`) : null;
  }

  /** A page of members: by state, by email prefix (the API's search, in email order), both, or all; empty fields are no filter. */
  members(s: ConsoleSession, f: { state: string; email: string; cursor: string }) {
    const q = new URLSearchParams({ limit: '50' });
    if ((EnforcementStates as readonly string[]).includes(f.state)) q.set('state', f.state);
    if (f.email) q.set('email', f.email);
    if (f.cursor) q.set('cursor', f.cursor);
    return this.api.json<{ items: Member[]; nextCursor: string | null }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/members?${q.toString()}`);
  }

  member(s: ConsoleSession, accountId: string) {
    return this.api.json<Member & { devices: Device[] }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/members/${encodeURIComponent(accountId)}`);
  }

  /** One page (20 items) of the member's history, newest first. */
  memberHistory(s: ConsoleSession, accountId: string, cursor: string | undefined) {
    const q = new URLSearchParams({ limit: '20' });
    if (cursor) q.set('cursor', cursor);
    return this.api.json<{ items: HistoryItem[]; nextCursor: string | null }>(
      s.apiKey,
      'GET',
      `/v1/orgs/${s.orgId}/members/${encodeURIComponent(accountId)}/history?${q.toString()}`,
    );
  }

  addMember(s: ConsoleSession, body: { email: string; displayName?: string }) {
    return this.api.json<Member>(s.apiKey, 'POST', `/v1/orgs/${s.orgId}/members`, body);
  }

  removeMember(s: ConsoleSession, accountId: string) {
    return this.api.json<void>(s.apiKey, 'DELETE', `/v1/orgs/${s.orgId}/members/${encodeURIComponent(accountId)}`);
  }

  resetDevice(s: ConsoleSession, accountId: string, serialNumber: string) {
    return this.api.json<void>(
      s.apiKey,
      'DELETE',
      `/v1/orgs/${s.orgId}/members/${encodeURIComponent(accountId)}/mfa-devices/${encodeURIComponent(serialNumber)}`,
    );
  }

  setExemption(s: ConsoleSession, accountId: string, until: string, reason: string) {
    return this.api.json<Member>(s.apiKey, 'PUT', `/v1/orgs/${s.orgId}/members/${encodeURIComponent(accountId)}/exemption`, {
      until,
      reason,
    });
  }

  removeExemption(s: ConsoleSession, accountId: string) {
    return this.api.json<Member>(s.apiKey, 'DELETE', `/v1/orgs/${s.orgId}/members/${encodeURIComponent(accountId)}/exemption`);
  }

  policy(s: ConsoleSession) {
    return this.api.json<MfaPolicy>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/mfa-policy`);
  }

  previewPolicy(s: ConsoleSession, body: object) {
    return this.api.json<PolicyPreview>(s.apiKey, 'POST', `/v1/orgs/${s.orgId}/mfa-policy/preview`, body);
  }

  putPolicy(s: ConsoleSession, body: object) {
    return this.api.json<{ policy: MfaPolicy; rollout: PolicyRollout }>(s.apiKey, 'PUT', `/v1/orgs/${s.orgId}/mfa-policy`, body);
  }

  serviceKeys(s: ConsoleSession) {
    return this.api.json<{
      items: Array<{ id: string; name: string; scopes: string[]; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }>;
    }>(s.apiKey, 'GET', `/v1/orgs/${s.orgId}/service-keys`);
  }

  createServiceKey(s: ConsoleSession, name: string, scopes: string[] | undefined) {
    return this.api.json<{ id: string; name: string; scopes: string[]; secret: string }>(
      s.apiKey,
      'POST',
      `/v1/orgs/${s.orgId}/service-keys`,
      { name, ...(scopes ? { scopes } : {}) },
    );
  }

  revokeServiceKey(s: ConsoleSession, keyId: string) {
    return this.api.json<void>(s.apiKey, 'DELETE', `/v1/orgs/${s.orgId}/service-keys/${encodeURIComponent(keyId)}`);
  }

  createApiKey(s: ConsoleSession, role: string, label: string) {
    return this.api.json<{ id: string; key: string; role: string; label: string }>(s.apiKey, 'POST', `/v1/orgs/${s.orgId}/api-keys`, {
      role,
      label,
    });
  }

  revokeApiKey(s: ConsoleSession, keyId: string) {
    return this.api.json<void>(s.apiKey, 'DELETE', `/v1/orgs/${s.orgId}/api-keys/${encodeURIComponent(keyId)}`);
  }

  audit(s: ConsoleSession, action: string | undefined, cursor: string | undefined) {
    const q = new URLSearchParams({ limit: '50' });
    if (action && (AuditActions as readonly string[]).includes(action)) q.set('action', action);
    if (cursor) q.set('cursor', cursor);
    return this.api.json<{ items: AuditEvent[]; nextCursor: string | null }>(
      s.apiKey,
      'GET',
      `/v1/orgs/${s.orgId}/audit-events?${q.toString()}`,
    );
  }

  report(s: ConsoleSession) {
    return this.api.stream(s.apiKey, `/v1/orgs/${s.orgId}/compliance-report?format=csv`);
  }
}
