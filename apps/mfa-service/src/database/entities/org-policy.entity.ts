import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MfaMethod } from '@mfa/contracts';

/** What mfa-service knows of an org's policy (pushed by org-service, newest version wins). */
@Entity({ name: 'org_policies' })
export class OrgPolicyEntity {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' }) orgId: string;
  @Column({ type: 'int' }) version: number;
  @Column({ name: 'require_mfa', type: 'boolean' }) requireMfa: boolean;
  @Column({ name: 'allowed_methods', type: 'text', array: true }) allowedMethods: MfaMethod[];
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
