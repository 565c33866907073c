import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { affected, type Db } from '@mfa/database';
import { AT_CURRENT_VERSION, DEADLINE, JOINED_POLICY, POLICY_JOIN, policyJoin, requiredSql, stateAt } from '../enforcement/enforcement.sql';

export interface ReminderChunk {
  scanned: number;
  last: { orgId: string; id: string } | null;
  /** who was reminded now (this statement inserted their row), per org and offset, with the deadline each reminder is about (parallel arrays) */
  sent: Array<{ orgId: string; offsetHours: number; accountIds: string[]; deadlines: string[] }>;
}

export interface SnapshotChunk {
  scanned: number;
  lastOrgId: string | null;
  written: number;
}

/**
 * Every query of the compliance jobs: set-based, one statement per chunk, each safe to re-run
 * (a row that was handled no longer matches), so a run that died half-way is finished by the next.
 */
@Injectable()
export class ComplianceJobsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in a transaction holding the job's advisory lock, or returns null when another
   * instance holds it right now (it is doing this job: leave the work to it).
   */
  async inLockedChunk<T>(job: string, work: (tx: Db) => Promise<T>): Promise<T | null> {
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }] = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtext('compliance-job:' || $1)) AS locked`, [job]);
      return locked ? work(tx) : null;
    });
  }

  /**
   * For work that runs its statements on the pool (the rollout's chunk statement): a session
   * advisory lock held on a connection of its own for the whole run, or null when taken.
   */
  async withSessionLock<T>(job: string, work: () => Promise<T>): Promise<T | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext('compliance-job:' || $1)) AS locked`, [job]);
      if (!locked) return null;
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('compliance-job:' || $1))`, [job]);
      }
    } finally {
      await runner.release();
    }
  }

  /** Stored `pending` whose deadline passed (and no device, no exemption) -> `non_compliant`. */
  async materializeDeadlines(tx: Db, now: Date, limit: number): Promise<number> {
    const count = await affected(
      tx,
      `WITH due AS (
         SELECT a.org_id, a.id FROM ${POLICY_JOIN}
          WHERE a.enforcement_state = 'pending' AND ${AT_CURRENT_VERSION} AND ${stateAt('$1')} = 'non_compliant'
          ORDER BY a.org_id, a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED)
       UPDATE accounts.accounts a SET enforcement_state = 'non_compliant'
         FROM due WHERE a.org_id = due.org_id AND a.id = due.id`,
      [now, limit],
    );
    return count;
  }

  /** Stored `exempt` whose exemption ended (or was removed) -> the state the rule gives now. */
  async expireExemptions(tx: Db, now: Date, limit: number): Promise<number> {
    const count = await affected(
      tx,
      `WITH ended AS (
         SELECT a.org_id, a.id FROM ${POLICY_JOIN}
          WHERE a.enforcement_state = 'exempt' AND (a.exempt_until IS NULL OR a.exempt_until <= $1::timestamptz) AND ${AT_CURRENT_VERSION}
          ORDER BY a.org_id, a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED)
       UPDATE accounts.accounts a SET enforcement_state = ${stateAt('$1')}
         FROM ended ${policyJoin('ended')}
        WHERE a.org_id = ended.org_id AND a.id = ended.id`,
      [now, limit],
    );
    return count;
  }

  /**
   * One keyset chunk of the reminder walk, every offset at once: a member pending now whose
   * deadline is within the smallest offset that still covers it (offsets in hours; the deadline
   * falls in (now + the next smaller offset, now + this one], 0 below the smallest) gets that
   * offset's reminder. The offsets' windows do not overlap, so this is the walk once per offset
   * (most distant first) it replaces, in one pass over the members instead of one per offset.
   * The INSERT ... ON CONFLICT DO NOTHING RETURNING decides who gets a reminder: a row already
   * there (an earlier run, another instance) is not returned, so each (account, deadline, offset)
   * is reminded once.
   */
  async reminderChunk(
    tx: Db,
    now: Date,
    offsetsHours: number[],
    after: { orgId: string; id: string },
    limit: number,
  ): Promise<ReminderChunk> {
    const rows: Array<{
      scanned: number;
      last_org: string | null;
      last_id: string | null;
      sent: ReminderChunk['sent'] | null;
    }> = await tx.query(
      `WITH cand AS MATERIALIZED (
         SELECT a.org_id, a.id, ${DEADLINE} AS deadline, ${stateAt('$1')} AS state
           FROM ${POLICY_JOIN}
          WHERE ${requiredSql(JOINED_POLICY)} AND (a.org_id, a.id) > ($3::uuid, $4::uuid)
          ORDER BY a.org_id, a.id LIMIT $5
       ), due AS (
         SELECT org_id, id, deadline,
                (SELECT min(o) FROM unnest($2::int[]) o WHERE deadline <= $1::timestamptz + make_interval(hours => o)) AS offset_hours
           FROM cand
          WHERE state = 'pending' AND deadline > $1::timestamptz
       ), ins AS (
         INSERT INTO accounts.reminders_sent (account_id, deadline, offset_hours, org_id, sent_at)
         SELECT id, deadline, offset_hours, org_id, $1::timestamptz FROM due WHERE offset_hours IS NOT NULL
         ON CONFLICT DO NOTHING RETURNING org_id, account_id, deadline, offset_hours
       )
       SELECT (SELECT count(*)::int FROM cand) AS scanned,
              l.org_id AS last_org, l.id AS last_id,
              (SELECT json_agg(json_build_object('orgId', g.org_id, 'offsetHours', g.offset_hours, 'accountIds', g.ids, 'deadlines', g.deadlines)
                               ORDER BY g.org_id, g.offset_hours DESC)
                 FROM (SELECT org_id, offset_hours, array_agg(account_id ORDER BY account_id) AS ids,
                              array_agg(to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ORDER BY account_id) AS deadlines
                         FROM ins GROUP BY org_id, offset_hours) g) AS sent
         FROM (SELECT NULL) x
         LEFT JOIN LATERAL (SELECT org_id, id FROM cand ORDER BY org_id DESC, id DESC LIMIT 1) l ON true`,
      [now, offsetsHours, after.orgId, after.id, limit],
    );
    const r = rows[0];
    return { scanned: r.scanned, last: r.last_org && r.last_id ? { orgId: r.last_org, id: r.last_id } : null, sent: r.sent ?? [] };
  }

  /** Reminder rows for deadlines long gone: nobody is reminded of those again. */
  async forgetOldReminders(before: Date): Promise<number> {
    const count = await affected(this.dataSource, `DELETE FROM accounts.reminders_sent WHERE deadline < $1`, [before]);
    return count;
  }

  /** Orgs (after `afterOrgId`) with an account behind the org's policy version; settled policies only. */
  async orgsBehind(afterOrgId: string, settledBefore: Date, limit: number): Promise<string[]> {
    const rows: Array<{ org_id: string }> = await this.dataSource.query(
      `SELECT p.org_id FROM accounts.org_policies p
        WHERE p.org_id > $1::uuid AND p.updated_at <= $2
          AND EXISTS (SELECT 1 FROM accounts.accounts a WHERE a.org_id = p.org_id AND a.policy_version < p.version)
        ORDER BY p.org_id LIMIT $3`,
      [afterOrgId, settledBefore, limit],
    );
    return rows.map((r) => r.org_id);
  }

  /**
   * Today's figures for the next `limit` orgs having members (walked by a loose index scan
   * over (org_id, id)), counted with the shared rule at `now`, upserted per (org, date).
   */
  async snapshotChunk(tx: Db, now: Date, date: string, afterOrgId: string, limit: number): Promise<SnapshotChunk> {
    const rows: Array<{ scanned: number; last_org: string | null; written: number }> = await tx.query(
      `WITH RECURSIVE walk AS (
         (SELECT org_id FROM accounts.accounts WHERE org_id > $3::uuid ORDER BY org_id LIMIT 1)
         UNION ALL
         SELECT (SELECT org_id FROM accounts.accounts WHERE org_id > walk.org_id ORDER BY org_id LIMIT 1)
           FROM walk WHERE walk.org_id IS NOT NULL
       ), orgs AS MATERIALIZED (
         SELECT org_id FROM walk WHERE org_id IS NOT NULL LIMIT $4
       ), counted AS (
         SELECT a.org_id, ${stateAt('$1')} AS state FROM ${POLICY_JOIN} WHERE a.org_id IN (SELECT org_id FROM orgs)
       ), agg AS (
         SELECT org_id, count(*)::int AS total,
                count(*) FILTER (WHERE state = 'not_required')::int AS not_required,
                count(*) FILTER (WHERE state = 'pending')::int AS pending,
                count(*) FILTER (WHERE state = 'compliant')::int AS compliant,
                count(*) FILTER (WHERE state = 'non_compliant')::int AS non_compliant,
                count(*) FILTER (WHERE state = 'exempt')::int AS exempt
           FROM counted GROUP BY org_id
       ), up AS (
         INSERT INTO accounts.compliance_snapshots AS s (org_id, date, total, by_state, compliant_percent, taken_at)
         SELECT org_id, $2::date, total,
                jsonb_build_object('not_required', not_required, 'pending', pending, 'compliant', compliant, 'non_compliant', non_compliant, 'exempt', exempt),
                CASE WHEN total - not_required - exempt > 0 THEN round(100.0 * compliant / (total - not_required - exempt), 2) ELSE 0 END,
                $1::timestamptz
           FROM agg
         ON CONFLICT (org_id, date) DO UPDATE SET
           total = EXCLUDED.total, by_state = EXCLUDED.by_state, compliant_percent = EXCLUDED.compliant_percent, taken_at = EXCLUDED.taken_at
           WHERE s.taken_at <= EXCLUDED.taken_at
         RETURNING org_id
       )
       SELECT (SELECT count(*)::int FROM orgs) AS scanned,
              (SELECT org_id FROM orgs ORDER BY org_id DESC LIMIT 1) AS last_org,
              (SELECT count(*)::int FROM up) AS written`,
      [now, date, afterOrgId, limit],
    );
    const r = rows[0];
    return { scanned: r.scanned, lastOrgId: r.last_org, written: r.written };
  }
}
