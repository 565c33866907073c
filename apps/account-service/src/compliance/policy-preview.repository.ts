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
   * Two statements, run side by side, each one pass over the scope's members: the counts (one
   * hash aggregate by state now, state after and blocked day, folded again in SQL), and the
   * `sampleSize` members blocked soonest (a top-N sort).
   */
  async preview(
    scope: PreviewScope,
    opts: { maxDays: number; sampleSize: number },
  ): Promise<PreviewCounts & { sample: PreviewSampleRow[] }> {
    const n = scope.params.length;
    const countsSql = `
      WITH g AS MATERIALIZED (
        SELECT now_state, after_state, day, count(*)::int AS n FROM (
          SELECT ${stateNowSql(scope)} AS now_state, ${stateAfterSql(scope)} AS after_state,
                 (${blockedAfterSql(scope)} AT TIME ZONE 'UTC')::date AS day
            FROM ${scope.from} WHERE ${scope.where}) m
         GROUP BY 1, 2, 3)
      SELECT 's' AS kind, now_state, after_state, NULL AS date, sum(n)::int AS n FROM g GROUP BY now_state, after_state
      UNION ALL
      (SELECT 'd', NULL, NULL, to_char(day, 'YYYY-MM-DD'), sum(n)::int FROM g WHERE day IS NOT NULL GROUP BY day ORDER BY day LIMIT $${n + 1})`;
    const sampleSql = `
      SELECT ${MEMBER_FACTS_COLUMNS}, ${stateNowSql(scope)} AS state_now, b.blocked_at${
        scope.groupPolicies ? `, ${memberGroupPoliciesSql('true')} AS group_policies` : ''
      }
        FROM ${scope.from} CROSS JOIN LATERAL (SELECT ${blockedAfterSql(scope)} AS blocked_at) b
       WHERE ${scope.where} AND b.blocked_at IS NOT NULL
       ORDER BY b.blocked_at, a.id LIMIT $${n + 1}`;
    type CountRow = { kind: 's' | 'd'; now_state: EnforcementState; after_state: EnforcementState; date: string; n: number };
    type SampleRow = MemberFactsDbRow & { blocked_at: Date; state_now: EnforcementState };
    const [counts, sample] = await Promise.all([
      this.readOnly<CountRow[]>(countsSql, [...scope.params, opts.maxDays]),
      this.readOnly<SampleRow[]>(sampleSql, [...scope.params, opts.sampleSize]),
    ]);
    return {
      states: counts.filter((r) => r.kind === 's').map((r) => ({ now: r.now_state, after: r.after_state, n: r.n })),
      days: counts.filter((r) => r.kind === 'd').map((r) => ({ date: r.date, n: r.n })),
      sample: sample.map((r) => ({ ...toMemberFacts(r), blockedAt: new Date(r.blocked_at), stateNow: r.state_now })),
    };
  }

  /**
   * One statement in a read-only transaction of its own (the two run side by side). The planner
   * cannot tell the rule's expressions have 5 values each and guesses 100,000 groups at a
   * million rows: with the default 4 MB work_mem it then sorts every row to disk instead of
   * hashing (1.7 s against 1.0 s, docs/benchmarks.md P9), and JIT-compiles the expressions
   * for longer than it saves.
   */
  private readOnly<T>(sql: string, params: unknown[]): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SET TRANSACTION READ ONLY`);
      await tx.query(`SET LOCAL work_mem = '32MB'`);
      await tx.query(`SET LOCAL jit = off`);
      return tx.query(sql, params);
    });
  }
}
