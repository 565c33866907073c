import { Module } from '@nestjs/common';
import { Bus, CALLER_DIRECTORY, resolvingCallerDirectory } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { InternalPatterns, isUuid } from '@mfa/contracts';
import { DeviceRepository } from '../devices/device.repository';
import { DevicesModule } from '../devices/devices.module';
import { AccountDirectory } from './account-directory';

/** Accounts as account-service knows them, and the bus gate's directory of callers. */
@Module({
  imports: [DevicesModule],
  providers: [
    AccountDirectory,
    // the bus gate learns member services' keys and accounts' orgs from account-service
    {
      provide: CALLER_DIRECTORY,
      inject: [Bus, InternalKey, DeviceRepository],
      useFactory: (bus: Bus, internalKey: InternalKey, devices: DeviceRepository) =>
        // an account with a device here has its org in mfa.devices: no round trip to account-service
        resolvingCallerDirectory(
          (r) => bus.send(InternalPatterns.AccountsCallersResolve, r),
          internalKey,
          (ids) => devices.orgsOf(ids.filter(isUuid)),
        ),
    },
  ],
  exports: [AccountDirectory, CALLER_DIRECTORY],
})
export class AccountsModule {}
