import { CSV_HEADER, csvCell, csvLine } from './compliance-csv';

describe('compliance CSV', () => {
  it('has the header of the contract', () => {
    expect(CSV_HEADER).toBe(
      'account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until,only_sms,groups',
    );
  });

  it('leaves plain values alone and empties null', () => {
    expect(csvCell('a@b.c')).toBe('a@b.c');
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(0)).toBe('0');
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('"a,b"@x.io')).toBe('"""a,b""@x.io"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
  });

  it('neutralises cells a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("x")@e.io')).toBe(`"'=HYPERLINK(""x"")@e.io"`);
    expect(csvCell('+1@x.io')).toBe(`'+1@x.io`);
    expect(csvCell('-x@x.io')).toBe(`'-x@x.io`);
    expect(csvCell('@x.io')).toBe(`'@x.io`);
  });

  it('writes one line per row in header order', () => {
    const sut = csvLine({
      accountId: 'id1',
      email: 'a,b@x.io',
      state: 'pending',
      mfaActive: false,
      deviceCount: 2,
      graceDeadline: '2026-01-01T00:00:00.000Z',
      lastMfaUsedAt: null,
      exemptUntil: null,
      onlySms: true,
      groups: 'g1;g2',
    });
    expect(sut).toBe('id1,"a,b@x.io",pending,false,2,2026-01-01T00:00:00.000Z,,,true,g1;g2\n');
  });
});
