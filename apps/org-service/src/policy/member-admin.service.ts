import { Injectable } from '@nestjs/common';
import { Bus } from '@mfa/bus';
import { Clock } from '@mfa/clock';
import { AppError, InternalPatterns, type Member } from '@mfa/contracts';
import { actorOf, AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import type { SetExemptionDto } from './dto/policy.dto';

/** Admin actions on one member's enforcement: exemptions and the reset of a lost device. */
@Injectable()
export class MemberAdminService {
  constructor(
    private readonly bus: Bus,
    private readonly auditLog: AuditService,
    private readonly clock: Clock,
  ) {}

  async setExemption(orgId: string, accountId: string, body: SetExemptionDto, principal: Principal): Promise<Member> {
    if (!(new Date(body.until).getTime() > this.clock.now().getTime())) {
      throw AppError.validation('until: must be in the future', [{ field: 'until', messages: ['must be in the future'] }]);
    }
    const member = await this.bus.send(InternalPatterns.AccountsExemptionSet, { orgId, accountId, until: body.until, reason: body.reason });
    await this.audit(
      orgId,
      principal,
      'exemption.set',
      { type: 'account', id: accountId },
      { until: member.enforcement.exemptUntil, reason: body.reason },
    );
    return member;
  }

  async removeExemption(orgId: string, accountId: string, principal: Principal): Promise<Member> {
    const member = await this.bus.send(InternalPatterns.AccountsExemptionRemove, { orgId, accountId });
    await this.audit(orgId, principal, 'exemption.removed', { type: 'account', id: accountId }, {});
    return member;
  }

  /**
   * mfa-service resets the device (not_found unless it is that account's in this org), then
   * account-service records the new count, and a fresh grace period when none is left.
   */
  async resetDevice(orgId: string, accountId: string, serialNumber: string, principal: Principal): Promise<void> {
    const reset = await this.bus.send(InternalPatterns.MfaDevicesReset, { orgId, accountId, serialNumber });
    await this.bus.send(InternalPatterns.AccountsDeviceReset, {
      orgId,
      accountId,
      activeDeviceCount: reset.activeDeviceCount,
      secureActiveDeviceCount: reset.secureActiveDeviceCount,
      serialNumber,
      at: this.clock.now().toISOString(),
    });
    await this.audit(
      orgId,
      principal,
      'device.reset',
      { type: 'mfa_device', id: serialNumber },
      { accountId, activeDeviceCount: reset.activeDeviceCount },
    );
  }

  private async audit(
    orgId: string,
    principal: Principal,
    action: 'exemption.set' | 'exemption.removed' | 'device.reset',
    target: { type: string; id: string },
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.auditLog.recordNow({ orgId, actor: actorOf(principal), action, target, details });
  }
}
