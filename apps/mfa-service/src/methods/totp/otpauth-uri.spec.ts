import { otpauthUri } from './otpauth-uri';

describe(otpauthUri.name, () => {
  it('builds the Key URI format with every parameter and no colon inside the label parts', () => {
    const uri = new URL(otpauthUri('ACME: Co', 'jo:e@example.com', 'JBSWY3DPEHPK3PXP'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    const [issuer, account] = decodeURIComponent(uri.pathname.slice(1)).split(':');
    expect(issuer).toBe('ACME  Co');
    expect(account).toBe('jo e@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'ACME  Co',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
