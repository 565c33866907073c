import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DEFAULT_ALLOWED_METHODS, EnforcementStates, type Group } from '@mfa/contracts';
import { field, render } from '../common/render';
import { STATE_LABELS } from './charts';
import { ConsoleGroupsService, policySummary } from './console-groups.service';
import { type ConsoleSession, ConsoleSessions } from './console-sessions';
import { policyForm } from './policy-form';

const NEW_GROUP_POLICY = {
  requireMfa: true,
  gracePeriodHours: 72,
  allowedMethods: [...DEFAULT_ALLOWED_METHODS],
  secureMethodsOnly: false,
  maxMfaAgeSeconds: null,
  conditions: [],
};

const DONE: Record<string, string> = {
  created: 'The group is created.',
  added: 'The members are added.',
  removed: 'The members are removed.',
  policy: 'The group policy is saved; its rollout runs now.',
};

/** The console's groups pages (docs/web.md, "Groups"): list, create, members, policy with preview, delete. */
@Controller('console/groups')
export class GroupsController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly groups: ConsoleGroupsService,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.require(req);
    const page = await this.groups.list(session, field(req.query, 'cursor'));
    render(req, res, 'console/groups', { title: 'Groups', session, page, policySummary });
  }

  @Post()
  async create(@Req() req: Request, @Res() res: Response) {
    const session = await this.sessions.requireAdmin(req);
    const group = await this.groups.create(session, field(req.body, 'name'));
    res.redirect(303, `/console/groups/${group.id}?done=created`);
  }

  @Get(':groupId')
  async group(@Req() req: Request, @Res() res: Response, @Param('groupId') groupId: string) {
    const session = await this.sessions.require(req);
    const group = await this.groups.get(session, groupId);
    this.page(req, res, session, group, { notice: DONE[field(req.query, 'done')] ?? null });
  }

  @Post(':groupId/members')
  async members(@Req() req: Request, @Res() res: Response, @Param('groupId') groupId: string) {
    const session = await this.sessions.requireAdmin(req);
    const action = field(req.body, 'action') === 'remove' ? 'remove' : 'add';
    await this.groups.changeMembers(session, groupId, field(req.body, 'members'), action);
    res.redirect(303, `/console/groups/${encodeURIComponent(groupId)}?done=${action === 'add' ? 'added' : 'removed'}`);
  }

  @Post(':groupId/policy')
  async putPolicy(@Req() req: Request, @Res() res: Response, @Param('groupId') groupId: string) {
    const session = await this.sessions.requireAdmin(req);
    await this.groups.putPolicy(session, groupId, policyForm(req.body));
    res.redirect(303, `/console/groups/${encodeURIComponent(groupId)}?done=policy`);
  }

  /** The Preview step (auditors too: it changes nothing); said plainly when the admin API does not preview group policies yet. */
  @Post(':groupId/policy/preview')
  async preview(@Req() req: Request, @Res() res: Response, @Param('groupId') groupId: string) {
    const session = await this.sessions.require(req);
    const form = policyForm(req.body);
    const [group, preview] = await Promise.all([this.groups.get(session, groupId), this.groups.preview(session, groupId, form)]);
    this.page(req, res, session, group, { form, preview, previewUnavailable: preview === null });
  }

  @Get(':groupId/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @Param('groupId') groupId: string) {
    const session = await this.sessions.requireAdmin(req);
    const group = await this.groups.get(session, groupId);
    render(req, res, 'console/confirm-delete-group', { title: 'Delete a group', session, group, summary: policySummary(group.policy) });
  }

  @Post(':groupId/delete')
  async delete(@Req() req: Request, @Res() res: Response, @Param('groupId') groupId: string) {
    const session = await this.sessions.requireAdmin(req);
    await this.groups.delete(session, groupId);
    res.redirect(303, '/console/groups');
  }

  private page(req: Request, res: Response, session: ConsoleSession, group: Group, extra: Record<string, unknown>) {
    render(req, res, 'console/group', {
      title: `Group ${group.name}`,
      session,
      group,
      summary: policySummary(group.policy),
      states: EnforcementStates,
      labels: STATE_LABELS,
      preview: null,
      previewUnavailable: false,
      // a group without a policy yet: a form that requires MFA, for the admin to adjust
      form: group.policy ?? NEW_GROUP_POLICY,
      ...extra,
    });
  }
}
