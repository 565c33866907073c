import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ApiKeyRole } from '@mfa/contracts';
import { SessionStore } from '../common/session-store';
import { cookieSettings } from '../common/security';
import { WebEnv } from '../config/web.env';

export interface ConsoleSession {
  id: string;
  orgId: string;
  orgName: string;
  role: ApiKeyRole;
  keyId: string;
  /** the admin's org API key: server side only, sealed at rest */
  apiKey: string;
  /** the last rollout started from this session, for the live progress bar */
  rolloutId: string | null;
  ttl: number;
}

type Data = Omit<ConsoleSession, 'id' | 'apiKey' | 'ttl'>;

/** Thrown by a console route without a session: answered with a redirect to the sign-in page. */
export class NotSignedIn extends Error {}

/** A change refused to an auditor key (the admin API would refuse it too). */
export class ReadOnlyKey extends Error {}

@Injectable()
export class ConsoleSessions {
  private readonly cookies: ReturnType<typeof cookieSettings>;

  constructor(
    private readonly store: SessionStore,
    @Inject(WebEnv) private readonly env: WebEnv,
  ) {
    this.cookies = cookieSettings(env);
  }

  async start(res: Response, data: Omit<Data, 'rolloutId'>, apiKey: string): Promise<void> {
    const id = await this.store.create('console', { ...data, rolloutId: null }, { apiKey }, this.env.WEB_CONSOLE_SESSION_SECONDS);
    res.cookie(this.cookies.console, id, { ...this.cookies.options, maxAge: this.env.WEB_CONSOLE_SESSION_SECONDS * 1000 });
  }

  async find(req: Request): Promise<ConsoleSession | null> {
    const id = req.cookies?.[this.cookies.console] as string | undefined;
    const found = await this.store.get<Data, { apiKey: string }>('console', id);
    return found ? { ...found.data, id: id!, apiKey: found.secret.apiKey, ttl: found.ttl } : null;
  }

  async require(req: Request): Promise<ConsoleSession> {
    const session = await this.find(req);
    if (!session) throw new NotSignedIn();
    return session;
  }

  /** Same as require, for routes that change something: an auditor is refused here, before any call. */
  async requireAdmin(req: Request): Promise<ConsoleSession> {
    const session = await this.require(req);
    if (session.role !== 'admin') throw new ReadOnlyKey();
    return session;
  }

  async rememberRollout(session: ConsoleSession, rolloutId: string): Promise<void> {
    const { id, apiKey, ttl, ...data } = session;
    await this.store.update('console', id, { ...data, rolloutId }, { apiKey }, ttl);
  }

  async end(req: Request, res: Response): Promise<void> {
    await this.store.delete('console', req.cookies?.[this.cookies.console] as string | undefined);
    res.clearCookie(this.cookies.console, this.cookies.options);
  }
}
