import { Module } from '@nestjs/common';
import { CALLER_DIRECTORY, loadInternalKey, resolvingCallerDirectory } from '@mfa/bus';
import { AccountsModule } from '../accounts/accounts.module';
import { AccountServiceEnv } from '../config/account-service.env';
import { ServiceKeyRepository } from './service-key.repository';
import { ServiceKeysBusController } from './service-keys.bus-controller';
import { ServiceKeysService } from './service-keys.service';

/** Member services' keys; account-service's own bus gate reads them straight from here. */
@Module({
  imports: [AccountsModule],
  controllers: [ServiceKeysBusController],
  providers: [
    ServiceKeyRepository,
    ServiceKeysService,
    {
      provide: CALLER_DIRECTORY,
      inject: [ServiceKeysService, AccountServiceEnv],
      useFactory: (keys: ServiceKeysService, env: AccountServiceEnv) => resolvingCallerDirectory((r) => keys.resolve(r.keyIds, r.accountIds), loadInternalKey(env)),
    },
  ],
  exports: [CALLER_DIRECTORY],
})
export class ServiceKeysModule {}
