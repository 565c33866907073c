import { InternalPatterns, Patterns, type BusPattern } from '@mfa/contracts';
import { unknownFieldError, wirePolicy } from '@test/support';
import { newMember, startHarness, type Harness } from './mfa-test-harness';

/**
 * Unknown fields on the bus are refused by name (docs/bus-protocol.md, "Validation"): a caller
 * who writes `token` for `sessionToken`, or `codes` for `code`, learns it from the reply.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

it('answers validation_failed naming an unknown top-level field, for every kind of mfa.* request', async () => {
  const m = newMember();
  const cases: Array<[BusPattern, Record<string, unknown>, string]> = [
    [Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'phone', token: 'eyJ' }, 'token'],
    [Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: 's1', code1: '123456', code3: '1' }, 'code3'],
    [Patterns.MfaDevicesList, { accountId: m.id, all: true }, 'all'],
    [Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: 's1', session_token: 'x' }, 'session_token'],
    [Patterns.MfaVerify, { accountId: m.id, codes: '123456', code: '123456' }, 'codes'],
    [Patterns.MfaSessionsIssue, { accountId: m.id, code: '123456', duration: 60 }, 'duration'],
    [Patterns.MfaSessionsJwks, { kid: 'k' }, 'kid'],
    [Patterns.MfaRecoveryCodesGenerate, { accountId: m.id, count: 20 }, 'count'],
    [InternalPatterns.MfaPing, { x: 1 }, 'x'],
    [InternalPatterns.MfaDevicesReset, { orgId: m.orgId, accountId: m.id, serialNumber: 's1', force: true }, 'force'],
  ];
  for (const [pattern, data, field] of cases) {
    await expect(h.failure(pattern, data).then((f) => [pattern, f])).resolves.toEqual([pattern, unknownFieldError(field)]);
  }
});

it('answers validation_failed naming an unknown nested field by its path', async () => {
  const policy = wirePolicy();
  await expect(h.failure(InternalPatterns.MfaPolicyApply, { policy: { ...policy, allowed_methods: ['sms'] } })).resolves.toEqual(
    unknownFieldError('policy.allowed_methods'),
  );
  // the same policy without the stray field is taken
  await expect(h.send(InternalPatterns.MfaPolicyApply, { policy })).resolves.toEqual({ accepted: true });
});
