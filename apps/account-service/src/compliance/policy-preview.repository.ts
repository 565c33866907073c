import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EnforcementState } from '@mfa/contracts';
import {
  MEMBER_FACTS_COLUMNS,
  type MemberFactsDbRow,
  type MemberFactsRow,
  toMemberFacts,
} from '../enforcement/member-enforcement.repository';
import { memberGroupPoliciesSql } from '../enforcement/group-policy.repository';
import { blockedAfterSql, type PreviewScope, stateAfterSql, stateNowSql } from './policy-preview.sql';

export interface PreviewCounts {
  /** one row per (state now, state after) pair present */
  states: Array<{ now: EnforcementState; after: EnforcementState; n: number }>;
  /** the first `maxDays` UTC days on which someone is blocked, ascending */
  days: Array<{ date: string; n: number }>;
}

export interface PreviewSampleRow extends MemberFactsRow {
  blockedAt: Date;
  stateNow: EnforcementState;
}

/** The preview's reads: set-based, nothing written (docs/enforcement.md, "Policy preview"). */
@Injectable()
export class PolicyPreviewRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The counts (one hash aggregate by state now, state after and blocked day, folded again in
   * SQL) and the `sampleSize` members blocked soonest, each one statement over the scope's
   * members. Without group policies the two run side by side (in parallel workers each). With
   * them, one after the other: the group aggregate (a hash table per process) and the rule over
   * every member cost twice the CPU when both statements take their full pass, so the counts go
   * first. blockedFrom is never earlier than now (GREATEST(deadline, exempt_until, now)), and it
   * is now exactly for the members non_compliant after (required, no counted device, deadline
   * passed, not exempt): when there are at least `sampleSize` of them, the sample is exactly the
   * lowest ids blocked at now, read in id order until found (a few rows, not a pass); otherwise,
   * or if that read finds fewer, the top-N pass.
   */
  async preview(
    scope: PreviewScope,
    opts: { maxDays: number; sampleSize: number },
  ): Promise<PreviewCounts & { sample: PreviewSampleRow[] }> {
    if (!scope.groupPolicies) {
      const [counts, sample] = await Promise.all([this.counts(scope, opts.maxDays), this.sample(scope, opts.sampleSize, false)]);
      return { ...counts, sample };
    }
    const counts = await this.counts(scope, opts.maxDays);
    const nonCompliantAfter = counts.states.reduce((n, s) => n + (s.after === 'non_compliant' ? s.n : 0), 0);
    // fewer rows than asked: fewer are blocked at now than counted (cannot happen, see above); the full pass then
    const sample = nonCompliantAfter >= opts.sampleSize ? await this.sample(scope, opts.sampleSize, true) : ([] as PreviewSampleRow[]);
    return {
      ...counts,
      sample: sample.length === opts.sampleSize ? sample : await this.sample(scope, opts.sampleSize, false),
    };
  }

  private async counts(scope: PreviewScope, maxDays: number): Promise<PreviewCounts> {
    const n = scope.params.length;
    const sql = `
      WITH g AS MATERIALIZED (
        SELECT now_state, after_state, day, count(*)::int AS n FROM (
          SELECT ${stateNowSql(scope)} AS now_state, ${stateAfterSql(scope)} AS after_state,
                 (${blockedAfterSql(scope)} AT TIME ZONE 'UTC')::date AS day
            FROM ${scope.from} WHERE ${scope.where}) m
         GROUP BY 1, 2, 3)
      SELECT 's' AS kind, now_state, after_state, NULL AS date, sum(n)::int AS n FROM g GROUP BY now_state, after_state
      UNION ALL
      (SELECT 'd', NULL, NULL, to_char(day, 'YYYY-MM-DD'), sum(n)::int FROM g WHERE day IS NOT NULL GROUP BY day ORDER BY day LIMIT $${n + 1})`;
    type CountRow = { kind: 's' | 'd'; now_state: EnforcementState; after_state: EnforcementState; date: string; n: number };
    // with the group part the planner guesses a group per row and would sort every row: hash instead
    const rows = await this.readOnly<CountRow[]>(sql, [...scope.params, maxDays], { hashOnly: scope.groupPolicies });
    return {
      states: rows.filter((r) => r.kind === 's').map((r) => ({ now: r.now_state, after: r.after_state, n: r.n })),
      days: rows.filter((r) => r.kind === 'd').map((r) => ({ date: r.date, n: r.n })),
    };
  }

  /**
   * The `size` members blocked soonest (blocked instant, then id). `blockedNow`: at least `size`
   * are blocked at now, the earliest instant there is, so they are the lowest ids blocked at now.
   */
  private async sample(scope: PreviewScope, size: number, blockedNow: boolean): Promise<PreviewSampleRow[]> {
    const n = scope.params.length;
    // a few rows read: the group part per row, not an aggregate over every membership first
    const j = blockedNow ? { ...scope.perRow, now: scope.now } : scope;
    const sql = `
      SELECT ${MEMBER_FACTS_COLUMNS}, ${stateNowSql(j)} AS state_now, b.blocked_at${
        scope.groupPolicies ? `, ${memberGroupPoliciesSql('true')} AS group_policies` : ''
      }
        FROM ${j.from} CROSS JOIN LATERAL (SELECT ${blockedAfterSql(j)} AS blocked_at) b
       WHERE ${j.where} AND ${blockedNow ? `b.blocked_at = ${scope.now}` : 'b.blocked_at IS NOT NULL'}
       ORDER BY ${blockedNow ? 'a.id' : 'b.blocked_at, a.id'} LIMIT $${n + 1}`;
    type SampleRow = MemberFactsDbRow & { blocked_at: Date; state_now: EnforcementState };
    const rows = await this.readOnly<SampleRow[]>(sql, [...scope.params, size], { hashOnly: blockedNow });
    return rows.map((r) => ({ ...toMemberFacts(r), blockedAt: new Date(r.blocked_at), stateNow: r.state_now }));
  }

  /**
   * One statement in a read-only transaction of its own (the two run side by side). The planner
   * cannot tell the rule's expressions have 5 values each and guesses 100,000 groups at a
   * million rows: with the default 4 MB work_mem it then sorts every row to disk instead of
   * hashing (1.7 s against 1.0 s, docs/benchmarks.md P9), and JIT-compiles the expressions
   * for longer than it saves.
   */
  private readOnly<T>(sql: string, params: unknown[], opts: { hashOnly?: boolean } = {}): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SET TRANSACTION READ ONLY`);
      await tx.query(`SET LOCAL work_mem = '32MB'`);
      await tx.query(`SET LOCAL jit = off`);
      if (opts.hashOnly) await tx.query(`SET LOCAL enable_sort = off`);
      return tx.query(sql, params);
    });
  }
}
