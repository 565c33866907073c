import { Type } from 'class-transformer';
import { isUUID, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsSerialNumber, SERIAL_NUMBER_PATTERN } from '@mfa/contracts';
import { AssertionDto } from '../methods/webauthn/webauthn.dto';

/** A code, or a WebAuthn `assertion` with the `challengeId` it answers (one of the two forms). */
export class VerifyDto {
  @IsUUID()
  accountId: string;

  /** a TOTP/SMS code or a recovery code (`xxxx-xxxx-xxxx`); required unless an assertion is given */
  @ValidateIf((o: VerifyDto) => o.assertion === undefined || o.code !== undefined)
  @IsString()
  @Length(1, 64)
  code?: string;

  /** from mfa.challenges.create; required with an assertion */
  @ValidateIf((o: VerifyDto) => o.assertion !== undefined || o.challengeId !== undefined)
  @IsUUID()
  challengeId?: string;

  /** AuthenticationResponseJSON (navigator.credentials.get(...).toJSON()) */
  @ValidateIf((o: VerifyDto) => o.assertion !== undefined || (o.challengeId !== undefined && o.code === undefined))
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionDto)
  assertion?: AssertionDto;

  @IsOptional()
  @IsSerialNumber()
  serialNumber?: string;

  /**
   * `{accountId, code[, serialNumber]}` with an ASCII code, the shape of nearly every verify,
   * without class-validator's walk (BusValidationPipe); anything else is left to the decorators.
   */
  static fastShape(data: unknown): VerifyDto | undefined {
    if (typeof data !== 'object' || data === null || Object.getPrototypeOf(data) !== Object.prototype) return undefined;
    const d = data as Record<string, unknown>;
    let keys = 0;
    for (const key in d) {
      if (!Object.hasOwn(d, key) || !FAST_KEYS.has(key)) return undefined;
      keys++;
    }
    if (!isUUID(d.accountId) || typeof d.code !== 'string' || !FAST_CODE.test(d.code)) return undefined;
    if (d.serialNumber === undefined) {
      if (keys !== 2) return undefined;
    } else if (typeof d.serialNumber !== 'string' || !SERIAL_NUMBER_PATTERN.test(d.serialNumber)) return undefined;
    return Object.assign(new VerifyDto(), d);
  }
}

const FAST_KEYS = new Set(['accountId', 'code', 'serialNumber']);
// ASCII only, so that the length is class-validator's too (it counts surrogate pairs as one)
const FAST_CODE = /^[0-9A-Za-z-]{1,64}$/;

export class IssueSessionDto extends VerifyDto {
  @IsOptional()
  @IsInt()
  @Min(900)
  @Max(129_600)
  durationSeconds?: number;
}
