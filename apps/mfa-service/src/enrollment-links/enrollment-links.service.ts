import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Bus, type BusCaller } from '@mfa/bus';
import { AppError, ErrorCodes, Patterns, type EnrollmentLinkReply, type RedeemEnrollmentLinkReply } from '@mfa/contracts';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { EnrollmentLinkStore } from './enrollment-link.store';

export const ENROLLMENT_LINK_TTL_MS = 15 * 60_000;

export const hashLinkToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** `mfa.enrollment.links.create` and the web app's redemption (docs/web.md "Enrollment links"). */
@Injectable()
export class EnrollmentLinksService {
  private readonly returnOrigins: ReadonlySet<string>;

  constructor(
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    private readonly store: EnrollmentLinkStore,
    private readonly bus: Bus,
  ) {
    this.returnOrigins = new Set(env.WEB_ALLOWED_RETURN_ORIGINS.split(',').filter(Boolean));
  }

  async create(caller: BusCaller, accountId: string, returnUrl: string | undefined): Promise<EnrollmentLinkReply> {
    const allowedReturn = returnUrl === undefined ? null : this.checkReturnUrl(returnUrl);
    const orgId = await this.orgOf(accountId);
    // the bus gate already bound a member service's accountId to its org; this says so again here
    if (caller.kind === 'service' && caller.orgId !== orgId) throw AppError.notFound('account');
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAtMs = now + ENROLLMENT_LINK_TTL_MS;
    await this.store.save(hashLinkToken(token), { accountId, orgId, returnUrl: allowedReturn, expiresAtMs }, now);
    return { url: `${this.env.WEB_PUBLIC_URL}/enroll/${token}`, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  redeem(token: string): Promise<RedeemEnrollmentLinkReply> {
    return this.store.redeem(hashLinkToken(token), Date.now());
  }

  private checkReturnUrl(value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw AppError.validation('returnUrl must be an absolute http(s) URL');
    }
    if (!this.returnOrigins.has(url.origin))
      throw AppError.validation(`returnUrl must be on an allowed origin (WEB_ALLOWED_RETURN_ORIGINS); ${url.origin} is not one`);
    return url.href;
  }

  private async orgOf(accountId: string): Promise<string> {
    try {
      return (await this.bus.send(Patterns.AccountsGet, { accountId })).orgId;
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCodes.NotFound) throw AppError.notFound('account');
      throw err;
    }
  }
}
