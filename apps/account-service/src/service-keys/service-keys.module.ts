import { Module } from '@nestjs/common';
import { CALLER_DIRECTORY, resolvingCallerDirectory } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { AccountsModule } from '../accounts/accounts.module';
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
      inject: [ServiceKeysService, InternalKey],
      useFactory: (keys: ServiceKeysService, internalKey: InternalKey) =>
        resolvingCallerDirectory((r) => keys.resolve(r.keyIds, r.accountIds), internalKey),
    },
  ],
  exports: [CALLER_DIRECTORY],
})
export class ServiceKeysModule {}
