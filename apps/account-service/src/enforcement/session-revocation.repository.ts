import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid, type SessionRevocation } from '@mfa/contracts';

/** The longest a session token lives: a revocation older than this covers no live token. */
const MAX_TOKEN_SECONDS = 129_600;

@Injectable()
export class SessionRevocationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Upsert keeping the latest time (idempotent, order-proof); only for an account of that org,
   * so a foreign id revokes nothing. Rows that no longer cover a live token go at the same time.
   */
  async record(r: SessionRevocation): Promise<void> {
    if (!isUuid(r.accountId) || !isUuid(r.orgId)) return;
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `DELETE FROM accounts.session_revocations WHERE account_id = $1 AND revoked_before < now() - make_interval(secs => $2)`,
        [r.accountId, MAX_TOKEN_SECONDS],
      );
      await tx.query(
        `INSERT INTO accounts.session_revocations (account_id, serial_number, revoked_before, reason)
         SELECT a.id, $3, $4, $5 FROM accounts.accounts a WHERE a.id = $1 AND a.org_id = $2
         ON CONFLICT (account_id, serial_number) DO UPDATE SET
           reason = CASE WHEN EXCLUDED.revoked_before > session_revocations.revoked_before THEN EXCLUDED.reason ELSE session_revocations.reason END,
           revoked_before = GREATEST(session_revocations.revoked_before, EXCLUDED.revoked_before),
           updated_at = now()`,
        [r.accountId, r.orgId, r.serialNumber ?? '', new Date(r.before), r.reason],
      );
    });
  }
}
