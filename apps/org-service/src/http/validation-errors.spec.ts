import type { ValidationError } from '@nestjs/common';
import { fieldProblems, validationFailed } from './validation-errors';

const err = (property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError => ({
  property,
  constraints,
  children,
});

describe(validationFailed.name, () => {
  it('names a bulk row by its index', () => {
    const errors = [err('members', undefined, [err('17', undefined, [err('email', { isEmail: 'email must be an email' })])])];
    const sut = validationFailed(errors);
    expect(sut.code).toBe('validation_failed');
    expect(sut.message).toBe('members[17].email must be an email');
    expect(sut.details).toEqual([{ field: 'members[17].email', problems: ['members[17].email must be an email'] }]);
  });

  it('lists every bad field', () => {
    const sut = validationFailed([
      err('name', { isString: 'name must be a string' }),
      err('extra', { whitelistValidation: 'property extra should not exist' }),
    ]);
    expect(sut.message).toBe('name must be a string; extra property extra should not exist');
  });

  it('caps the list so 10,000 bad rows do not make a 10,000-line answer', () => {
    const rows = Array.from({ length: 500 }, (_, i) => err(String(i), undefined, [err('email', { isEmail: 'email must be an email' })]));
    const sut = validationFailed([err('members', undefined, rows)]);
    expect(sut.details).toHaveLength(20);
    expect(sut.message).toMatch(/and more$/);
    expect(fieldProblems([err('members', undefined, rows)]).length).toBeLessThanOrEqual(21);
  });
});
