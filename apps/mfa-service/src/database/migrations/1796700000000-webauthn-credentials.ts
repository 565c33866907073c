import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WebAuthn devices (docs/mfa.md "WebAuthn devices"): `mfa.devices.type` takes 'webauthn'; each
 * such device has one credential row, bound to the account and org as seeds are (the device id,
 * account and org are columns, so a row can never answer for another account). A pending device's
 * row holds the registration challenge and no credential yet; enabling fills the credential.
 * The public key is not secret: stored plain.
 */
export class WebAuthnCredentials1796700000000 implements MigrationInterface {
  name = 'WebAuthnCredentials1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mfa.devices DROP CONSTRAINT IF EXISTS devices_type_check`);
    await q.query(`ALTER TABLE mfa.devices ADD CONSTRAINT devices_type_check CHECK (type IN ('totp', 'sms', 'webauthn'))`);
    await q.query(`CREATE TABLE mfa.webauthn_credentials (
      device_id uuid PRIMARY KEY REFERENCES mfa.devices (id) ON DELETE CASCADE,
      account_id uuid NOT NULL,
      org_id uuid NOT NULL,
      registration_challenge text,
      credential_id text UNIQUE,
      public_key bytea,
      sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
      transports text[] NOT NULL DEFAULT '{}',
      aaguid uuid,
      backup_eligible boolean NOT NULL DEFAULT false,
      backup_state boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      CHECK (credential_id IS NULL OR public_key IS NOT NULL)
    )`);
    await q.query(`CREATE INDEX webauthn_credentials_account ON mfa.webauthn_credentials (account_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mfa.webauthn_credentials`);
    await q.query(`DELETE FROM mfa.devices WHERE type = 'webauthn'`);
    await q.query(`ALTER TABLE mfa.devices DROP CONSTRAINT devices_type_check`);
    await q.query(`ALTER TABLE mfa.devices ADD CONSTRAINT devices_type_check CHECK (type IN ('totp', 'sms'))`);
  }
}
