import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Bus, Periodic } from '@mfa/bus';
import { SecurityMetrics } from '@mfa/observability';
import { AppError, ErrorCodes, InternalPatterns, type RevokeSessionsReply, type SessionRevocationReason } from '@mfa/contracts';
import { AccountDirectory } from '../accounts/account-directory';
import { Clock } from '../common/clock';
import type { Db } from '../common/db';
import { MfaEvents } from '../events/mfa-events';
import { SessionRevocationRepository, type RevocationRow } from './session-revocation.repository';

export interface RevocationInput {
  orgId: string;
  accountId: string;
  /** null: every token of the account; else only those issued from this device */
  serialNumber: string | null;
  reason: SessionRevocationReason;
  at: Date;
}

const SWEEP_MS = 1000;
const BATCH = 100;

/**
 * Session revocations: written here (the truth, in the transaction of the change that causes
 * them, with the audit event `session.revoked`), then handed to account-service
 * (`accounts.internal.sessions.revoke`), which accounts.authorize reads. A hand-over that fails
 * is retried by a 1 s sweep in every instance until account-service acknowledges it. A local
 * timer (Periodic), not a BullMQ job scheduler: a retry is due within a second, and a scheduler
 * lives in Redis, where a FLUSHDB would stop it until the next boot.
 */
@Injectable()
export class SessionRevocations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionRevocations.name);
  private readonly periodic = new Periodic('session revocation hand-over', SWEEP_MS, () => this.sweep(), this.logger);

  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: SessionRevocationRepository,
    private readonly events: MfaEvents,
    private readonly accounts: AccountDirectory,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly metrics: SecurityMetrics,
  ) {}

  onModuleInit(): void {
    this.periodic.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** Writes the revocation and its audit event with `db` (a transaction); deliver it after the commit. */
  async record(db: Db, input: RevocationInput): Promise<RevocationRow> {
    const row = await this.revocations.insert(db, {
      id: randomUUID(),
      org_id: input.orgId,
      account_id: input.accountId,
      serial_number: input.serialNumber,
      revoked_before: input.at,
      reason: input.reason,
    });
    // the member's own acts are theirs; the others come from an admin or the platform
    const byAccount = input.reason === 'device_deactivated' || input.reason === 'revoked';
    await this.events.audit(db, {
      orgId: input.orgId,
      accountId: input.accountId,
      action: 'session.revoked',
      at: input.at,
      actor: byAccount ? undefined : { type: 'system', id: 'mfa-service' },
      target: { type: 'account', id: input.accountId },
      details: { cause: input.reason, serialNumber: input.serialNumber, revokedBefore: input.at.toISOString() },
    });
    this.metrics.sessionRevoked(input.reason); // counted when written (a rolled-back transaction still counts: rare)
    return row;
  }

  /** Outside any transaction: record, flush the audit event, deliver. */
  async revokeNow(input: RevocationInput): Promise<boolean> {
    const row = await this.record(this.dataSource, input);
    this.events.flush();
    return this.deliver(this.dataSource, [row]);
  }

  /** Hands rows to account-service before the caller replies; false when it did not acknowledge (the sweep retries). */
  async deliver(db: Db, rows: RevocationRow[]): Promise<boolean> {
    try {
      // sent in one tick: the bus client writes them in one pipeline
      await Promise.all(
        rows.map((r) =>
          this.bus.send(InternalPatterns.AccountsSessionsRevoke, {
            orgId: r.org_id,
            accountId: r.account_id,
            serialNumber: r.serial_number,
            before: new Date(r.revoked_before).toISOString(),
            reason: r.reason,
          }),
        ),
      );
      await this.revocations.markDelivered(
        db,
        rows.map((r) => r.id),
      );
      return true;
    } catch (err) {
      this.logger.warn(`session revocation not yet delivered to account-service: ${(err as Error).message}; the sweep retries`);
      return false;
    }
  }

  /** `mfa.sessions.revoke`: every token of the account issued until now. */
  async revokeAll(accountId: string): Promise<RevokeSessionsReply> {
    const account = await this.accounts.get(accountId);
    const at = this.clock.now();
    const delivered = await this.revokeNow({ orgId: account.orgId, accountId, serialNumber: null, reason: 'revoked', at });
    // recorded either way; the caller learns it is not yet enforced everywhere and may retry
    if (!delivered) throw new AppError(ErrorCodes.Unavailable, 'the revocation is recorded but not yet in force; try again');
    return { revoked: true, revokedBefore: at.toISOString() };
  }

  private async sweep(): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      // rows younger than the sweep period are still being delivered by their request
      const due = await this.revocations.claimUndelivered(tx, new Date(Date.now() - SWEEP_MS), BATCH);
      if (due.length) await this.deliver(tx, due);
    });
  }
}
