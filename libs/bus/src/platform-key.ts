import { Logger } from '@nestjs/common';
import { type BaseEnv, devSecret } from '@mfa/config';
import { generateInternalKey, InternalKey } from '@mfa/crypto';
import { type BusCredentials, platformCredentials } from './wire';

/** `BUS_INTERNAL_KEY`, or in development one generated once and kept in KEYS_DIR (all services share it). */
export function loadInternalKey(env: Pick<BaseEnv, 'BUS_INTERNAL_KEY' | 'KEYS_DIR'>): InternalKey {
  const logger = new Logger('InternalKey');
  return new InternalKey(env.BUS_INTERNAL_KEY || devSecret(env.KEYS_DIR, 'bus-internal-key', generateInternalKey, (m) => logger.warn(m)));
}

/** The platform's credentials for a tool or test that talks to the services from outside them. */
export function platformCredentialsFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): BusCredentials {
  const key = loadInternalKey({ BUS_INTERNAL_KEY: env.BUS_INTERNAL_KEY ?? '', KEYS_DIR: env.KEYS_DIR || '.keys' });
  return platformCredentials(service, key.busSecret);
}
