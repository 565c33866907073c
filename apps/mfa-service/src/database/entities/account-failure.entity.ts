import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed codes in a row and the lockout, per account, shared by every instance. */
@Entity({ name: 'account_failures' })
export class AccountFailureEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' }) accountId: string;
  @Column({ type: 'int' }) failures: number;
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
