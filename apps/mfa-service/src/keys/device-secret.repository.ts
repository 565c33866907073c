import { affected, type Db, rows } from '@mfa/database';

export interface SealedRow {
  id: string;
  secret_enc: string | null;
  phone_enc: string | null;
}

export interface Resealed extends SealedRow {
  secret: string | null;
  phone: string | null;
}

/** The sealed columns of mfa.devices, for key rotation (tools/reencrypt-secrets.ts runs it outside Nest, so it takes a Db). */
export class DeviceSecretRepository {
  constructor(private readonly db: Db) {}

  /** Devices after `after` (id order) with a seed or number sealed under a key other than `kid`. */
  notUnderKey(kid: string, after: string, limit: number): Promise<SealedRow[]> {
    return rows<SealedRow>(
      this.db,
      `SELECT id, secret_enc, phone_enc FROM mfa.devices
        WHERE id > $1 AND (split_part(secret_enc, '.', 2) <> $2 OR split_part(phone_enc, '.', 2) <> $2)
        ORDER BY id LIMIT $3`,
      [after, kid, limit],
    );
  }

  /** One statement; a row changed since it was read (deactivated, wiped) keeps its values. Answers rows written. */
  replace(resealed: Resealed[]): Promise<number> {
    return affected(
      this.db,
      `UPDATE mfa.devices d SET secret_enc = u.secret, phone_enc = u.phone
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, old_secret, old_phone, secret, phone)
        WHERE d.id = u.id AND d.secret_enc IS NOT DISTINCT FROM u.old_secret AND d.phone_enc IS NOT DISTINCT FROM u.old_phone`,
      [
        resealed.map((r) => r.id),
        resealed.map((r) => r.secret_enc),
        resealed.map((r) => r.phone_enc),
        resealed.map((r) => r.secret),
        resealed.map((r) => r.phone),
      ],
    );
  }
}
