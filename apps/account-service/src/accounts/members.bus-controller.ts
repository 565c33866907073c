import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe } from '@mfa/bus';
import { InternalPatterns, MemberRefDto, OrgRefDto } from '@mfa/contracts';
import { BulkCreateMembersDto, CreateMemberDto, ListMembersDto } from './dto/member-requests.dto';
import { MemberService } from './member.service';

/** The member patterns org-service calls; every request carries the org it is scoped to. */
@Controller()
export class MembersBusController {
  constructor(private readonly members: MemberService) {}

  @MessagePattern(InternalPatterns.AccountsMembersCreate)
  create(@Payload(BusValidationPipe) req: CreateMemberDto) {
    const { orgId, ...member } = req;
    return this.members.create(orgId, member);
  }

  @MessagePattern(InternalPatterns.AccountsMembersBulkCreate)
  bulkCreate(@Payload(BusValidationPipe) req: BulkCreateMembersDto) {
    return this.members.bulkCreate(req.orgId, req.members);
  }

  @MessagePattern(InternalPatterns.AccountsMembersList)
  list(@Payload(BusValidationPipe) req: ListMembersDto) {
    return this.members.list(req);
  }

  @MessagePattern(InternalPatterns.AccountsMembersGet)
  get(@Payload(BusValidationPipe) req: MemberRefDto) {
    return this.members.getInOrg(req.orgId, req.accountId);
  }

  @MessagePattern(InternalPatterns.AccountsMembersDelete)
  remove(@Payload(BusValidationPipe) req: MemberRefDto) {
    return this.members.remove(req.orgId, req.accountId);
  }

  @MessagePattern(InternalPatterns.AccountsMembersStats)
  stats(@Payload(BusValidationPipe) req: OrgRefDto) {
    return this.members.stats(req.orgId);
  }
}
