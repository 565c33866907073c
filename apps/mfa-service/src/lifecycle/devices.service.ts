import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  AppError,
  ErrorCodes,
  type Device,
  type DeviceResetReply,
  type DevicesSummaryReply,
  type DevicesSummaryRequest,
  MfaMethods,
  SecureMfaMethods,
} from '@mfa/contracts';
import { AccountDirectory } from '../accounts/account-directory';
import { Clock } from '../common/clock';
import { OrgPolicyService } from '../policies/org-policy.service';
import { SessionRevocations } from '../tokens/session-revocations';
import type { RevocationRow } from '../tokens/session-revocation.repository';
import { StepUp } from '../tokens/step-up';
import { DeviceChanges } from '../devices/device-changes';
import { DeviceSummaryRepository } from '../devices/device-summary.repository';
import { DeviceRepository } from '../devices/device.repository';
import { MethodRegistry } from '../methods/method-registry';

/** Listing, deactivation by the member, admin reset, and the figures other services ask for. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly summaries: DeviceSummaryRepository,
    private readonly changes: DeviceChanges,
    private readonly policies: OrgPolicyService,
    private readonly clock: Clock,
    private readonly stepUp: StepUp,
    private readonly sessions: SessionRevocations,
    private readonly accounts: AccountDirectory,
    private readonly methods: MethodRegistry,
  ) {}

  async list(accountId: string): Promise<{ items: Device[] }> {
    return {
      items: await Promise.all((await this.devices.listForAccount(accountId, this.clock.now())).map((row) => this.methods.describe(row))),
    };
  }

  /**
   * A member may not remove their last active device while the org requires MFA, nor, under
   * secureMethodsOnly, their last secure one (SMS left alone does not count).
   */
  async deactivate(accountId: string, serialNumber: string, sessionToken?: string): Promise<Device> {
    await this.stepUp.assert(accountId, sessionToken);
    const now = this.clock.now();
    const result = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, accountId);
      const device = await this.devices.findBySerial(tx, accountId, serialNumber, now);
      if (!device) throw AppError.notFound('device');
      if (device.status === 'deactivated') return { device, changed: false, revoked: [] as RevocationRow[] };
      if (device.status === 'active') {
        const rules = await this.policies.rulesOf(tx, device.org_id);
        const counts = rules.requireMfa ? await this.devices.countActiveByKind(tx, accountId) : null;
        if (counts && counts.active <= 1) {
          throw new AppError(ErrorCodes.Conflict, 'cannot deactivate the last active device while the organization requires MFA');
        }
        if (counts && rules.secureMethodsOnly && SecureMfaMethods.includes(device.type) && counts.secure <= 1) {
          throw new AppError(
            ErrorCodes.Conflict,
            'cannot deactivate the last secure device while the organization requires MFA with secure methods only (SMS does not count)',
          );
        }
      }
      const updated = (await this.devices.deactivate(tx, device.id, now))!;
      if (device.status !== 'active') return { device: updated, changed: false, revoked: [] };
      await this.changes.record(tx, updated, 'member_deactivated', now);
      const revoked = await this.sessions.record(tx, {
        orgId: device.org_id,
        accountId,
        serialNumber,
        reason: 'device_deactivated',
        at: now,
      });
      return { device: updated, changed: true, revoked: [revoked] };
    });
    if (result.changed) await this.changes.flush(accountId, now);
    await this.sessions.deliver(this.dataSource, result.revoked);
    return this.methods.describe(result.device);
  }

  /** Admin reset of a lost device: must belong to that account and org; even the last one goes. */
  async reset(orgId: string, accountId: string, serialNumber: string): Promise<DeviceResetReply> {
    const now = this.clock.now();
    const result = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, accountId);
      const device = await this.devices.findBySerial(tx, accountId, serialNumber, now, orgId);
      if (!device) throw AppError.notFound('device');
      if (device.status === 'deactivated')
        return { device, counts: await this.devices.countActiveByKind(tx, accountId), changed: false, revoked: [] as RevocationRow[] };
      const updated = (await this.devices.deactivate(tx, device.id, now))!;
      if (device.status !== 'active')
        return { device: updated, counts: await this.devices.countActiveByKind(tx, accountId), changed: false, revoked: [] };
      const counts = await this.changes.record(tx, updated, 'admin_reset', now);
      const revoked = await this.sessions.record(tx, { orgId, accountId, serialNumber, reason: 'device_reset', at: now });
      return { device: updated, counts, changed: true, revoked: [revoked] };
    });
    if (result.changed) await this.changes.flush(accountId, now);
    await this.sessions.deliver(this.dataSource, result.revoked);
    return {
      device: await this.methods.describe(result.device),
      activeDeviceCount: result.counts.active,
      secureActiveDeviceCount: result.counts.secure,
    };
  }

  /** A removed member can no longer verify: devices retired, recovery codes gone. */
  async retireAccount(orgId: string, accountId: string): Promise<{ devicesRetired: number }> {
    const now = this.clock.now();
    // an id of another org must not revoke that account's sessions
    const inOrg = await this.accounts.get(accountId).then(
      (a) => a.orgId === orgId,
      () => false,
    );
    const retired = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, accountId);
      const rows = await this.devices.retireAccount(tx, orgId, accountId, now);
      const wasActive = rows.find((r) => r.enabled_at !== null);
      // one event brings account-service's count to 0 should the account outlive this call
      if (wasActive) await this.changes.record(tx, wasActive, 'account_removed', now);
      // every token of the account, recovery-code sessions included, whether devices were left or not
      const revoked =
        inOrg || rows.length
          ? [await this.sessions.record(tx, { orgId, accountId, serialNumber: null, reason: 'member_removed', at: now })]
          : [];
      return { rows, revoked };
    });
    await this.changes.flush(accountId, now);
    await this.sessions.deliver(this.dataSource, retired.revoked);
    return { devicesRetired: retired.rows.length };
  }

  async summary(req: DevicesSummaryRequest): Promise<DevicesSummaryReply> {
    const devicesByType = Object.fromEntries(MfaMethods.map((m) => [m, 0])) as DevicesSummaryReply['devicesByType'];
    if (req.orgId) for (const r of await this.summaries.activeByType(req.orgId)) devicesByType[r.type] = r.n;
    const onlySms = req.orgId ? { onlySmsCount: await this.summaries.onlySmsCount(req.orgId) } : {};
    const accounts: DevicesSummaryReply['accounts'] = {};
    if (req.accountIds?.length) {
      for (const id of req.accountIds) accounts[id] = { activeCount: 0, secureActiveCount: 0, deviceCount: 0, lastUsedAt: null };
      for (const r of await this.summaries.perAccount(req.accountIds, req.orgId ?? null, this.clock.now())) {
        accounts[r.account_id] = {
          activeCount: r.active_count,
          secureActiveCount: r.secure_active_count,
          deviceCount: r.device_count,
          lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
        };
      }
    }
    return { devicesByType, ...onlySms, accounts };
  }
}
