import { Injectable } from '@nestjs/common';
import { AppError, ErrorCodes, type Member, type MemberStats, type NewMember, type Page } from '@mfa/contracts';
import { MemberEnforcementService } from '../enforcement/member-enforcement.service';
import { AccountRepository } from './account.repository';
import type { ListMembersDto } from './dto/member-requests.dto';
import { decodeEmailCursor, decodeMemberCursor, encodeEmailCursor, encodeMemberCursor } from './member-cursor';

@Injectable()
export class MemberService {
  constructor(
    private readonly accounts: AccountRepository,
    // enforcement is computed from the org's current policy at each answer (enforcement/)
    private readonly enforcement: MemberEnforcementService,
  ) {}

  async create(orgId: string, member: NewMember): Promise<Member> {
    const row = await this.accounts.insertOne(orgId, member);
    if (!row) throw new AppError(ErrorCodes.Conflict, 'a member with this email already exists in the organization');
    return this.enforcement.ofNewMember(row);
  }

  /** Rows skipped as duplicates (within the batch or already in the org) count as existing. */
  async bulkCreate(orgId: string, members: NewMember[]): Promise<{ created: number; existing: number }> {
    const created = await this.accounts.insertMany(orgId, members);
    return { created, existing: members.length - created };
  }

  /**
   * In id order, or with `email` the members whose email starts with it, in email order (the
   * search's own keyset, so its pages stay one index range walk at any size).
   */
  async list(req: ListMembersDto): Promise<Page<Member>> {
    // the state filter is the computed rule in SQL (set-based), with the same policy and `now` as the mapping
    if (req.email !== undefined) {
      const after = req.cursor ? decodeEmailCursor(req.cursor) : undefined;
      const rows = await this.enforcement.page(req.orgId, {
        emailPrefix: req.email,
        afterEmail: after,
        limit: req.limit + 1,
        state: req.state,
      });
      const items = rows.slice(0, req.limit);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > req.limit ? encodeEmailCursor({ id: last.id, email: last.email.toLowerCase() }) : null };
    }
    const afterId = req.cursor ? decodeMemberCursor(req.cursor) : undefined;
    const rows = await this.enforcement.page(req.orgId, { afterId, limit: req.limit + 1, state: req.state });
    const items = rows.slice(0, req.limit);
    const nextCursor = rows.length > req.limit ? encodeMemberCursor(items[items.length - 1].id) : null;
    return { items, nextCursor };
  }

  /** Scoped to the org: another org's member is not_found, exactly like a missing one. */
  async getInOrg(orgId: string, accountId: string): Promise<Member> {
    const member = await this.enforcement.find(accountId, orgId);
    if (!member) throw AppError.notFound('member');
    return member;
  }

  /** `accounts.get` of member services: by account id alone. */
  async get(accountId: string): Promise<Member> {
    const member = await this.enforcement.find(accountId);
    if (!member) throw AppError.notFound('account');
    return member;
  }

  async remove(orgId: string, accountId: string): Promise<{ deleted: true }> {
    if (!(await this.accounts.deleteInOrg(orgId, accountId))) throw AppError.notFound('member');
    return { deleted: true };
  }

  /** byState counted with the computed rule, set-based (enforcement/). */
  stats(orgId: string): Promise<MemberStats> {
    return this.enforcement.stats(orgId);
  }
}
