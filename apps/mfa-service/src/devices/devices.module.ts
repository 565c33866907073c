import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { DeviceChanges } from './device-changes';
import { DeviceSummaryRepository } from './device-summary.repository';
import { DeviceRepository } from './device.repository';
import { PendingDeviceSweeper } from './pending-device-sweeper';

/**
 * The device rows and their change events, below every feature that reads devices (step-up,
 * the methods, the lifecycle services in lifecycle/).
 */
@Module({
  imports: [EventsModule],
  providers: [DeviceRepository, DeviceSummaryRepository, DeviceChanges, PendingDeviceSweeper],
  exports: [DeviceRepository, DeviceSummaryRepository, DeviceChanges],
})
export class DevicesModule {}
