import { MIN_UUID } from '@mfa/contracts';
import { Envelope } from '@mfa/crypto';
import { type Db, keysetChunks } from '@mfa/database';
import { phoneAad, seedAad } from '../common/aad';
import { DeviceSecretRepository, type Resealed } from './device-secret.repository';

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
export async function reencryptSecrets(db: Db, envelope: Envelope, chunk = 500): Promise<ReencryptionOutcome> {
  const current = envelope.currentKid;
  const devices = new DeviceSecretRepository(db);
  const outcome: ReencryptionOutcome = { reencrypted: 0, skipped: 0, unreadable: 0, unreadableKids: [] };
  const reseal = (sealed: string | null, aad: string) => {
    if (!sealed || Envelope.kidOf(sealed) === current) return sealed;
    const plain = envelope.decrypt(sealed, aad);
    try {
      return envelope.encrypt(plain, aad);
    } finally {
      plain.fill(0);
    }
  };
  const chunks = keysetChunks(MIN_UUID, chunk, async (after: string) => {
    const rows = await devices.notUnderKey(current, after, chunk);
    return { rows, scanned: rows.length, last: rows.at(-1)?.id ?? null };
  });
  for await (const { rows } of chunks) {
    const readable: Resealed[] = [];
    for (const r of rows) {
      try {
        readable.push({ ...r, secret: reseal(r.secret_enc, seedAad(r.id)), phone: reseal(r.phone_enc, phoneAad(r.id)) });
      } catch {
        outcome.unreadable++;
        for (const kid of [r.secret_enc, r.phone_enc].filter((v): v is string => !!v).map((v) => Envelope.kidOf(v))) {
          if (kid !== current && !outcome.unreadableKids.includes(kid)) outcome.unreadableKids.push(kid);
        }
      }
    }
    if (readable.length === 0) continue;
    const written = await devices.replace(readable);
    outcome.reencrypted += written;
    outcome.skipped += readable.length - written;
  }
  return outcome;
}
