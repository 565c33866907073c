/**
 * Session tokens die with what they stood on (docs/security.md "Sessions and step-up"): each
 * revocation path makes accounts.authorize refuse the old token within 5 s, while a token of
 * another device stays good where it should. org-service HTTP + account-service + mfa-service
 * in this process over the real bus, real clock.
 */
import request from 'supertest';
import {
  InternalPatterns,
  type AuthorizeReply,
  type BusPattern,
  type CreateTotpDeviceReply,
  type ReplyOf,
  type RequestOf,
} from '@mfa/contracts';
import { addMember, createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';
import { base32Decode } from '../../mfa-service/src/methods/totp/base32';
import { hotp, timeStep } from '../../mfa-service/src/methods/totp/totp';

let services: TestServices;
let org: TestOrg;

beforeAll(async () => {
  services = await startTestServices();
  org = await createOrg(services.orgUrl, services.platformKey);
});
afterAll(() => services?.close());

const http = () => request(services.orgUrl);
const send = <P extends BusPattern>(pattern: P, data: RequestOf<P>): Promise<ReplyOf<P>> => services.bus.send(pattern, data);

interface Dev {
  serialNumber: string;
  secret: string;
}

/**
 * A member with two TOTP devices (the second added with a step-up token of the first). Codes are
 * counted from one base step: enable uses base-2 and base-1, so base and base+1 are left for
 * tokens; a step that turns mid-test keeps both within the window.
 */
async function memberWithTwoDevices() {
  const s = Math.floor(Date.now() / 1000) % 30;
  if (s > 20) await new Promise((r) => setTimeout(r, (31 - s) * 1000));
  const base = timeStep(new Date());
  const code = (d: Dev, offset: number) => hotp(base32Decode(d.secret), base + offset);
  const { id } = await addMember(services.orgUrl, org);
  const enroll = async (sessionToken?: string): Promise<Dev> => {
    const c = (await send('mfa.devices.create', { accountId: id, type: 'totp', name: 'phone', sessionToken })) as CreateTotpDeviceReply;
    const d = { serialNumber: c.serialNumber, secret: c.secretBase32 };
    await send('mfa.devices.enable', { accountId: id, serialNumber: d.serialNumber, code1: code(d, -2), code2: code(d, -1) });
    return d;
  };
  const token = async (d: Dev, offset: 0 | 1) =>
    (await send('mfa.sessions.issue', { accountId: id, serialNumber: d.serialNumber, code: code(d, offset) })).token;
  const a = await enroll();
  const tokenA = await token(a, 0);
  const b = await enroll(tokenA);
  const tokenB = await token(b, 0);
  return { id, a, b, tokenA, tokenB, token };
}

// maxMfaAgeSeconds makes authorize check the token whatever the member's state
const authorize = (accountId: string, sessionToken: string): Promise<AuthorizeReply> =>
  send('accounts.authorize', { accountId, sessionToken, maxMfaAgeSeconds: 3600 });
const reasonOf = async (accountId: string, token: string) => (await authorize(accountId, token)).reason;
const refusedWithin5s = (accountId: string, token: string) =>
  waitFor(async () => ((await reasonOf(accountId, token)) === 'mfa_required' ? true : null), 5000, 50);

describe('session revocation', () => {
  it("an admin reset of a lost device kills its tokens; the other device's token stays good; audited", async () => {
    const m = await memberWithTwoDevices();
    expect(await reasonOf(m.id, m.tokenA)).toBe('ok');
    expect((await http().delete(`/v1/orgs/${org.id}/members/${m.id}/mfa-devices/${m.a.serialNumber}`).set(org.auth)).status).toBe(204);
    await refusedWithin5s(m.id, m.tokenA);
    expect(await reasonOf(m.id, m.tokenB)).toBe('ok');
    const audit = await waitFor(
      async () => {
        const res = await http().get(`/v1/orgs/${org.id}/audit-events?action=session.revoked`).set(org.auth);
        return (
          (res.body.items as Array<{ target: { id: string }; details: { cause: string; serialNumber: string } }>).find(
            (e) => e.target.id === m.id,
          ) ?? null
        );
      },
      5000,
      50,
    );
    expect(audit.details).toMatchObject({ cause: 'device_reset', serialNumber: m.a.serialNumber });
  });

  it("a member deactivating a device kills its tokens; the other device's token stays good", async () => {
    const m = await memberWithTwoDevices();
    const stepUp = await m.token(m.b, 1);
    await send('mfa.devices.deactivate', { accountId: m.id, serialNumber: m.a.serialNumber, sessionToken: stepUp });
    await refusedWithin5s(m.id, m.tokenA);
    expect(await reasonOf(m.id, m.tokenB)).toBe('ok');
    expect(await reasonOf(m.id, stepUp)).toBe('ok');
  });

  it('mfa.sessions.revoke kills every token issued before it; a later one is good', async () => {
    const m = await memberWithTwoDevices();
    const reply = await send('mfa.sessions.revoke', { accountId: m.id });
    expect(reply).toEqual({ revoked: true, revokedBefore: expect.any(String) });
    await refusedWithin5s(m.id, m.tokenA);
    expect(await reasonOf(m.id, m.tokenB)).toBe('mfa_required');
    await new Promise((r) => setTimeout(r, 5)); // a token of the same millisecond counts as revoked
    const later = await m.token(m.a, 1);
    expect(await reasonOf(m.id, later)).toBe('ok');
  });

  it('a lockout kills every token issued before it', async () => {
    const m = await memberWithTwoDevices();
    for (let i = 0; i < 5; i++) await send('mfa.verify', { accountId: m.id, code: '000000', serialNumber: m.a.serialNumber });
    await refusedWithin5s(m.id, m.tokenA);
    expect(await reasonOf(m.id, m.tokenB)).toBe('mfa_required');
  });

  it("a removed member's tokens die, even when the removal stopped half-way", async () => {
    const m = await memberWithTwoDevices();
    // half-way: mfa-service retired the account, account-service still has it
    await send(InternalPatterns.MfaAccountsRemove, { orgId: org.id, accountId: m.id });
    await refusedWithin5s(m.id, m.tokenA);
    expect(await reasonOf(m.id, m.tokenB)).toBe('mfa_required');
    expect((await http().delete(`/v1/orgs/${org.id}/members/${m.id}`).set(org.auth)).status).toBe(204);
    expect(await authorize(m.id, m.tokenB)).toMatchObject({ allowed: false, reason: 'unknown_account' });
  });

  it("another org cannot revoke a member's sessions by naming its id", async () => {
    const m = await memberWithTwoDevices();
    const other = await createOrg(services.orgUrl, services.platformKey);
    expect((await http().delete(`/v1/orgs/${other.id}/members/${m.id}`).set(other.auth)).status).toBe(404);
    expect(await reasonOf(m.id, m.tokenA)).toBe('ok');
    expect(await reasonOf(m.id, m.tokenB)).toBe('ok');
  });
});
