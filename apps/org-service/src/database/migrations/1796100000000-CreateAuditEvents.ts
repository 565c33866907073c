import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (schema `org`): append-only. The id is the producer's, so a retried job or a
 * redelivered queue entry records the event once (INSERT ... ON CONFLICT (id) DO NOTHING).
 */
export class CreateAuditEvents1796100000000 implements MigrationInterface {
  name = 'CreateAuditEvents1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE org.audit_events (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        at timestamptz NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('platform', 'api_key', 'account', 'system')),
        actor_id text,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    // newest-first keyset paging, with and without the action filter
    await q.query(`CREATE INDEX audit_events_org_at_idx ON org.audit_events (org_id, at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_org_action_at_idx ON org.audit_events (org_id, action, at DESC, id DESC)`);
    // append-only by construction, not by convention: rows can be added, never changed
    await q.query(`
      CREATE FUNCTION org.audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON org.audit_events
      FOR EACH ROW EXECUTE FUNCTION org.audit_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE org.audit_events`);
    await q.query(`DROP FUNCTION org.audit_events_append_only()`);
  }
}
