import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One recovery code: only its scrypt hash is kept. One salt per set (see RecoveryCodesService). */
@Entity({ name: 'recovery_codes' })
@Index('recovery_codes_account', ['accountId'])
export class RecoveryCodeEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId: string;
  @Column({ name: 'org_id', type: 'uuid' }) orgId: string;
  @Column({ type: 'bytea' }) salt: Buffer;
  @Column({ type: 'bytea' }) hash: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt: Date | null;
}
