import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search members by email prefix (`GET /v1/orgs/:orgId/members?email=`): the org's members in
 * `lower(email)` order, byte-wise (COLLATE "C", so `LIKE 'prefix%'` becomes an index range under
 * any database collation), with the id to make the keyset unique. A prefix page at 1,000,000
 * members is one index range walk that stops after the page (docs/benchmarks.md).
 */
export class MemberEmailSearch1796913000000 implements MigrationInterface {
  name = 'MemberEmailSearch1796913000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX accounts_org_email_search_idx ON accounts.accounts (org_id, (lower(email) COLLATE "C"), id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX accounts.accounts_org_email_search_idx`);
  }
}
