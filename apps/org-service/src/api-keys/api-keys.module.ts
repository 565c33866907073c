import { Module } from '@nestjs/common';
import { OrgServiceEnv } from '../config/org-service.env';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { PlatformKey } from '../auth/platform-key';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';

/** Keys and the guard every /v1 controller uses: import this module to use ApiKeyGuard. */
@Module({
  controllers: [ApiKeysController],
  providers: [
    ApiKeyRepository,
    ApiKeyService,
    ApiKeyGuard,
    { provide: PlatformKey, inject: [OrgServiceEnv], useFactory: (env: OrgServiceEnv) => PlatformKey.fromEnv(env) },
  ],
  exports: [ApiKeyService, ApiKeyGuard, PlatformKey],
})
export class ApiKeysModule {}
