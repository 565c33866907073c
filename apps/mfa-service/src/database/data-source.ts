import type { DataSourceOptions } from 'typeorm';
import { serviceDataSourceOptions } from '@mfa/database';
import { MfaInit1764450000000 } from './migrations/1764450000000-mfa-init';
import { PendingDeviceExpiry1796300000000 } from './migrations/1796300000000-pending-device-expiry';
import { SessionRevocations1796410000000 } from './migrations/1796410000000-session-revocations';
import { SmsOutboxSealed1796500000000 } from './migrations/1796500000000-sms-outbox-sealed';
import { SmsSendLedger1796600000000 } from './migrations/1796600000000-sms-send-ledger';
import { WebAuthnCredentials1796700000000 } from './migrations/1796700000000-webauthn-credentials';
import { SecureMethodsOnly1796800000000 } from './migrations/1796800000000-secure-methods-only';
import { PolicyConditions1796900000000 } from './migrations/1796900000000-policy-conditions';

/** The Postgres schema mfa-service owns. No other service reads it. */
export const SCHEMA = 'mfa';

// no entities: every mfa query is SQL in a *.repository.ts; the schema is the migrations'
export const ENTITIES: Function[] = [];
export const MIGRATIONS: Function[] = [
  MfaInit1764450000000,
  PendingDeviceExpiry1796300000000,
  SessionRevocations1796410000000,
  SmsOutboxSealed1796500000000,
  SmsSendLedger1796600000000,
  WebAuthnCredentials1796700000000,
  SecureMethodsOnly1796800000000,
  PolicyConditions1796900000000,
];

export function dataSourceOptions(url: string, poolSize?: number): DataSourceOptions {
  return serviceDataSourceOptions({ url, schema: SCHEMA, entities: ENTITIES, migrations: MIGRATIONS, poolSize });
}
