import { Injectable } from '@nestjs/common';
import type { NewMember } from '@mfa/contracts';
import { DataSource } from 'typeorm';
import { AccountEntity } from '../database/entities/account.entity';

interface AccountRow {
  id: string;
  org_id: string;
  email: string;
  display_name: string | null;
  external_id: string | null;
  created_at: Date;
}

const MEMBER_COLUMNS = 'id, org_id, email, display_name, external_id, created_at';

function toEntity(row: AccountRow): AccountEntity {
  return Object.assign(new AccountEntity(), {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    displayName: row.display_name,
    externalId: row.external_id,
    createdAt: row.created_at,
  });
}

/** Every query on the member columns of accounts.accounts. */
@Injectable()
export class AccountRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(AccountEntity);
  }

  /** The new account, or null when the org already has a member with that email. */
  async insertOne(orgId: string, m: NewMember): Promise<AccountEntity | null> {
    const rows: AccountRow[] = await this.dataSource.query(
      `INSERT INTO accounts.accounts (org_id, email, display_name, external_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (org_id, email) DO NOTHING RETURNING ${MEMBER_COLUMNS}`,
      [orgId, m.email, m.displayName ?? null, m.externalId ?? null],
    );
    return rows[0] ? toEntity(rows[0]) : null;
  }

  /**
   * One set-based statement for the whole batch: the rows travel as three arrays and are
   * unnested server-side. Duplicates within the batch and emails already present are skipped
   * by ON CONFLICT; the count of rows actually inserted comes back, not the rows.
   */
  async insertMany(orgId: string, members: NewMember[]): Promise<number> {
    const rows: Array<{ created: number }> = await this.dataSource.query(
      `WITH inserted AS (
         INSERT INTO accounts.accounts (org_id, email, display_name, external_id)
         SELECT $1::uuid, t.email, t.display_name, t.external_id
           FROM unnest($2::text[], $3::text[], $4::text[]) AS t(email, display_name, external_id)
           -- one order for every batch: two imports with overlapping emails wait on each other's
           -- unique-index entries in the same order instead of deadlocking
           ORDER BY t.email
         ON CONFLICT (org_id, email) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS created FROM inserted`,
      [orgId, members.map((m) => m.email), members.map((m) => m.displayName ?? null), members.map((m) => m.externalId ?? null)],
    );
    return rows[0].created;
  }

  /** The org of each of these accounts (unknown ones absent). */
  async orgsOf(ids: string[]): Promise<Map<string, string>> {
    const rows: Array<{ id: string; org_id: string }> = await this.dataSource.query(
      `SELECT id, org_id FROM accounts.accounts WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.org_id]));
  }

  async deleteInOrg(orgId: string, id: string): Promise<boolean> {
    const result = await this.repo.delete({ orgId, id });
    return (result.affected ?? 0) > 0;
  }
}
