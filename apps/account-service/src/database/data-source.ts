import type { DataSourceOptions } from 'typeorm';
import { serviceDataSourceOptions } from '@mfa/database';
import { AccountEntity } from './entities/account.entity';
import { CreateAccounts1795900100000 } from './migrations/1795900100000-CreateAccounts';
import { AddEnforcement1796018400000 } from './migrations/1796018400000-AddEnforcement';
import { CreateComplianceTables1796100000000 } from './migrations/1796100000000-CreateComplianceTables';
import { NotificationDedupeKey1796200000000 } from './migrations/1796200000000-NotificationDedupeKey';
import { CreateServiceKeys1796400000000 } from './migrations/1796400000000-CreateServiceKeys';
import { SessionRevocations1796410000000 } from './migrations/1796410000000-SessionRevocations';
import { SecureMethodsOnly1796800000000 } from './migrations/1796800000000-SecureMethodsOnly';
import { PolicyConditions1796900000000 } from './migrations/1796900000000-PolicyConditions';
import { MemberEmailSearch1796913000000 } from './migrations/1796913000000-MemberEmailSearch';
import { MemberHistory1797300000000 } from './migrations/1797300000000-MemberHistory';
import { CreateGroups1797400000000 } from './migrations/1797400000000-CreateGroups';
import { GroupPolicyConditions1797500000000 } from './migrations/1797500000000-GroupPolicyConditions';
import { GroupHistory1797610000000 } from './migrations/1797610000000-GroupHistory';
import { RolloutHotUpdates1797652000000 } from './migrations/1797652000000-RolloutHotUpdates';

/** The Postgres schema account-service owns. No other service reads it. */
export const SCHEMA = 'accounts';

export const ENTITIES: Function[] = [AccountEntity];
/** Append only, in timestamp order; a committed migration is never edited. */
export const MIGRATIONS: Function[] = [
  CreateAccounts1795900100000,
  AddEnforcement1796018400000,
  CreateComplianceTables1796100000000,
  NotificationDedupeKey1796200000000,
  CreateServiceKeys1796400000000,
  SessionRevocations1796410000000,
  SecureMethodsOnly1796800000000,
  PolicyConditions1796900000000,
  MemberEmailSearch1796913000000,
  MemberHistory1797300000000,
  CreateGroups1797400000000,
  GroupPolicyConditions1797500000000,
  GroupHistory1797610000000,
  RolloutHotUpdates1797652000000,
];

/**
 * JIT off: the effective policy's group terms are correlated subqueries behind the org's flag
 * (enforcement.sql.ts); the planner prices them as if they ran on every row, so a 100,000-row
 * statement of an org without group policies would pay ~1 s of JIT compilation for subqueries that
 * never run (measured: apps/account-service/test/effective-policy-cost.e2e-spec.ts). Nothing
 * account-service runs gains from JIT: its statements are index walks and set-based chunks.
 */
export function dataSourceOptions(url: string): DataSourceOptions {
  const base = serviceDataSourceOptions({ url, schema: SCHEMA, entities: ENTITIES, migrations: MIGRATIONS });
  const extra = base.extra as { options: string };
  return { ...base, extra: { ...extra, options: `${extra.options} -c jit=off` } };
}
