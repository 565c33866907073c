import { AppError } from '@mfa/contracts';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { scrubDetails } from './audit-details';
import { actorOf } from './audit.service';

describe('audit cursor', () => {
  it('round-trips the last row of a page', () => {
    const c = { atKey: '2026-11-29T21:44:25.123456Z', id: '0b9c7c5e-9d53-4a43-9d5e-6a3f1f0f6f11' };
    expect(decodeAuditCursor(encodeAuditCursor(c))).toEqual(c);
  });

  it('refuses anything it did not hand out', () => {
    for (const bad of ['garbage', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(() => decodeAuditCursor(bad)).toThrow(AppError);
    }
  });
});

describe(scrubDetails.name, () => {
  it('drops secret-looking fields at any depth and keeps the rest', () => {
    expect(
      scrubDetails({
        role: 'admin',
        key: 'mfak_x',
        nested: { code: '123456', serialNumber: 'SN', items: [{ secretBase32: 'AAA', n: 1 }] },
      }),
    ).toEqual({
      role: 'admin',
      nested: { serialNumber: 'SN', items: [{ n: 1 }] },
    });
  });
});

describe(actorOf.name, () => {
  it('drops every field the logger redacts too (one list)', () => {
    expect(scrubDetails({ phoneNumber: '+14155550123', seed: 'x', RecoveryCode: 'y', type: 'sms' })).toEqual({ type: 'sms' });
  });

  it('names an org key by its id and the platform key by nothing', () => {
    expect(actorOf({ kind: 'platform' })).toEqual({ type: 'platform', id: null });
    expect(actorOf({ kind: 'api_key', keyId: 'k1', orgId: 'o1', role: 'admin' })).toEqual({ type: 'api_key', id: 'k1' });
  });
});
