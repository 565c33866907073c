import express, { type NextFunction, type Request, type Response } from 'express';
import { MfaError, type AuthorizeReply, type MfaClient } from '@mfa-platform/client';
import { SESSION_COOKIE, SessionStore, sessionIdOf, type Session } from './sessions';
import { checkPassword, type DemoUser } from './users';

export interface MemberServiceOptions {
  mfa: MfaClient;
  users: Map<string, DemoUser>;
  /** how recent the MFA must be for a sensitive action (authorize's maxMfaAgeSeconds) */
  sensitiveMaxMfaAgeSeconds: number;
  /** where the hosted enrollment page sends the member back (its origin must be in WEB_ALLOWED_RETURN_ORIGINS) */
  enrollReturnUrl?: string;
  /** the step-up session's lifetime (mfa.sessions.issue durationSeconds) */
  stepUpDurationSeconds?: number;
}

/** A client-side mistake, answered with its status and one line naming what is wrong. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The platform's refusals as this service's answers: bad input is the caller's, an outage is a 503, never a 500. */
const STATUS_OF_MFA_CODE: Record<string, number> = {
  validation_failed: 400,
  invalid_code: 401,
  not_found: 403,
  locked_out: 429,
  rate_limited: 429,
  timeout: 503,
  unavailable: 503,
};

const text = (body: unknown, field: string, max: number): string => {
  const value = (body as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string' || !value.trim() || value.length > max)
    throw new HttpError(400, 'validation_failed', `${field}: required, a string of at most ${max} characters`);
  return value;
};

/**
 * The example member service (examples/member-service/README.md): password sign-in against its
 * own user table, then the platform decides. `accounts.authorize` answers every request; a member
 * who must enroll is sent to the hosted enrollment page, one who needs a code steps up with
 * `mfa.sessions.issue`, and the sensitive action asks for an MFA at most N seconds old.
 */
export function createMemberService(opts: MemberServiceOptions): express.Express {
  const { mfa, users } = opts;
  const sessions = new SessionStore();
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '10kb' }));

  const session = (req: Request): Session => {
    const s = sessions.get(sessionIdOf(req.headers.cookie));
    if (!s) throw new HttpError(401, 'not_signed_in', 'sign in first: POST /sign-in {username, password}');
    return s;
  };

  /** enrollment_required: a one-time link to the hosted enrollment page (15 minutes), as a 303. */
  const sendToEnrollment = async (res: Response, s: Session) => {
    const link = await mfa.enrollmentLinks.create({ accountId: s.accountId, returnUrl: opts.enrollReturnUrl });
    res.status(303).location(link.url).json({ next: 'enroll', url: link.url, expiresAt: link.expiresAt });
  };

  const stepUpRequired = (res: Response, reply: AuthorizeReply) =>
    res.status(401).json({
      code: 'step_up_required',
      reason: reply.reason,
      // the org's per-action condition that asked for it, when one did (docs/enforcement.md)
      ...(reply.condition ? { maxMfaAgeSeconds: reply.condition.maxMfaAgeSeconds } : {}),
      message: 'enter a code from your device: POST /step-up {code}',
    });

  const unknownAccount = () => new HttpError(403, 'unknown_account', 'this user has no account in the MFA platform (ask an admin)');

  app.post('/sign-in', async (req, res) => {
    const user = checkPassword(users, text(req.body, 'username', 200), text(req.body, 'password', 200));
    if (!user) throw new HttpError(401, 'invalid_credentials', 'username or password: does not match');
    const reply = await mfa.accounts.authorize({ accountId: user.accountId });
    if (reply.reason === 'unknown_account') throw unknownAccount();
    const { id, session: s } = sessions.create(user.username, user.accountId);
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', path: '/' });
    if (reply.reason === 'enrollment_required') return sendToEnrollment(res, s);
    // signed in; a compliant member still needs a code before the account page
    res.json({ signedIn: true, next: reply.allowed ? 'account' : 'step_up', reason: reply.reason });
  });

  app.post('/step-up', async (req, res) => {
    const s = session(req);
    const issued = await mfa.sessions.issue({
      accountId: s.accountId,
      code: text(req.body, 'code', 64),
      durationSeconds: opts.stepUpDurationSeconds,
    });
    s.sessionToken = issued.token;
    res.json({ mfaAuthenticatedAt: issued.mfaAuthenticatedAt, expiresAt: issued.expiresAt });
  });

  app.get('/account', async (req, res) => {
    const s = session(req);
    const reply = await mfa.accounts.authorize({ accountId: s.accountId, sessionToken: s.sessionToken });
    if (reply.reason === 'enrollment_required') return sendToEnrollment(res, s);
    if (reply.reason === 'unknown_account') throw unknownAccount();
    if (!reply.allowed) return stepUpRequired(res, reply);
    res.json({ username: s.username, accountId: s.accountId, mfa: reply.enforcement?.state ?? null });
  });

  // the sensitive action: only with an MFA at most sensitiveMaxMfaAgeSeconds old
  app.post('/transfers', async (req, res) => {
    const s = session(req);
    const to = text(req.body, 'to', 200);
    const amount = (req.body as { amount?: unknown }).amount;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
      throw new HttpError(400, 'validation_failed', 'amount: required, a positive number');
    const reply = await mfa.accounts.authorize({
      accountId: s.accountId,
      sessionToken: s.sessionToken,
      maxMfaAgeSeconds: opts.sensitiveMaxMfaAgeSeconds,
      // named, so a condition of the org's policy on it (e.g. "transfers:*" within 60 s) applies too
      action: 'transfers:create',
    });
    if (reply.reason === 'enrollment_required') return sendToEnrollment(res, s);
    if (reply.reason === 'unknown_account') throw unknownAccount();
    if (!reply.allowed) return stepUpRequired(res, reply);
    res.status(201).json({ transferred: { to, amount } });
  });

  app.post('/sign-out', (req, res) => {
    sessions.delete(sessionIdOf(req.headers.cookie));
    res.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).end();
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ code: 'not_found', message: 'no such route' });
  });

  // Express 5 routes a rejected async handler here
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) return res.status(err.status).json({ code: err.code, message: err.message });
    if (err instanceof MfaError) {
      const status = STATUS_OF_MFA_CODE[err.code] ?? 502;
      return res.status(status).json({ code: err.code, message: err.message, ...(err.errorId ? { errorId: err.errorId } : {}) });
    }
    const status = (err as { status?: unknown }).status; // body-parser: malformed JSON, too large
    if (typeof status === 'number' && status >= 400 && status < 500)
      return res.status(status).json({ code: 'validation_failed', message: `request body: ${(err as Error).message}` });
    console.error('member-service: unexpected error', err instanceof Error ? err.message : err);
    res.status(500).json({ code: 'internal', message: 'unexpected error' });
  });
  return app;
}
