import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuditActions, EnforcementStates, ServiceKeyScopes } from '@mfa/contracts';
import { RateLimit } from '../common/rate-limit';
import { field, fields, render } from '../common/render';
import { WebEnv } from '../config/web.env';
import { STATE_LABELS } from './charts';
import { describeCause } from './history-causes';
import { ConsoleSessions } from './console-sessions';
import { ConsoleService } from './console.service';
import { ConsoleGroupsService } from './console-groups.service';
import { policyForm } from './policy-form';

/** The admin console (docs/web.md): every page reads through the admin API with the session's key. */
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly console: ConsoleService,
    private readonly groups: ConsoleGroupsService,
    private readonly limits: RateLimit,
    @Inject(WebEnv) private readonly env: WebEnv,
  ) {}

  @Get('sign-in')
  signInPage(@Req() req: Request, @Res() res: Response) {
    render(req, res, 'console/sign-in', { title: 'Sign in', error: null });
  }

  @Post('sign-in')
  async signIn(@Req() req: Request, @Res() res: Response) {
    await this.limits.hit('sign-in', req.ip ?? 'unknown', this.env.WEB_SIGNIN_PER_MINUTE);
    try {
      const who = await this.console.signIn(field(req.body, 'orgId'), field(req.body, 'apiKey'));
      await this.sessions.start(res, who, field(req.body, 'apiKey'));
      res.redirect(303, '/console');
    } catch (err) {
      if ((err as { status?: number }).status !== 401) throw err;
      render(req, res, 'console/sign-in', { title: 'Sign in', error: (err as Error).message }, 401);
    }
  }

  @Post('sign-out')
  async signOut(@Req() req: Request, @Res() res: Response) {
    await this.sessions.end(req, res);
    res.redirect(303, '/console/sign-in');
  }

  @Get()
  async overview(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    render(req, res, 'console/overview', { title: 'Overview', session, ...(await this.console.overview(session)) });
  }

  @Get('progress.json')
  async progress(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    res.json(await this.console.progress(session));
  }

  @Get('members')
  async members(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    const state = field(req.query, 'state');
    const email = field(req.query, 'email');
    const page = await this.console.members(session, { state, email, cursor: field(req.query, 'cursor') });
    render(req, res, 'console/members', {
      title: 'Members',
      session,
      page,
      state,
      email,
      states: EnforcementStates,
      labels: STATE_LABELS,
    });
  }

  @Post('members')
  async addMember(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.requireAdmin(req);
    const displayName = field(req.body, 'displayName');
    const member = await this.console.addMember(session, { email: field(req.body, 'email'), ...(displayName ? { displayName } : {}) });
    res.redirect(303, `/console/members/${member.id}`);
  }

  @Get('members/:accountId')
  async member(
    @Req() req: Request,
    @Res() res: Response,
    @Param('accountId') accountId: string,
    @Query('historyCursor') historyCursor?: string,
  ) {
    const session = await this.sessions.require(req);
    const [member, history] = await Promise.all([
      this.console.member(session, accountId),
      this.console.memberHistory(session, accountId, typeof historyCursor === 'string' ? historyCursor : undefined),
    ]);
    // the member's groups by name (only when the answer has them: enforcement.groups, added with groups)
    const groupIds = member.enforcement.groups ?? [];
    const names = groupIds.length > 0 ? new Map((await this.groups.all(session)).map((g) => [g.id, g.name])) : new Map<string, string>();
    render(req, res, 'console/member', {
      title: 'Member',
      session,
      member,
      memberGroups: groupIds.map((id) => ({ id, name: names.get(id) ?? id })),
      history,
      describeCause,
      labels: STATE_LABELS,
      notice: typeof req.query.done === 'string' ? req.query.done : null,
    });
  }

  /** The confirmation page naming the device before a reset. */
  @Get('members/:accountId/devices/:serialNumber/reset')
  async confirmReset(
    @Req() req: Request,
    @Res() res: Response,
    @Param('accountId') accountId: string,
    @Param('serialNumber') serialNumber: string,
  ) {
    const session = await this.sessions.requireAdmin(req);
    const member = await this.console.member(session, accountId);
    const device = member.devices.find((d) => d.serialNumber === serialNumber);
    if (!device) return render(req, res, 'error', { title: 'No such device', message: 'This member has no such device.', session }, 404);
    render(req, res, 'console/confirm-reset', { title: 'Reset a device', session, member, device });
  }

  @Post('members/:accountId/devices/:serialNumber/reset')
  async reset(
    @Req() req: Request,
    @Res() res: Response,
    @Param('accountId') accountId: string,
    @Param('serialNumber') serialNumber: string,
  ) {
    const session = await this.sessions.requireAdmin(req);
    await this.console.resetDevice(session, accountId, serialNumber);
    res.redirect(303, `/console/members/${encodeURIComponent(accountId)}?done=device-reset`);
  }

  @Post('members/:accountId/exemption')
  async exempt(@Req() req: Request, @Res() res: Response, @Param('accountId') accountId: string) {
    const session = await this.sessions.requireAdmin(req);
    const until = field(req.body, 'until');
    // datetime-local has no zone: the form says UTC
    const at = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(until) ? until : `${until}Z`);
    await this.console.setExemption(session, accountId, Number.isNaN(at.getTime()) ? until : at.toISOString(), field(req.body, 'reason'));
    res.redirect(303, `/console/members/${encodeURIComponent(accountId)}?done=exemption-set`);
  }

  @Post('members/:accountId/exemption/remove')
  async unexempt(@Req() req: Request, @Res() res: Response, @Param('accountId') accountId: string) {
    const session = await this.sessions.requireAdmin(req);
    await this.console.removeExemption(session, accountId);
    res.redirect(303, `/console/members/${encodeURIComponent(accountId)}?done=exemption-removed`);
  }

  @Post('members/:accountId/remove')
  async remove(@Req() req: Request, @Res() res: Response, @Param('accountId') accountId: string) {
    const session = await this.sessions.requireAdmin(req);
    await this.console.removeMember(session, accountId);
    res.redirect(303, '/console/members');
  }

  @Get('policy')
  async policy(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    render(req, res, 'console/policy', { title: 'Policy', session, policy: await this.console.policy(session) });
  }

  @Post('policy')
  async putPolicy(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.requireAdmin(req);
    const { rollout } = await this.console.putPolicy(session, policyForm(req.body));
    await this.sessions.rememberRollout(session, rollout.id);
    res.redirect(303, '/console');
  }

  /** The Preview step: what saving the form would do, the form kept as filled in. Auditors may preview (it changes nothing). */
  @Post('policy/preview')
  async previewPolicy(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    const form = policyForm(req.body);
    const [policy, preview] = await Promise.all([this.console.policy(session), this.console.previewPolicy(session, form)]);
    render(req, res, 'console/policy', {
      title: 'Policy',
      session,
      policy,
      form,
      preview,
      states: EnforcementStates,
      labels: STATE_LABELS,
    });
  }

  @Get('service-keys')
  async serviceKeys(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    render(req, res, 'console/service-keys', {
      title: 'Service keys',
      session,
      keys: (await this.console.serviceKeys(session)).items,
      scopes: ServiceKeyScopes,
      created: null,
    });
  }

  /** The secret is in this answer only (no redirect: it must not land in a URL or be shown twice). */
  @Post('service-keys')
  async createServiceKey(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.requireAdmin(req);
    const scopes = fields(req.body, 'scopes');
    const created = await this.console.createServiceKey(session, field(req.body, 'name'), scopes.length ? scopes : undefined);
    render(
      req,
      res,
      'console/service-keys',
      { title: 'Service keys', session, keys: (await this.console.serviceKeys(session)).items, scopes: ServiceKeyScopes, created },
      201,
    );
  }

  @Post('service-keys/:keyId/revoke')
  async revokeServiceKey(@Req() req: Request, @Res() res: Response, @Param('keyId') keyId: string) {
    const session = await this.sessions.requireAdmin(req);
    await this.console.revokeServiceKey(session, keyId);
    res.redirect(303, '/console/service-keys');
  }

  @Get('api-keys')
  async apiKeys(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    render(req, res, 'console/api-keys', { title: 'API keys', session, created: null, revoked: req.query.revoked === '1' });
  }

  @Post('api-keys')
  async createApiKey(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.requireAdmin(req);
    const created = await this.console.createApiKey(session, field(req.body, 'role'), field(req.body, 'label'));
    render(req, res, 'console/api-keys', { title: 'API keys', session, created, revoked: false }, 201);
  }

  @Post('api-keys/revoke')
  async revokeApiKey(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.requireAdmin(req);
    await this.console.revokeApiKey(session, field(req.body, 'keyId'));
    res.redirect(303, '/console/api-keys?revoked=1');
  }

  @Get('audit')
  async audit(@Req() req: Request, @Res() res: Response, @Query('action') action?: string, @Query('cursor') cursor?: string) {
    const session = await this.sessions.require(req);
    const page = await this.console.audit(session, action, cursor);
    render(req, res, 'console/audit', { title: 'Audit log', session, page, action: action ?? '', actions: AuditActions });
  }

  @Get('report.csv')
  async report(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    const { contentType, body } = await this.console.report(session);
    res.setHeader('content-type', contentType);
    res.setHeader('content-disposition', `attachment; filename="compliance-${new Date().toISOString().slice(0, 10)}.csv"`);
    body.pipe(res);
  }
}
