/**
 * secureMethodsOnly end to end: the policy over the admin API, handed to account-service and
 * mfa-service, members' states, the compliance report and the bus rules (org-service HTTP +
 * account-service + mfa-service in this process, real bus and Postgres).
 */
import request from 'supertest';
import { loadConfig } from '@mfa/config';
import type { Member, PolicyRollout } from '@mfa/contracts';
import { startService, type RunningService } from '@mfa/observability';
import { addMember, createOrg, enrollTotp, startTestServices, type TestOrg, type TestServices, totpCode, waitFor } from '@test/support';
import { MfaServiceEnv } from '../../mfa-service/src/config/mfa-service.env';
import { mfaServiceApp } from '../../mfa-service/src/mfa-service.app';
import { SmsOutboxRepository } from '../../mfa-service/src/sms/sms-outbox.repository';

const FAST = { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' };

let services: TestServices;
let mfa: RunningService;
let org: TestOrg;

const http = () => request(services.orgUrl);
/** The fields of the bus replies these tests read (devices.create/enable/deactivate, sessions.issue, authorize). */
type Reply = { serialNumber: string; secretBase32: string; token: string; allowed: boolean; status: string };
const bus = (pattern: string, data: object) => services.bus.send(pattern as never, data as never) as Promise<Reply>;
const failure = async (pattern: string, data: object): Promise<{ code: string; message: string }> => {
  try {
    await bus(pattern, data);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`${pattern} succeeded`);
};

async function putPolicy(body: object): Promise<{ policy: { version: number; secureMethodsOnly: boolean }; rollout: PolicyRollout }> {
  const res = await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send(body);
  expect(res.status).toBe(202);
  await waitFor(
    async () =>
      (await http().get(`/v1/orgs/${org.id}/rollouts/${res.body.rollout.id}`).set(org.auth)).body.status === 'completed' ? true : null,
    15_000,
    50,
  );
  return res.body;
}

const state = async (id: string): Promise<string> =>
  ((await http().get(`/v1/orgs/${org.id}/members/${id}`).set(org.auth)).body as Member).enforcement.state;

const totp = (accountId: string) => enrollTotp(services.bus, accountId);

let phoneSeq = 0;
async function sms(accountId: string, sessionToken?: string): Promise<string> {
  const phoneNumber = `+1415556${String(1000 + phoneSeq++).padStart(4, '0')}`;
  const created = await bus('mfa.devices.create', { accountId, type: 'sms', name: 'mobile', phoneNumber, sessionToken });
  const [message] = await mfa.app.get(SmsOutboxRepository).read({ serialNumber: created.serialNumber, limit: 1 });
  await bus('mfa.devices.enable', { accountId, serialNumber: created.serialNumber, code1: /(\d{6})/.exec(message.body)![1] });
  return created.serialNumber;
}

beforeAll(async () => {
  services = await startTestServices({ mfa: false, env: FAST });
  mfa = await startService(mfaServiceApp, loadConfig(MfaServiceEnv, { ...process.env, MFA_SERVICE_PORT: '0' }));
  org = await createOrg(services.orgUrl, services.platformKey);
});

afterAll(async () => {
  await mfa?.app.close();
  await services?.close();
});

describe('secureMethodsOnly', () => {
  it('counts only secure devices, shows who has only SMS, refuses new SMS and keeps the last secure device', async () => {
    const [smsOnly, withTotp, both] = [
      await addMember(services.orgUrl, org),
      await addMember(services.orgUrl, org),
      await addMember(services.orgUrl, org),
    ];
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body).toMatchObject({ version: 0, secureMethodsOnly: false });

    await sms(smsOnly.id);
    const b = await totp(withTotp.id);
    const c = await totp(both.id);
    const cSession = (await bus('mfa.sessions.issue', { accountId: both.id, code: totpCode(c.secret, 1) })).token;
    const cSms = await sms(both.id, cSession);

    const put = await putPolicy({
      requireMfa: true,
      gracePeriodHours: 0,
      allowedMethods: ['totp', 'sms', 'webauthn'],
      secureMethodsOnly: true,
    });
    expect(put.policy).toMatchObject({ version: 1, secureMethodsOnly: true });
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body).toMatchObject({ version: 1, secureMethodsOnly: true });

    // the SMS-only member counts as without a device; the others stay compliant
    await waitFor(
      async () => ((await state(smsOnly.id)) === 'non_compliant' && (await state(both.id)) === 'compliant' ? true : null),
      15_000,
      50,
    );
    expect(await state(withTotp.id)).toBe('compliant');
    expect((await bus('accounts.authorize', { accountId: smsOnly.id })).allowed).toBe(false);

    // the report names who still has only SMS
    const report = await http().get(`/v1/orgs/${org.id}/compliance-report`).set(org.auth);
    expect(report.body).toMatchObject({ onlySmsCount: 1, byState: { compliant: 2, non_compliant: 1 } });
    const csv = (await http().get(`/v1/orgs/${org.id}/compliance-report?format=csv`).set(org.auth).buffer(true)).text;
    const [header, ...lines] = csv.trim().split('\n');
    const onlySms = header.split(',').indexOf('only_sms');
    const onlySmsColumn = Object.fromEntries(lines.map((l) => [l.split(',')[0], l.split(',')[onlySms]]));
    expect(onlySmsColumn).toEqual({ [smsOnly.id]: 'true', [withTotp.id]: 'false', [both.id]: 'false' });

    // no new SMS device, with a message naming the policy
    const bSession = (await bus('mfa.sessions.issue', { accountId: withTotp.id, code: totpCode(b.secret, 1) })).token;
    const refused = await failure('mfa.devices.create', {
      accountId: withTotp.id,
      type: 'sms',
      name: 'x',
      phoneNumber: '+14155569999',
      sessionToken: bSession,
    });
    expect(refused).toMatchObject({ code: 'method_not_allowed', message: expect.stringMatching(/secureMethodsOnly/) });

    // the last secure device stays, even with an SMS device beside it; the SMS one may go
    expect(
      await failure('mfa.devices.deactivate', { accountId: both.id, serialNumber: c.serialNumber, sessionToken: cSession }),
    ).toMatchObject({
      code: 'conflict',
    });
    expect(await bus('mfa.devices.deactivate', { accountId: both.id, serialNumber: cSms, sessionToken: cSession })).toMatchObject({
      status: 'deactivated',
    });

    // a new version without it: SMS counts again
    await putPolicy({ requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp', 'sms', 'webauthn'] });
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body).toMatchObject({ version: 2, secureMethodsOnly: false });
    await waitFor(async () => ((await state(smsOnly.id)) === 'compliant' ? true : null), 15_000, 50);
  });

  it('answers validation_failed for a secureMethodsOnly that is not a boolean', async () => {
    const res = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'], secureMethodsOnly: 'yes' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/secureMethodsOnly/);
  });
});
