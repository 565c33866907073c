import { SECRET_FIELD_NAMES } from '@mfa/contracts';
import { createRootLogger } from './logger';

describe(createRootLogger.name, () => {
  it('redacts every secret-bearing field and the Authorization header, wherever they sit', () => {
    const lines: string[] = [];
    const logger = createRootLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    const secrets = Object.fromEntries(SECRET_FIELD_NAMES.map((name) => [name, `value-of-${name}`]));
    logger.info({ req: { headers: { authorization: 'Bearer mfak_secret' } }, body: secrets, serialNumber: 'totp-1' }, 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('value-of-');
    expect(lines[0]).not.toContain('mfak_secret');
    expect(JSON.parse(lines[0])).toMatchObject({ serialNumber: 'totp-1', body: { seed: '[redacted]', phoneNumber: '[redacted]' } });
  });
});
