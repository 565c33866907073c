import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './key-ring';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM envelope: `v1.<kid>.<iv>.<ciphertext+tag>` (base64url). The key id lets old keys
 * keep decrypting after a rotation. `aad` binds a ciphertext to where it is stored (e.g. the
 * row id), so a ciphertext copied onto another row does not decrypt. Errors never carry data.
 */
export class Envelope {
  constructor(private readonly ring: KeyRing) {}

  get currentKid(): string {
    return this.ring.current.kid;
  }

  encrypt(plaintext: Buffer, aad: string): string {
    const { kid, key } = this.ring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, kid, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string, aad: string): Buffer {
    const [version, kid, ivText, bodyText] = sealed.split('.');
    if (version !== VERSION || !bodyText) throw new Error('malformed envelope');
    const entry = this.ring.byKid.get(kid);
    if (!entry) throw new Error(`no key with id ${kid} in the key ring`);
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(ivText, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`envelope does not authenticate under key ${kid}`);
    }
  }

  /** Whether the ring holds this key id (a value sealed under a removed key no longer decrypts). */
  hasKid(kid: string): boolean {
    return this.ring.byKid.has(kid);
  }

  /** The key id a sealed value was encrypted with (to find values still under an old key). */
  static kidOf(sealed: string): string {
    return sealed.split('.')[1] ?? '';
  }
}
