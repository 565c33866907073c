import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@mfa/config';
import { KeyMaterial } from '../apps/mfa-service/src/common/key-material';
import { MfaServiceEnv } from '../apps/mfa-service/src/config/mfa-service.env';
import { dataSourceOptions } from '../apps/mfa-service/src/database/data-source';
import { reencryptSecrets } from '../apps/mfa-service/src/keys/secret-reencryption';

/**
 * `npm run keys:reencrypt`: after putting a new key first in MFA_ENCRYPTION_KEYS (and restarting
 * mfa-service), moves every seed and phone number to it; then the old keys can be removed.
 * Safe while mfa-service runs, and safe to run again.
 */
async function main(): Promise<void> {
  const env = loadConfig(MfaServiceEnv);
  const keys = KeyMaterial.fromEnv(env);
  const dataSource = new DataSource(dataSourceOptions(env.DATABASE_URL));
  await dataSource.initialize();
  try {
    const outcome = await reencryptSecrets(dataSource, keys.envelope);
    console.log(
      `re-encrypted ${outcome.reencrypted} devices under key ${keys.envelope.currentKid}; ${outcome.skipped} changed meanwhile and were left as they are`,
    );
    if (outcome.unreadable > 0) {
      // these devices cannot verify either: their key must come back into the ring, or they be reset
      console.error(
        `${outcome.unreadable} devices do not decrypt with any key in MFA_ENCRYPTION_KEYS (key ids: ${outcome.unreadableKids.join(', ')})`,
      );
      process.exitCode = 2;
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: Error) => {
  // messages name key ids and entries, never key or secret values
  console.error(`re-encryption failed: ${err.message}`);
  process.exit(1);
});
