import { Type } from 'class-transformer';
import { IsArray, IsObject, IsString, ValidateNested } from 'class-validator';
import { AppError, MfaPolicyDto } from '@mfa/contracts';
import { BusValidationPipe, NoFieldsDto } from './bus-validation.pipe';

class AuthorizeLike {
  @IsString()
  accountId: string;
}

class ApplyLike {
  @IsObject()
  @ValidateNested()
  @Type(() => MfaPolicyDto)
  policy: MfaPolicyDto;
}

class Row {
  @IsString()
  email: string;
}

class Bulk {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => Row)
  members: Row[];
}

const policy = {
  orgId: '7a1c1f7e-3b8f-4b8e-9d51-1f0c2b6b3a10',
  version: 1,
  requireMfa: true,
  gracePeriodHours: 0,
  allowedMethods: ['totp'],
  maxMfaAgeSeconds: null,
  updatedAt: null,
};

async function refusal(metatype: new () => object, value: unknown): Promise<AppError> {
  const err = await new BusValidationPipe().transform(value, { type: 'body', metatype }).then(
    () => {
      throw new Error('accepted');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('BusValidationPipe refuses unknown fields by name', () => {
  it('a top-level field: `token` written for `sessionToken`', async () => {
    const err = await refusal(AuthorizeLike, { accountId: 'a', token: 'eyJ...' });
    expect(err.code).toBe('validation_failed');
    expect(err.message).toBe('token: property token should not exist');
    expect(err.details).toEqual([{ field: 'token', messages: ['property token should not exist'] }]);
  });

  it('a field of a nested object, named by its path', async () => {
    const err = await refusal(ApplyLike, { policy: { ...policy, requireMFA: true } });
    expect(err.code).toBe('validation_failed');
    expect(err.message).toBe('policy.requireMFA: property requireMFA should not exist');
  });

  it('a field of an array row, named by its index', async () => {
    const err = await refusal(Bulk, { members: [{ email: 'a@x.io' }, { email: 'b@x.io', mail: 'b@x.io' }] });
    expect(err.message).toBe('members.1.mail: property mail should not exist');
  });

  it('any field of a pattern that takes none', async () => {
    const err = await refusal(NoFieldsDto, { kid: 'k1' });
    expect(err.message).toBe('kid: property kid should not exist');
  });

  it('still accepts exactly the declared fields', async () => {
    await expect(new BusValidationPipe().transform({ policy }, { type: 'body', metatype: ApplyLike })).resolves.toBeInstanceOf(ApplyLike);
    await expect(new BusValidationPipe().transform({}, { type: 'body', metatype: NoFieldsDto })).resolves.toEqual({});
  });
});
