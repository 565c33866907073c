import type { ApiKeyRole } from '@mfa/contracts';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An org's admin/auditor key. Only the SHA-256 of its secret part is stored. */
@Entity({ name: 'api_keys' })
@Index('api_keys_org_id_idx', ['orgId', 'id'])
export class ApiKeyEntity {
  /** also embedded in the key itself (`mfak_<id>_<secret>`), so lookup is by primary key */
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @Column('text')
  role: ApiKeyRole;

  @Column({ type: 'text', nullable: true })
  label: string | null;

  @Column({ name: 'key_hash', type: 'bytea' })
  keyHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
