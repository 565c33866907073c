import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { RedisConnection } from '@mfa/bus';
import { Envelope, InternalKey } from '@mfa/crypto';
import { WEB_REDIS } from './web-redis';

/**
 * Server-side sessions in Redis. The browser holds only a random id (HttpOnly cookie); Redis
 * holds the record under the id's SHA-256 (a Redis reader cannot replay a cookie), and the
 * secret parts (an org API key, a TOTP secret, recovery codes) sealed with the web session key
 * derived from BUS_INTERNAL_KEY, bound to the session (AES-GCM AAD).
 */
@Injectable()
export class SessionStore implements OnModuleDestroy {
  private readonly envelope: Envelope;

  constructor(
    @Inject(WEB_REDIS) private readonly redis: RedisConnection,
    internalKey: InternalKey,
  ) {
    const current = { kid: 'w1', key: internalKey.webSessionKey };
    this.envelope = new Envelope({ current, byKid: new Map([[current.kid, current]]) });
  }

  /** A new session of `kind`; returns the id for the cookie. */
  async create<T extends object>(kind: string, data: T, secret: object, ttlSeconds: number): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.write(kind, id, data, secret, ttlSeconds);
    return id;
  }

  async get<T extends object, S extends object>(kind: string, id: string | undefined): Promise<{ data: T; secret: S; ttl: number } | null> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const key = keyOf(kind, id);
    const [[, raw], [, ttl]] = (await this.redis.multi().get(key).ttl(key).exec()) as [[null, string | null], [null, number]];
    if (!raw) return null;
    const { data, sealed } = JSON.parse(raw) as { data: T; sealed: string };
    const secret = JSON.parse(this.envelope.decrypt(sealed, key).toString('utf8')) as S;
    return { data, secret, ttl };
  }

  /** Replaces a session's record, keeping its remaining lifetime. */
  async update(kind: string, id: string, data: object, secret: object, ttlSeconds: number): Promise<void> {
    if (ttlSeconds > 0) await this.write(kind, id, data, secret, ttlSeconds);
  }

  async delete(kind: string, id: string | undefined): Promise<void> {
    if (id) await this.redis.del(keyOf(kind, id));
  }

  private async write(kind: string, id: string, data: object, secret: object, ttlSeconds: number): Promise<void> {
    const key = keyOf(kind, id);
    const sealed = this.envelope.encrypt(Buffer.from(JSON.stringify(secret), 'utf8'), key);
    await this.redis.set(key, JSON.stringify({ data, sealed }), 'EX', ttlSeconds);
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}

const keyOf = (kind: string, id: string) => `web:session:${kind}:${createHash('sha256').update(id).digest('hex')}`;
