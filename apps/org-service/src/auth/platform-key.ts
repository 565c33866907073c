import { Logger } from '@nestjs/common';
import { devSecret } from '@mfa/config';
import type { OrgServiceEnv } from '../config/org-service.env';
import { newPlatformKey, sameSecret } from './api-key-secret';

/** The platform key: from PLATFORM_API_KEY, or in development generated once and kept in KEYS_DIR. */
export class PlatformKey {
  private constructor(private readonly value: string) {}

  static fromEnv(env: OrgServiceEnv): PlatformKey {
    if (env.PLATFORM_API_KEY) return new PlatformKey(env.PLATFORM_API_KEY);
    const logger = new Logger(PlatformKey.name);
    return new PlatformKey(devSecret(env.KEYS_DIR, 'platform-api-key', newPlatformKey, (msg) => logger.warn(msg)));
  }

  matches(presented: string): boolean {
    return sameSecret(presented, this.value);
  }
}
