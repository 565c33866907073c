import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A member account. Keyed (org_id, id) so the table can later be partitioned by org; the
 * enforcement columns are added by the enforcement migration (AddEnforcement).
 */
@Entity({ name: 'accounts' })
@Index('accounts_email_per_org_key', ['orgId', 'email'], { unique: true })
@Index('accounts_id_idx', ['id'])
export class AccountEntity {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn('uuid')
  id: string;

  /** lower-cased and trimmed before it gets here */
  @Column('text')
  email: string;

  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName: string | null;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
