import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Device, type MfaMethod, MfaMethods } from '@mfa/contracts';
import type { DeviceRow } from '../devices/device.repository';
import type { DeviceMethod, Proof } from './device-method';

/** Marks a provider as the DeviceMethod of one type; MethodRegistry collects them at boot. */
export const DeviceMethodProvider = DiscoveryService.createDecorator<MfaMethod>();

/**
 * The device methods keyed by type. Filled once at boot from the providers marked with
 * @DeviceMethodProvider: a type of MfaMethods without a method (or two methods for one type)
 * stops the service from starting, so a request never meets an unknown type.
 */
@Injectable()
export class MethodRegistry implements OnModuleInit {
  private readonly byType = new Map<MfaMethod, DeviceMethod>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.register(
      this.discovery
        .getProviders({ metadataKey: DeviceMethodProvider.KEY })
        .map((w) => ({ type: this.discovery.getMetadataByDecorator(DeviceMethodProvider, w)!, method: w.instance as DeviceMethod })),
    );
  }

  /** Separate from onModuleInit so that the registry's rules are tested without booting Nest. */
  register(found: readonly { type: MfaMethod; method: DeviceMethod }[]): void {
    for (const { type, method } of found) {
      if (method.type !== type)
        throw new Error(`device method ${method.constructor.name} is registered as ${type} but says ${method.type}`);
      if (this.byType.has(type)) throw new Error(`two device methods for ${type}`);
      this.byType.set(type, method);
    }
    const missing = MfaMethods.filter((t) => !this.byType.has(t));
    if (missing.length) throw new Error(`no device method registered for ${missing.join(', ')}`);
  }

  get(type: MfaMethod): DeviceMethod {
    const method = this.byType.get(type);
    if (!method) throw new Error(`no device method registered for ${type}`);
    return method;
  }

  types(): MfaMethod[] {
    return [...this.byType.keys()];
  }

  describe(row: DeviceRow): Promise<Device> {
    return Promise.resolve(this.get(row.type).describe(row));
  }

  /** Whether any method can check a proof of this form (recovery codes are tried only when none can). */
  acceptsAny(proof: Proof): boolean {
    for (const method of this.byType.values()) if (method.accepts(proof)) return true;
    return false;
  }
}
