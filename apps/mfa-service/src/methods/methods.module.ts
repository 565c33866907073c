import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MethodRegistry } from './method-registry';

/**
 * The registry the device services and the verify hot path ask; it imports no method, so the
 * methods (methods/<type>/, imported by the root module) may depend on devices/ and
 * verification/ without a cycle.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [MethodRegistry],
  exports: [MethodRegistry],
})
export class MethodsModule {}
