import type { Bus } from '@mfa/bus';
import type { CreateTotpDeviceReply } from '@mfa/contracts';
import { base32Decode } from '../../apps/mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../apps/mfa-service/src/methods/totp/totp';

/** The TOTP code of the time step `offsetSteps` away from `at`'s, as an authenticator app would show it. */
export const totpCode = (secretBase32: string, offsetSteps = 0, at: Date = new Date()): string =>
  hotp(base32Decode(secretBase32), timeStep(at) + offsetSteps);

/**
 * A TOTP device created and enabled over the bus with the codes of the steps before and at `at`
 * (mfa-service's clock): the member's first device makes it compliant. `sessionToken` for an
 * account that already has a device.
 */
export async function enrollTotp(
  bus: Bus,
  accountId: string,
  opts: { at?: Date; sessionToken?: string } = {},
): Promise<{ serialNumber: string; secret: string }> {
  const { serialNumber, secretBase32: secret } = (await bus.send('mfa.devices.create', {
    accountId,
    type: 'totp',
    name: 'phone',
    ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
  })) as CreateTotpDeviceReply;
  await bus.send('mfa.devices.enable', {
    accountId,
    serialNumber,
    code1: totpCode(secret, -1, opts.at),
    code2: totpCode(secret, 0, opts.at),
  });
  return { serialNumber, secret };
}
