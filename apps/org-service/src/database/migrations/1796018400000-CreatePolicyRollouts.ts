import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Versioned MFA policies, their rollouts and the outbox that hands them to the other services. */
export class CreatePolicyRollouts1796018400000 implements MigrationInterface {
  name = 'CreatePolicyRollouts1796018400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE org.mfa_policies (
        org_id uuid NOT NULL,
        version int NOT NULL CHECK (version > 0),
        require_mfa boolean NOT NULL,
        grace_period_hours int NOT NULL,
        allowed_methods text[] NOT NULL,
        max_mfa_age_seconds int,
        created_at timestamptz NOT NULL DEFAULT now(),
        actor text,
        PRIMARY KEY (org_id, version)
      )`);
    await q.query(`
      CREATE TABLE org.policy_rollouts (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        policy_version int NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        total int NOT NULL DEFAULT 0,
        applied int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- last hand-over or progress: reconciliation re-hands-over rollouts silent for too long
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (org_id, policy_version)
      )`);
    await q.query(`CREATE INDEX policy_rollouts_unfinished_idx ON org.policy_rollouts (updated_at) WHERE status <> 'completed'`);
    await q.query(`
      CREATE TABLE org.outbox (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        attempts int NOT NULL DEFAULT 0,
        -- a lease: the relay claims a row by moving this forward, so two instances never race on it
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON org.outbox (next_attempt_at) WHERE delivered_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE org.outbox`);
    await q.query(`DROP TABLE org.policy_rollouts`);
    await q.query(`DROP TABLE org.mfa_policies`);
  }
}
