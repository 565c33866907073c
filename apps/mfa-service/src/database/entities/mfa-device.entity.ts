import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeviceStatus, MfaMethod } from '@mfa/contracts';

/** A TOTP or SMS device. Secrets are AES-256-GCM envelopes (never plain), see @mfa/crypto. */
@Entity({ name: 'devices' })
@Index('devices_account_status', ['accountId', 'status'])
export class MfaDeviceEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'serial_number', type: 'text', unique: true }) serialNumber: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId: string;
  @Column({ type: 'text' }) type: MfaMethod;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text' }) status: DeviceStatus;
  /** TOTP seed, envelope bound to the row id */
  @Column({ name: 'secret_enc', type: 'text', nullable: true }) secretEnc: string | null;
  /** SMS phone number, envelope bound to the row id */
  @Column({ name: 'phone_enc', type: 'text', nullable: true }) phoneEnc: string | null;
  @Column({ name: 'drift_steps', type: 'smallint', default: 0 }) driftSteps: number;
  /** the last accepted TOTP time step (replay protection) */
  @Column({ name: 'last_step', type: 'bigint', nullable: true }) lastStep: string | null;
  @Column({ name: 'sms_code_hash', type: 'bytea', nullable: true }) smsCodeHash: Buffer | null;
  @Column({ name: 'sms_code_expires_at', type: 'timestamptz', nullable: true }) smsCodeExpiresAt: Date | null;
  @Column({ name: 'sms_sent_at', type: 'timestamptz', nullable: true }) smsSentAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'enabled_at', type: 'timestamptz', nullable: true }) enabledAt: Date | null;
  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true }) deactivatedAt: Date | null;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt: Date | null;
  /** a pending device stops counting (and cannot be enabled) after this */
  @Column({ name: 'pending_expires_at', type: 'timestamptz', nullable: true }) pendingExpiresAt: Date | null;
}
