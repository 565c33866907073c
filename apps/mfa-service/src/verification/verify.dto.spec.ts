import { randomUUID } from 'node:crypto';
import { BusValidationPipe } from '@mfa/bus';
import { IssueSessionDto, VerifyDto } from './verify.dto';

/** The same decorators without the fast shape: class-validator judges every value. */
class ByDecorators extends VerifyDto {}

const pipe = new BusValidationPipe();
const full = (data: unknown) =>
  pipe.transform(data, { type: 'body', metatype: ByDecorators }).then(
    (dto) => ({ ok: true as const, dto }),
    (err: unknown) => ({ ok: false as const, err }),
  );

const id = randomUUID();
const ids: unknown[] = [id, id.toUpperCase(), '00000000-0000-0000-0000-000000000000', 'not-a-uuid', `${id} `, 5, null, [id]];
const codes: unknown[] = ['123456', '12345678', 'abcd-efgh-ijkl', '', '1'.repeat(64), '1'.repeat(65), 'ＡＢ12', '12 34', 123456, null];
const serials: unknown[] = [undefined, 'arn:aws:iam::1:mfa/x', 'a'.repeat(128), 'a'.repeat(129), 'bad serial', '', null, 7];

describe('VerifyDto.fastShape', () => {
  it('takes the shapes of nearly every verify', () => {
    for (const data of [
      { accountId: id, code: '123456' },
      { accountId: id, code: 'abcd-efgh-ijkl', serialNumber: 'totp-1' },
    ])
      expect(VerifyDto.fastShape(data)).toEqual(data);
    expect(VerifyDto.fastShape({ accountId: id, code: '123456' })).toBeInstanceOf(VerifyDto);
  });

  it('takes only what the decorators accept, with the same result', async () => {
    const cases: unknown[] = [null, 'x', 5, [], [{ accountId: id, code: '1' }], Object.create(null) as unknown];
    for (const accountId of ids)
      for (const code of codes)
        for (const serialNumber of serials)
          cases.push(serialNumber === undefined ? { accountId, code } : { accountId, code, serialNumber });
    const base = { accountId: id, code: '123456' };
    cases.push(
      { ...base, extra: 1 },
      { ...base, challengeId: randomUUID() },
      { ...base, assertion: {} },
      { accountId: id },
      { code: '123456' },
      JSON.parse(`{"accountId":"${id}","code":"123456","__proto__":{"x":1}}`),
      Object.assign(Object.create({ inherited: 1 }) as object, base),
    );
    let fast = 0;
    for (const data of cases) {
      const quick = VerifyDto.fastShape(data);
      const judged = await full(data);
      if (quick === undefined) continue;
      fast++;
      expect({ data, ok: judged.ok }).toEqual({ data, ok: true });
      expect(quick).toEqual(judged.ok && judged.dto);
    }
    expect(fast).toBeGreaterThan(10);
  });

  it('is not inherited by a DTO with more fields: the pipe validates those in full', async () => {
    const err = await pipe
      .transform({ accountId: id, code: '123456', durationSeconds: 5 }, { type: 'body', metatype: IssueSessionDto })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'validation_failed' });
    expect(String((err as Error).message)).toContain('durationSeconds');
  });
});
