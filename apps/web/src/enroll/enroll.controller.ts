import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError } from '@mfa/contracts';
import { RateLimit } from '../common/rate-limit';
import { field, render } from '../common/render';
import { WebEnv } from '../config/web.env';
import { groupKey } from '../console/charts';
import { EnrollSessions, type EnrollSession } from './enroll-sessions';
import { EnrollService } from './enroll.service';

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const LINK_PROBLEMS = {
  used: {
    status: 410,
    title: 'This link was already used',
    message: 'Each enrollment link works once. Ask for a new link where you got this one.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    message: 'Enrollment links work for 15 minutes. Ask for a new link where you got this one.',
  },
  unknown: { status: 404, title: 'This link is not valid', message: 'Check that you opened the whole link, or ask for a new one.' },
} as const;

/** The hosted enrollment page (docs/web.md): a one-time link becomes a short page session. */
@Controller('enroll')
export class EnrollController {
  constructor(
    private readonly sessions: EnrollSessions,
    private readonly enroll: EnrollService,
    private readonly limits: RateLimit,
    @Inject(WebEnv) private readonly env: WebEnv,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response) {
    this.show(req, res, await this.sessions.require(req));
  }

  /**
   * Opening the link only shows a button: the link is spent by the POST, so a mail scanner that
   * fetches links does not use it up. The token never reaches a log line (see the request logger).
   */
  @Get(':token')
  landing(@Req() req: Request, @Res() res: Response, @Param('token') token: string) {
    if (!LINK_TOKEN.test(token)) return render(req, res, 'error', { ...LINK_PROBLEMS.unknown }, 404);
    render(req, res, 'enroll/start', { title: 'Set up two-step verification', token });
  }

  @Post('start/:token')
  async start(@Req() req: Request, @Res() res: Response, @Param('token') token: string) {
    await this.limits.hit('enroll-link', req.ip ?? 'unknown', this.env.WEB_ENROLL_LINKS_PER_MINUTE);
    const link = LINK_TOKEN.test(token) ? await this.enroll.redeem(token) : ({ state: 'unknown' } as const);
    if (link.state !== 'redeemed') {
      const problem = LINK_PROBLEMS[link.state];
      return render(req, res, 'error', { title: problem.title, message: problem.message }, problem.status);
    }
    const member = await this.enroll.describe(link.accountId, link.orgId);
    await this.sessions.start(res, {
      accountId: link.accountId,
      orgId: link.orgId,
      returnUrl: link.returnUrl,
      ...member,
      step: 'choose',
      serialNumber: null,
    });
    res.redirect(303, '/enroll');
  }

  /** A current code or recovery code; or, from the passkey form, the browser's assertion. */
  @Post('step-up')
  async stepUp(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    const assertion = field(req.body, 'assertion');
    const code = field(req.body, 'code');
    await this.act(req, res, s, () => (code ? this.enroll.stepUp(s, code) : this.enroll.stepUpWithPasskey(s, assertion)));
  }

  /** "Use a passkey": a challenge for navigator.credentials.get, which the page then offers. */
  @Post('step-up/passkey')
  async stepUpPasskey(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    if (!s.data.hasPasskey || s.secret.sessionToken) return res.redirect(303, '/enroll');
    await this.act(req, res, s, () => this.enroll.stepUpChallenge(s));
  }

  @Post('totp')
  async totp(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    await this.act(req, res, s, () => this.enroll.startTotp(s));
  }

  @Post('sms')
  async sms(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    await this.act(req, res, s, () => this.enroll.startSms(s, field(req.body, 'phoneNumber')));
  }

  @Post('passkey')
  async passkey(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    await this.act(req, res, s, () => this.enroll.startWebAuthn(s));
  }

  @Post('enable')
  async enable(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    const step = s.data.step;
    if (step !== 'totp' && step !== 'sms' && step !== 'webauthn') return res.redirect(303, '/enroll');
    const proof =
      step === 'webauthn'
        ? { registrationResponse: field(req.body, 'registrationResponse') }
        : { code1: field(req.body, 'code1'), ...(step === 'totp' ? { code2: field(req.body, 'code2') } : {}) };
    await this.act(req, res, s, () => this.enroll.enable(s, proof));
  }

  @Post('back')
  async back(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    if (s.data.step !== 'recovery') Object.assign(s.data, { step: 'choose', serialNumber: null });
    await this.sessions.save(s);
    res.redirect(303, '/enroll');
  }

  /** "I have saved them": the session ends, and with it the only copy of the codes outside the member's hands. */
  @Post('finish')
  async finish(@Req() req: Request, @Res() res: Response) {
    const s = await this.sessions.require(req);
    if (s.data.step !== 'recovery') return res.redirect(303, '/enroll');
    if (field(req.body, 'saved') !== 'on')
      return this.show(req, res, s, 'Tick "I have saved my recovery codes" first: they are not shown again.', 400);
    await this.sessions.end(s, res);
    render(req, res, 'enroll/done', { title: 'You are all set', returnUrl: s.data.returnUrl });
  }

  /** Runs one step; a refused code or number is shown on the page, not as an error page. */
  private async act(req: Request, res: Response, s: EnrollSession, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'internal' || err.code === 'timeout' || err.code === 'unavailable') throw err;
      return this.show(req, res, s, err.message, err.code === 'locked_out' || err.code === 'rate_limited' ? 429 : 400);
    }
    await this.sessions.save(s);
    res.redirect(303, '/enroll');
  }

  private show(req: Request, res: Response, s: EnrollSession, error: string | null = null, status = 200): void {
    const stepUp = s.data.needsStepUp && !s.secret.sessionToken;
    render(
      req,
      res,
      'enroll/page',
      {
        title: 'Set up two-step verification',
        d: s.data,
        stepUp,
        key: s.secret.secretBase32 ? groupKey(s.secret.secretBase32) : null,
        qr: s.secret.qrCodePng ?? null,
        registrationOptions: s.data.step === 'webauthn' ? (s.secret.registrationOptions ?? null) : null,
        authenticationOptions: stepUp ? (s.secret.authenticationOptions ?? null) : null,
        codes: s.data.step === 'recovery' ? (s.secret.recoveryCodes ?? []) : [],
        error,
      },
      status,
    );
  }
}
