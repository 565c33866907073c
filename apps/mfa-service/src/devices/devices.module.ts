import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { ActiveDeviceCache } from './active-device-cache';
import { ActiveDeviceRepository } from './active-device.repository';
import { DeviceChanges } from './device-changes';
import { DeviceSummaryRepository } from './device-summary.repository';
import { DeviceRepository } from './device.repository';
import { PendingDeviceSweeper } from './pending-device-sweeper';

/**
 * The device rows, their change events and the verify read's cache (ActiveDeviceCache), below every feature that reads devices (step-up,
 * the methods, the lifecycle services in lifecycle/).
 */
@Module({
  imports: [EventsModule],
  providers: [DeviceRepository, DeviceSummaryRepository, DeviceChanges, PendingDeviceSweeper, ActiveDeviceRepository, ActiveDeviceCache],
  exports: [DeviceRepository, DeviceSummaryRepository, DeviceChanges, ActiveDeviceCache],
})
export class DevicesModule {}
