/** secureMethodsOnly in mfa-service, over the bus: no new SMS device, the last secure device stays, counts in device events. */
import { InternalPatterns, Jobs, Patterns, type Member } from '@mfa/contracts';
import { EventRelay } from '../src/events/event-relay';
import { enrolledTotp, freshSession, lastSmsCodeOf, newMember, startHarness, waitFor, type Harness } from './mfa-test-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SMS_RESEND_SECONDS: '0' });
});
afterAll(() => h?.close());

const applyPolicy = (orgId: string, version: number, requireMfa: boolean, secureMethodsOnly?: boolean) =>
  h.send(InternalPatterns.MfaPolicyApply, {
    policy: {
      orgId,
      version,
      requireMfa,
      allowedMethods: ['totp', 'sms', 'webauthn'],
      gracePeriodHours: 0,
      maxMfaAgeSeconds: null,
      ...(secureMethodsOnly === undefined ? {} : { secureMethodsOnly }),
      updatedAt: new Date().toISOString(),
    },
  });

const totp = async (m: Member, sessionToken?: string) => (await enrolledTotp(h, m, { name: 'app', sessionToken })).dev;

/** a number per device: the per-number hourly SMS cap is not what these tests are about */
const phone = () => `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

const createSms = (m: Member, sessionToken?: string) =>
  h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: phone(), sessionToken });

async function sms(m: Member, sessionToken?: string): Promise<string> {
  const dev = await createSms(m, sessionToken);
  await h.send(Patterns.MfaDevicesEnable, {
    accountId: m.id,
    serialNumber: dev.serialNumber,
    code1: await lastSmsCodeOf(h, dev.serialNumber),
  });
  return dev.serialNumber;
}

const deviceEvents = async (m: Member) => {
  await h.a.app.get(EventRelay).drain();
  return (await h.queues.devices.getJobs()).filter((j) => j.data.accountId === m.id);
};

describe('secureMethodsOnly (mfa-service)', () => {
  it('refuses a new SMS device, and the enabling of one created before, naming the policy; TOTP and existing SMS still work', async () => {
    const m = newMember();
    const pending = await createSms(m);
    const other = newMember(m.orgId);
    const active = await sms(other);
    expect(await applyPolicy(m.orgId, 1, true, true)).toEqual({ accepted: true });

    const refused = await h.failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'x', phoneNumber: phone() });
    expect(refused.code).toBe('method_not_allowed');
    expect(refused.message).toMatch(/secureMethodsOnly/);
    const code1 = await lastSmsCodeOf(h, pending.serialNumber);
    expect((await h.failure(Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: pending.serialNumber, code1 })).code).toBe(
      'method_not_allowed',
    );
    const [row] = await h.db.query(`SELECT status FROM mfa.devices WHERE serial_number = $1`, [pending.serialNumber]);
    expect(row.status).toBe('pending');
    // a device already active keeps working (it only stops counting toward compliance, in account-service)
    h.clock.advance(1000);
    expect(await h.send(Patterns.MfaSmsSend, { accountId: other.id, serialNumber: active })).toMatchObject({ sent: true });
    expect(await h.send(Patterns.MfaVerify, { accountId: other.id, code: await lastSmsCodeOf(h, active) })).toMatchObject({
      valid: true,
      method: 'sms',
    });
    const dev = await totp(m);

    // a newer version without it: SMS may be enrolled again
    expect(await applyPolicy(m.orgId, 2, true, false)).toEqual({ accepted: true });
    expect(await createSms(m, await freshSession(h, m.id, dev.secretBase32))).toMatchObject({ status: 'pending' });
  });

  it('a hand-over without the field (an older producer) means false', async () => {
    const m = newMember();
    expect(await applyPolicy(m.orgId, 1, true)).toEqual({ accepted: true });
    expect(await createSms(m)).toMatchObject({ status: 'pending' });
  });

  it('keeps the last secure device while the policy requires MFA with secure methods only; SMS does not stand in for it', async () => {
    const m = newMember();
    const dev = await totp(m);
    const smsSerial = await sms(m, await freshSession(h, m.id, dev.secretBase32));
    expect(await applyPolicy(m.orgId, 1, true, true)).toEqual({ accepted: true });

    const refused = await h.failure(Patterns.MfaDevicesDeactivate, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      sessionToken: await freshSession(h, m.id, dev.secretBase32),
    });
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringMatching(/last secure device/) });
    const [row] = await h.db.query(`SELECT status FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
    expect(row.status).toBe('active');

    // the SMS device may go: the secure one stays
    expect(
      await h.send(Patterns.MfaDevicesDeactivate, {
        accountId: m.id,
        serialNumber: smsSerial,
        sessionToken: await freshSession(h, m.id, dev.secretBase32),
      }),
    ).toMatchObject({ status: 'deactivated' });
  });

  it('device events and the admin reset carry the secure count beside the total', async () => {
    const m = newMember();
    const dev = await totp(m);
    const smsSerial = await sms(m, await freshSession(h, m.id, dev.secretBase32));
    const events = await waitFor(async () => {
      const jobs = (await deviceEvents(m)).filter((j) => j.name === Jobs.DeviceActivated);
      return jobs.length === 2 ? jobs : null;
    });
    const bySerial = Object.fromEntries(events.map((j) => [j.data.serialNumber, j.data]));
    expect(bySerial[dev.serialNumber]).toMatchObject({ activeDeviceCount: 1, secureActiveDeviceCount: 1 });
    expect(bySerial[smsSerial]).toMatchObject({ activeDeviceCount: 2, secureActiveDeviceCount: 1 });

    const reset = await h.send(InternalPatterns.MfaDevicesReset, { orgId: m.orgId, accountId: m.id, serialNumber: dev.serialNumber });
    expect(reset).toMatchObject({ activeDeviceCount: 1, secureActiveDeviceCount: 0 });
    // the report's figures: this member now holds only SMS
    const summary = await h.send(InternalPatterns.MfaDevicesSummary, { orgId: m.orgId, accountIds: [m.id] });
    expect(summary.onlySmsCount).toBe(1);
    expect(summary.accounts[m.id]).toMatchObject({ activeCount: 1, secureActiveCount: 0 });
  });
});
