/** Step-up (docs/security.md "Sessions and step-up"): device and recovery-code changes of an account with an active device. */
import { InternalPatterns, Patterns, type Member } from '@mfa/contracts';
import { createTotp, enrolledTotp, freshSession, revocations, startHarness, waitFor, type Harness } from './mfa-test-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const create = (m: Member, sessionToken?: string) => createTotp(h, m, { sessionToken });
const failure = async (pattern: string, data: object) => (await h.failure(pattern as never, data)).code;

const enrolled = (m?: Member) => enrolledTotp(h, m);

describe('step-up', () => {
  it('a new account enrolls without a token; a second device, a deactivation and recovery codes need a fresh one', async () => {
    const { m, dev } = await enrolled();
    expect(await failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'x' })).toBe('step_up_required');
    expect(await failure(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id })).toBe('step_up_required');
    expect(await failure(Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: dev.serialNumber })).toBe('step_up_required');
    const token = await freshSession(h, m.id, dev.secretBase32);
    expect((await create(m, token)).status).toBe('pending');
    expect((await h.send(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id, sessionToken: token })).codes).toHaveLength(10);
    expect(
      await h.send(Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: dev.serialNumber, sessionToken: token }),
    ).toMatchObject({ status: 'deactivated' });
    // no active device left: enrolling again needs nothing
    expect((await create(m)).status).toBe('pending');
  });

  it("refuses a session older than 300 s, another account's, a revoked one and junk", async () => {
    const { m, dev } = await enrolled();
    const other = await enrolled();
    const old = await freshSession(h, m.id, dev.secretBase32);
    h.clock.advance(301_000 - 30_000); // freshSession moved one step already
    expect(await failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'x', sessionToken: old })).toBe(
      'step_up_required',
    );
    const theirs = await freshSession(h, other.m.id, other.dev.secretBase32);
    expect(await failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'x', sessionToken: theirs })).toBe(
      'step_up_required',
    );
    expect(await failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'x', sessionToken: 'not.a.token' })).toBe(
      'step_up_required',
    );
    const fresh = await freshSession(h, m.id, dev.secretBase32);
    h.clock.advance(1);
    expect(await h.send(Patterns.MfaSessionsRevoke, { accountId: m.id })).toEqual({
      revoked: true,
      revokedBefore: h.clock.now().toISOString(),
    });
    expect(await failure(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id, sessionToken: fresh })).toBe('step_up_required');
    // a session issued after the revocation works (one of the same millisecond counts as revoked)
    h.clock.advance(1);
    expect(
      (await h.send(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id, sessionToken: await freshSession(h, m.id, dev.secretBase32) }))
        .codes,
    ).toHaveLength(10);
    expect(revocations).toContainEqual({
      orgId: m.orgId,
      accountId: m.id,
      serialNumber: null,
      before: expect.any(String),
      reason: 'revoked',
    });
  });

  it("after an admin reset of the last device the account enrolls without a token; the reset device's sessions are revoked", async () => {
    const { m, dev } = await enrolled();
    const token = await freshSession(h, m.id, dev.secretBase32);
    await h.send(InternalPatterns.MfaDevicesReset, { orgId: m.orgId, accountId: m.id, serialNumber: dev.serialNumber });
    const second = await enrolled(m);
    expect(revocations).toContainEqual({
      orgId: m.orgId,
      accountId: m.id,
      serialNumber: dev.serialNumber,
      before: expect.any(String),
      reason: 'device_reset',
    });
    // a session of the reset device does not step up for the new one
    expect(
      await failure(Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: second.dev.serialNumber, sessionToken: token }),
    ).toBe('step_up_required');
    const audit = await waitFor(async () =>
      (await h.queues.audit.getJobs()).find((j) => j.data.action === 'session.revoked' && j.data.target.id === m.id),
    );
    expect(audit.data).toMatchObject({ actor: { type: 'system' }, details: { cause: 'device_reset', serialNumber: dev.serialNumber } });
  });
});
