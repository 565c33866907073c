import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe } from '@mfa/bus';
import { InternalPatterns, MemberRefDto, OrgRefDto, Patterns } from '@mfa/contracts';
import { AuthorizeService } from './authorize.service';
import {
  AccountDeviceResetDto,
  ApplyPolicyDto,
  AuthorizeDto,
  MemberHistoryDto,
  SessionRevocationDto,
  SetExemptionDto,
} from './dto/enforcement-requests.dto';
import { MemberHistoryService } from './member-history.service';
import { MemberEnforcementService } from './member-enforcement.service';
import { OrgPolicyService } from './org-policy.service';
import { SessionRevocationsService } from './session-revocations.service';

/** Bus patterns of the enforcement feature; each is one service call. */
@Controller()
export class EnforcementBusController {
  constructor(
    private readonly policies: OrgPolicyService,
    private readonly members: MemberEnforcementService,
    private readonly authorization: AuthorizeService,
    private readonly revocations: SessionRevocationsService,
    private readonly history: MemberHistoryService,
  ) {}

  @MessagePattern(InternalPatterns.AccountsPolicyApply)
  applyPolicy(@Payload(BusValidationPipe) req: ApplyPolicyDto) {
    return this.policies.apply(req);
  }

  @MessagePattern(InternalPatterns.AccountsPolicyGet)
  getPolicy(@Payload(BusValidationPipe) req: OrgRefDto) {
    return this.policies.get(req.orgId);
  }

  @MessagePattern(InternalPatterns.AccountsExemptionSet)
  setExemption(@Payload(BusValidationPipe) req: SetExemptionDto) {
    return this.members.setExemption(req);
  }

  @MessagePattern(InternalPatterns.AccountsExemptionRemove)
  removeExemption(@Payload(BusValidationPipe) req: MemberRefDto) {
    return this.members.removeExemption(req);
  }

  @MessagePattern(InternalPatterns.AccountsDeviceReset)
  deviceReset(@Payload(BusValidationPipe) req: AccountDeviceResetDto) {
    return this.members.deviceReset(req);
  }

  @MessagePattern(InternalPatterns.AccountsMembersHistory)
  memberHistory(@Payload(BusValidationPipe) req: MemberHistoryDto) {
    return this.history.page(req);
  }

  @MessagePattern(InternalPatterns.AccountsSessionsRevoke)
  revokeSessions(@Payload(BusValidationPipe) req: SessionRevocationDto) {
    return this.revocations.record(req);
  }

  @MessagePattern(Patterns.AccountsAuthorize)
  authorize(@Payload(BusValidationPipe) req: AuthorizeDto) {
    return this.authorization.authorize(req);
  }
}
