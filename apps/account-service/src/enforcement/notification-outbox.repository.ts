import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rows } from '@mfa/database';

export interface NotificationChunk {
  orgId: string;
  accountIds: string[];
  /** per account, told apart within one kind and version (a reminder's deadline); null: none */
  dedupeKeys: Array<string | null> | null;
  kind: string;
  /** the payload field the key is shown as (default `deadline`) */
  keyName?: string;
  version: number;
  payload: object;
}

/** Every query on accounts.notification_outbox. */
@Injectable()
export class NotificationOutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One set-based INSERT per chunk; a row already there (a retried job) is skipped. Answers how many were new. */
  async insertChunk(c: NotificationChunk): Promise<number> {
    if (c.accountIds.length === 0) return 0;
    const inserted = await rows<{ id: string }>(
      this.dataSource,
      `INSERT INTO accounts.notification_outbox (org_id, account_id, kind, policy_version, dedupe_key, payload)
       SELECT $1, n.id, $3, $4, coalesce(n.key, ''), $5::jsonb || jsonb_strip_nulls(jsonb_build_object($7::text, n.key))
         FROM unnest($2::uuid[], $6::text[]) AS n(id, key)
       ON CONFLICT (account_id, kind, policy_version, dedupe_key) DO NOTHING RETURNING id`,
      [
        c.orgId,
        c.accountIds,
        c.kind,
        c.version,
        JSON.stringify(c.payload),
        c.dedupeKeys ?? c.accountIds.map(() => null),
        c.keyName ?? 'deadline',
      ],
    );
    return inserted.length;
  }
}
