import { AppError } from '@mfa/contracts';
import { likePrefix } from '../enforcement/member-enforcement.repository';
import { decodeEmailCursor, decodeMemberCursor, encodeEmailCursor, encodeMemberCursor } from './member-cursor';

const ID = '0b7e6f5c-1d2a-4c3b-9e8f-7a6b5c4d3e2f';

describe('member cursors', () => {
  it('round-trips both kinds, an email with colons and non-ASCII included', () => {
    expect(decodeMemberCursor(encodeMemberCursor(ID))).toBe(ID);
    for (const email of ['ada@example.test', 'a:b:c@example.test', 'élodie@exemple.fr'])
      expect(decodeEmailCursor(encodeEmailCursor({ id: ID, email }))).toEqual({ id: ID, email });
  });

  it('refuses one kind where the other is expected, and garbage, naming the cursor', () => {
    const cases: Array<() => unknown> = [
      () => decodeEmailCursor(encodeMemberCursor(ID)),
      () => decodeMemberCursor(encodeEmailCursor({ id: ID, email: 'a@b.io' })),
      () => decodeEmailCursor(Buffer.from(`e1:${ID}:`).toString('base64url')),
      () => decodeEmailCursor(Buffer.from(`e1:${ID}xa@b.io`).toString('base64url')),
      () => decodeEmailCursor(Buffer.from('e1:not-a-uuid-at-all-not-a-uuid-at-al:a@b.io').toString('base64url')),
      () => decodeEmailCursor('garbage'),
    ];
    for (const sut of cases) {
      let err: unknown;
      try {
        sut();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toContain('cursor');
    }
  });
});

describe(likePrefix.name, () => {
  it("makes LIKE's wildcards and escape literal", () => {
    expect(likePrefix('ada')).toBe('ada%');
    expect(likePrefix('a_b%c\\d')).toBe('a\\_b\\%c\\\\d%');
  });
});
