import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EnforcementState } from '@mfa/contracts';
import { AccountEntity } from '../database/entities/account.entity';
import type { AccountEnforcementFacts, OrgPolicyState } from './compute-enforcement';
import { FACTS_COLUMNS, toFacts } from './account-enforcement.repository';
import { enforcementStateSql, POLICY_JOIN, type PolicyExprs } from './enforcement.sql';
import { JOINED_POLICY_COLUMNS, type OrgPolicyRow, toOrgPolicyState } from './org-policy.repository';
import type { GroupPolicyState } from './effective-enforcement';
import { type GroupPolicyRow, memberGroupPoliciesSql, toGroupPolicyStates } from './group-policy.repository';

export interface MemberFactsRow {
  member: AccountEntity;
  facts: AccountEnforcementFacts;
  /** the policies of the member's groups (empty when the org has none) */
  groupPolicies: GroupPolicyState[];
}

export interface MemberFactsDbRow {
  id: string;
  org_id: string;
  email: string;
  display_name: string | null;
  external_id: string | null;
  created_at: Date;
  active_device_count: number;
  secure_active_device_count: number;
  grace_anchor_at: Date | null;
  exempt_until: Date | null;
  exempt_reason: string | null;
  group_policies?: GroupPolicyRow[] | null;
}

/** The member columns and enforcement facts of `a` (what toMemberFacts reads). */
export const MEMBER_FACTS_COLUMNS = `a.id, a.org_id, a.email, a.display_name, a.external_id, ${FACTS_COLUMNS}`;

export function toMemberFacts(row: MemberFactsDbRow): MemberFactsRow {
  const member = Object.assign(new AccountEntity(), {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    displayName: row.display_name,
    externalId: row.external_id,
    createdAt: row.created_at,
  });
  return { member, facts: toFacts(row), groupPolicies: toGroupPolicyStates(row.org_id, row.group_policies) };
}

/**
 * The org's policy is read first and bound as parameters, so the state predicate is a filter
 * on the (org_id, id) index scan and TS and SQL judge with the same policy and the same `now`.
 */
function boundPolicy(params: unknown[], policy: OrgPolicyState, now: Date): { p: PolicyExprs; now: string } {
  params.push(policy.requireMfa, policy.requiredSince, policy.gracePeriodHours, policy.secureMethodsOnly, now);
  const n = params.length;
  return {
    p: {
      requireMfa: `$${n - 4}::boolean`,
      requiredSince: `$${n - 3}::timestamptz`,
      gracePeriodHours: `$${n - 2}::int`,
      secureMethodsOnly: `$${n - 1}::boolean`,
      // an org without group policies gets the statement it had before groups (no group part at all)
      ...(policy.hasGroupPolicies ? { hasGroupPolicies: 'true' } : {}),
    },
    now: `$${n}::timestamptz`,
  };
}

export interface MemberPageQuery {
  limit: number;
  state?: EnforcementState;
  /** id order: the page after this id */
  afterId?: string;
  /** email search: lower-case prefix, and the page after this (lower(email), id) */
  emailPrefix?: string;
  afterEmail?: { email: string; id: string };
}

/** The email search's sort key: the expression of accounts_org_email_search_idx, so the planner walks it. */
const SEARCH_KEY = `(lower(a.email) COLLATE "C")`;

/** `prefix%` for LIKE with the prefix's own `%`, `_` and `\\` taken literally. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The member's group policies, only for an org that has some. */
function groupPoliciesColumn(policy: OrgPolicyState): string {
  return policy.hasGroupPolicies ? `, ${memberGroupPoliciesSql('true')} AS group_policies` : '';
}

/** Member listing and counting by computed state: set-based, no per-row code. */
@Injectable()
export class MemberEnforcementRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * One keyset page (`limit` rows as asked; callers ask one extra to see a next page): in id
   * order, or with `emailPrefix` the members whose lower(email) starts with it, in
   * (lower(email), id) order on accounts_org_email_search_idx (byte order, COLLATE "C").
   */
  async page(orgId: string, policy: OrgPolicyState, now: Date, q: MemberPageQuery): Promise<MemberFactsRow[]> {
    const params: unknown[] = [orgId, q.limit];
    const where: string[] = ['a.org_id = $1'];
    let order = 'a.id';
    if (q.emailPrefix !== undefined) {
      params.push(likePrefix(q.emailPrefix));
      where.push(`${SEARCH_KEY} LIKE $${params.length}`);
      if (q.afterEmail) {
        params.push(q.afterEmail.email, q.afterEmail.id);
        where.push(`(${SEARCH_KEY}, a.id) > ($${params.length - 1}::text COLLATE "C", $${params.length}::uuid)`);
      }
      order = `${SEARCH_KEY}, a.id`;
    } else if (q.afterId) {
      params.push(q.afterId);
      where.push(`a.id > $${params.length}::uuid`);
    }
    if (q.state) {
      const b = boundPolicy(params, policy, now);
      params.push(q.state);
      where.push(`${enforcementStateSql(b.p, 'a', b.now)} = $${params.length}`);
    }
    const rows: MemberFactsDbRow[] = await this.dataSource.query(
      `SELECT ${MEMBER_FACTS_COLUMNS}${groupPoliciesColumn(policy)} FROM accounts.accounts a WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $2`,
      params,
    );
    return rows.map(toMemberFacts);
  }

  async countByState(orgId: string, policy: OrgPolicyState, now: Date): Promise<Array<{ state: EnforcementState; n: number }>> {
    const params: unknown[] = [orgId];
    const b = boundPolicy(params, policy, now);
    return this.dataSource.query(
      `SELECT ${enforcementStateSql(b.p, 'a', b.now)} AS state, count(*)::int AS n
         FROM accounts.accounts a WHERE a.org_id = $1 GROUP BY 1`,
      params,
    );
  }

  /** By id, scoped to an org when one is given, with its org's current policy: one round trip. */
  async findOne(accountId: string, orgId?: string): Promise<(MemberFactsRow & { policy: OrgPolicyState }) | null> {
    const rows: Array<MemberFactsDbRow & Partial<OrgPolicyRow>> = await this.dataSource.query(
      `SELECT ${MEMBER_FACTS_COLUMNS}, ${JOINED_POLICY_COLUMNS}, ${memberGroupPoliciesSql('p.has_group_policies')} AS group_policies
         FROM ${POLICY_JOIN}
        WHERE a.id = $1 AND ($2::uuid IS NULL OR a.org_id = $2::uuid)`,
      [accountId, orgId ?? null],
    );
    const row = rows[0];
    return row ? { ...toMemberFacts(row), policy: toOrgPolicyState(row.org_id, row) } : null;
  }
}
