import { DataSource } from 'typeorm';
import { MIN_UUID } from '@mfa/contracts';
import { Envelope } from '@mfa/crypto';
import { phoneAad, seedAad } from '../common/aad';
import { affected } from '../common/db';


interface SealedRow {
  id: string;
  secret_enc: string | null;
  phone_enc: string | null;
}

export interface ReencryptionOutcome {
  /** devices whose seed or phone number now is under the current key */
  reencrypted: number;
  /** rows changed meanwhile (deactivated, wiped): left as they are */
  skipped: number;
  /** devices that do not decrypt with any key of the ring (a removed key, a damaged value): left as they are */
  unreadable: number;
  /** the key ids of the unreadable values, for the operator */
  unreadableKids: string[];
}

/**
 * Moves every device secret still under an older key to the current one (MFA_ENCRYPTION_KEYS'
 * first key), so the old key can be removed. Keyset chunks by id; each chunk is decrypted and
 * re-sealed in memory and written with one statement that only replaces a value still equal to
 * the one read (a device deactivated meanwhile keeps its wiped columns). Idempotent: run it again
 * and it finds nothing.
 */
export async function reencryptSecrets(dataSource: DataSource, envelope: Envelope, chunk = 500): Promise<ReencryptionOutcome> {
  const current = envelope.currentKid;
  const outcome: ReencryptionOutcome = { reencrypted: 0, skipped: 0, unreadable: 0, unreadableKids: [] };
  let after = MIN_UUID;
  for (;;) {
    const rows: SealedRow[] = await dataSource.query(
      `SELECT id, secret_enc, phone_enc FROM mfa.devices
        WHERE id > $1 AND (split_part(secret_enc, '.', 2) <> $2 OR split_part(phone_enc, '.', 2) <> $2)
        ORDER BY id LIMIT $3`,
      [after, current, chunk],
    );
    if (rows.length === 0) return outcome;
    const reseal = (sealed: string | null, aad: string) => {
      if (!sealed || Envelope.kidOf(sealed) === current) return sealed;
      const plain = envelope.decrypt(sealed, aad);
      try {
        return envelope.encrypt(plain, aad);
      } finally {
        plain.fill(0);
      }
    };
    const readable: SealedRow[] = [];
    const fresh: Array<{ secret: string | null; phone: string | null }> = [];
    for (const r of rows) {
      try {
        fresh.push({ secret: reseal(r.secret_enc, seedAad(r.id)), phone: reseal(r.phone_enc, phoneAad(r.id)) });
        readable.push(r);
      } catch {
        outcome.unreadable++;
        for (const kid of [r.secret_enc, r.phone_enc].filter((v): v is string => !!v).map(Envelope.kidOf)) {
          if (kid !== current && !outcome.unreadableKids.includes(kid)) outcome.unreadableKids.push(kid);
        }
      }
    }
    after = rows[rows.length - 1].id;
    if (readable.length === 0) continue;
    const written = await affected(
      dataSource,
      `UPDATE mfa.devices d SET secret_enc = u.secret, phone_enc = u.phone
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, old_secret, old_phone, secret, phone)
        WHERE d.id = u.id AND d.secret_enc IS NOT DISTINCT FROM u.old_secret AND d.phone_enc IS NOT DISTINCT FROM u.old_phone`,
      [readable.map((r) => r.id), readable.map((r) => r.secret_enc), readable.map((r) => r.phone_enc), fresh.map((f) => f.secret), fresh.map((f) => f.phone)],
    );
    outcome.reencrypted += written;
    outcome.skipped += readable.length - written;
  }
}
