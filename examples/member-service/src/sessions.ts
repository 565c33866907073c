import { randomBytes } from 'node:crypto';

/** One signed-in browser. The platform's session token stays here, never in the cookie. */
export interface Session {
  username: string;
  accountId: string;
  /** from `mfa.sessions.issue` after a step-up; authorize checks it and its MFA age */
  sessionToken?: string;
  expiresAtMs: number;
}

export const SESSION_COOKIE = 'sid';
const SESSION_TTL_MS = 8 * 3600_000;

/** In memory: enough for one process of an example (a real service keeps them in its own store). */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  create(username: string, accountId: string): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const session = { username, accountId, expiresAtMs: Date.now() + SESSION_TTL_MS };
    this.sessions.set(id, session);
    return { id, session };
  }

  get(id: string | undefined): Session | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (session && session.expiresAtMs <= Date.now()) {
      this.sessions.delete(id!);
      return undefined;
    }
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}

/** The session id from a Cookie header (one cookie read; no dependency needed for that). */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}
