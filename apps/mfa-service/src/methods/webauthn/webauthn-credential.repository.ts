import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, one, rows } from '../../common/db';

/** mfa.webauthn_credentials as SQL returns it (bigint as string). */
export interface CredentialRow {
  device_id: string;
  account_id: string;
  org_id: string;
  registration_challenge: string | null;
  credential_id: string | null;
  public_key: Buffer | null;
  sign_count: string;
  transports: string[];
  aaguid: string | null;
  backup_eligible: boolean;
  backup_state: boolean;
  created_at: Date;
}

export interface RegisteredCredential {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  aaguid: string;
  backupEligible: boolean;
  backupState: boolean;
}

/** The queries of the WebAuthn method; every read names the account, so a row never answers for another. */
@Injectable()
export class WebAuthnCredentialRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The pending device's row: its registration challenge, no credential yet (creating transaction). */
  async insertPending(tx: Db, row: { deviceId: string; accountId: string; orgId: string; challenge: string; at: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO mfa.webauthn_credentials (device_id, account_id, org_id, registration_challenge, created_at) VALUES ($1, $2, $3, $4, $5)`,
      [row.deviceId, row.accountId, row.orgId, row.challenge, row.at],
    );
  }

  async ofDevice(accountId: string, deviceId: string, db: Db = this.dataSource): Promise<CredentialRow | null> {
    return one<CredentialRow>(db, `SELECT * FROM mfa.webauthn_credentials WHERE account_id = $1 AND device_id = $2`, [accountId, deviceId]);
  }

  /** The credential the assertion names, if it is this (already loaded, the account's) device's. */
  async byCredentialId(deviceId: string, credentialId: string): Promise<CredentialRow | null> {
    return one<CredentialRow>(this.dataSource, `SELECT * FROM mfa.webauthn_credentials WHERE device_id = $1 AND credential_id = $2`, [
      deviceId,
      credentialId,
    ]);
  }

  /** The account's registered credentials (active devices only when `activeOnly`): exclude / allow lists. */
  async ofAccount(accountId: string, activeOnly: boolean): Promise<Array<{ credential_id: string; transports: string[] }>> {
    return rows(
      this.dataSource,
      `SELECT c.credential_id, c.transports FROM mfa.webauthn_credentials c JOIN mfa.devices d ON d.id = c.device_id
        WHERE c.account_id = $1 AND c.credential_id IS NOT NULL AND ${activeOnly ? `d.status = 'active'` : `d.status <> 'deactivated'`}
        ORDER BY c.created_at`,
      [accountId],
    );
  }

  /**
   * Fills the credential of a pending row (in the activating transaction); the challenge goes.
   * false: the row was not pending any more (a concurrent enable won).
   */
  async register(tx: Db, deviceId: string, c: RegisteredCredential): Promise<boolean> {
    const r = await one<{ device_id: string }>(
      tx,
      `UPDATE mfa.webauthn_credentials
          SET credential_id = $2, public_key = $3, sign_count = $4, transports = $5, aaguid = $6, backup_eligible = $7, backup_state = $8, registration_challenge = NULL
        WHERE device_id = $1 AND credential_id IS NULL RETURNING device_id`,
      [deviceId, c.credentialId, Buffer.from(c.publicKey), c.signCount, c.transports, c.aaguid, c.backupEligible, c.backupState],
    );
    return r !== null;
  }

  /**
   * One use of the credential: the counter moves from `from` to `to` (compare-and-set, so two
   * requests carrying assertions of one counter value cannot both pass) and the device's last use.
   */
  async recordUse(deviceId: string, from: number, to: number, backupState: boolean, at: Date): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const r = await one<{ device_id: string }>(
        tx,
        `UPDATE mfa.webauthn_credentials SET sign_count = $3, backup_state = $4 WHERE device_id = $1 AND sign_count = $2 RETURNING device_id`,
        [deviceId, from, to, backupState],
      );
      if (!r) return false;
      await tx.query(`UPDATE mfa.devices SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1`, [deviceId, at]);
      return true;
    });
  }
}
