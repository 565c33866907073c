import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { MfaMethod } from '@mfa/contracts';
import { SessionStore } from '../common/session-store';
import { cookieSettings } from '../common/security';
import { WebEnv } from '../config/web.env';

export type EnrollStep = 'choose' | 'totp' | 'sms' | 'webauthn' | 'recovery';

export interface EnrollData {
  accountId: string;
  orgId: string;
  email: string;
  returnUrl: string | null;
  allowedMethods: MfaMethod[];
  /** the account had an active device when the link was opened: a current code comes first */
  needsStepUp: boolean;
  /** one of its active devices is a passkey: the step-up may use it (navigator.credentials.get) */
  hasPasskey?: boolean;
  step: EnrollStep;
  serialNumber: string | null;
}

/** Sealed at rest: what would let someone act for the member or read their factor. */
export interface EnrollSecret {
  sessionToken?: string;
  secretBase32?: string;
  qrCodePng?: string;
  /** a passkey's registration options (their challenge), as JSON for the page's script */
  registrationOptions?: string;
  /** a passkey step-up's challenge: its id and the options for navigator.credentials.get, as JSON */
  challengeId?: string;
  authenticationOptions?: string;
  recoveryCodes?: string[];
}

export interface EnrollSession {
  id: string;
  data: EnrollData;
  secret: EnrollSecret;
  ttl: number;
}

export class NoEnrollSession extends Error {}

/** The page session a redeemed link becomes: the member acts through it for WEB_ENROLL_SESSION_SECONDS, never with the link token again. */
@Injectable()
export class EnrollSessions {
  private readonly cookies: ReturnType<typeof cookieSettings>;

  constructor(
    private readonly store: SessionStore,
    @Inject(WebEnv) private readonly env: WebEnv,
  ) {
    this.cookies = cookieSettings(env);
  }

  async start(res: Response, data: EnrollData): Promise<void> {
    const id = await this.store.create('enroll', data, {}, this.env.WEB_ENROLL_SESSION_SECONDS);
    res.cookie(this.cookies.enroll, id, { ...this.cookies.options, maxAge: this.env.WEB_ENROLL_SESSION_SECONDS * 1000 });
  }

  async require(req: Request): Promise<EnrollSession> {
    const id = req.cookies?.[this.cookies.enroll] as string | undefined;
    const found = await this.store.get<EnrollData, EnrollSecret>('enroll', id);
    if (!found) throw new NoEnrollSession();
    return { id: id!, ...found };
  }

  save(s: EnrollSession): Promise<void> {
    return this.store.update('enroll', s.id, s.data, s.secret, s.ttl);
  }

  async end(s: EnrollSession, res: Response): Promise<void> {
    await this.store.delete('enroll', s.id);
    res.clearCookie(this.cookies.enroll, this.cookies.options);
  }
}
