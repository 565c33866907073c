import { Injectable } from '@nestjs/common';
import { AppError, type Device, ErrorCodes, type HistoryItem, InternalPatterns, type Member, type Page, Patterns } from '@mfa/contracts';
import { Bus } from '@mfa/bus';
import { actorOf, AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import { OrgServiceEnv } from '../config/org-service.env';
import type { ListMembersQueryDto, MemberHistoryQueryDto, NewMemberDto } from './dto/member.dto';

export type MemberWithDevices = Member & { devices: Device[] };

/** A bulk import of 10,000 rows is one set-based INSERT, but give it more than a point read. */
const BULK_TIMEOUT_MS = 60_000;

/**
 * Members live in account-service; org-service reaches them over the bus only. The org scope
 * travels with every request, so account-service answers not_found for another org's member.
 */
@Injectable()
export class MemberService {
  constructor(
    private readonly bus: Bus,
    private readonly env: OrgServiceEnv,
    private readonly audit: AuditService,
  ) {}

  /** The change happens in account-service; its audit event is written here once it succeeded. */
  async add(principal: Principal, orgId: string, member: NewMemberDto): Promise<Member> {
    const created = await this.bus.send(InternalPatterns.AccountsMembersCreate, { orgId, ...member });
    await this.audit.recordNow({
      orgId,
      action: 'member.added',
      actor: actorOf(principal),
      target: { type: 'account', id: created.id },
      details: { email: created.email },
    });
    return created;
  }

  /** One `members.bulk_added` event per call, with the counts (not 10,000 events). */
  async bulkAdd(principal: Principal, orgId: string, members: NewMemberDto[]): Promise<{ created: number; existing: number }> {
    const timeoutMs = Math.max(BULK_TIMEOUT_MS, this.env.BUS_TIMEOUT_MS);
    const result = await this.bus.send(InternalPatterns.AccountsMembersBulkCreate, { orgId, members }, { timeoutMs });
    await this.audit.recordNow({
      orgId,
      action: 'members.bulk_added',
      actor: actorOf(principal),
      target: { type: 'org', id: orgId },
      details: { rows: members.length, ...result },
    });
    return result;
  }

  list(orgId: string, query: ListMembersQueryDto): Promise<Page<Member>> {
    return this.bus.send(InternalPatterns.AccountsMembersList, {
      orgId,
      state: query.state,
      limit: query.limit,
      cursor: query.cursor,
      ...(query.email !== undefined ? { email: query.email } : {}),
    });
  }

  /**
   * The member and its devices. When mfa-service does not answer in time the call fails with
   * 503 `unavailable` rather than answering without `devices`: an admin must not read
   * "no devices" when the truth is "unknown".
   */
  async get(orgId: string, accountId: string): Promise<MemberWithDevices> {
    const member = await this.bus.send(InternalPatterns.AccountsMembersGet, { orgId, accountId });
    try {
      const { items } = await this.bus.send(Patterns.MfaDevicesList, { accountId });
      return { ...member, devices: items };
    } catch (err) {
      if (
        err instanceof AppError &&
        (err.code === ErrorCodes.Timeout || err.code === ErrorCodes.Unavailable || err.code === ErrorCodes.UnknownPattern)
      ) {
        throw new AppError(ErrorCodes.Unavailable, "mfa-service did not answer; the member's devices are unknown, try again");
      }
      throw err;
    }
  }

  /** The member's enforcement transitions, newest first (account-service replays them: docs/enforcement.md, "History"). */
  history(orgId: string, accountId: string, query: MemberHistoryQueryDto): Promise<Page<HistoryItem>> {
    return this.bus.send(InternalPatterns.AccountsMembersHistory, { orgId, accountId, limit: query.limit, cursor: query.cursor });
  }

  /**
   * MFA first: a member whose removal fails half-way can still be removed again, while a member
   * removed with devices left active could still verify codes and get session tokens. Both
   * services match the account within this org only, so another org's id changes nothing and
   * answers not_found.
   */
  async remove(principal: Principal, orgId: string, accountId: string): Promise<void> {
    await this.bus.send(InternalPatterns.MfaAccountsRemove, { orgId, accountId });
    await this.bus.send(InternalPatterns.AccountsMembersDelete, { orgId, accountId });
    await this.audit.recordNow({ orgId, action: 'member.removed', actor: actorOf(principal), target: { type: 'account', id: accountId } });
  }
}
