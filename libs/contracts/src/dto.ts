import 'reflect-metadata'; // @Type reads design types as the classes load
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import { type MfaMethod, MfaMethods } from './enums';
import {
  ACTION_PATTERN_IN_CONDITION,
  MAX_CONDITION_ACTIONS,
  MAX_CONDITION_AGE_SECONDS,
  MAX_CONDITIONS,
  type MfaCondition,
  MIN_CONDITION_AGE_SECONDS,
} from './conditions';
import type { MfaPolicy } from './models';

/**
 * Validation classes for wire shapes that more than one service receives. Each service still
 * validates every payload itself (whoever sent it); these keep the rules in one place.
 */

/** Most members one bulk call may add (docs/admin-api.md, "Routes": 1..10,000 rows). */
export const MAX_BULK_MEMBERS = 10_000;

/** The smallest uuid: a keyset walk by id starts after it. */
export const MIN_UUID = '00000000-0000-0000-0000-000000000000';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any 8-4-4-4-12 hex id, as Postgres' uuid type reads it (class-validator's IsUUID also checks the version). */
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);

/** Free-text fields are stored without surrounding blanks. */
export const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Emails are compared lower-cased and trimmed everywhere: `Bob@X.io ` and `bob@x.io` are one member. */
export const normalizedEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** A device's serial number on the wire: opaque and URL-safe. */
/**
 * An email search prefix: no control characters. No stored email has one, and Postgres refuses
 * a NUL in a text parameter outright (that was a 500, not a 400 naming the field).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
export const EMAIL_PREFIX_PATTERN = /^[^\u0000-\u001f\u007f]*$/;
export const EMAIL_PREFIX_MESSAGE = 'email must not contain control characters';

export const SERIAL_NUMBER_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function IsSerialNumber(): PropertyDecorator {
  return Matches(SERIAL_NUMBER_PATTERN, { message: 'serialNumber must be 1..128 characters of [A-Za-z0-9._:-]' });
}

export class OrgRefDto {
  @IsUUID()
  orgId: string;
}

export class MemberRefDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  accountId: string;
}

/**
 * `actions` of a condition: 1..20 strings matching ACTION_PATTERN_IN_CONDITION. A bad entry is
 * named by its index (`actions[1] must be ...`, which the HTTP error turns into
 * `conditions[0].actions[1] ...`), unlike class-validator's `each`, which names the array only.
 */
function IsActionPatternList(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isActionPatternList',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        // not an array: IsArray says so
        validate: (value: unknown) =>
          !Array.isArray(value) || value.every((v) => typeof v === 'string' && ACTION_PATTERN_IN_CONDITION.test(v)),
        defaultMessage: (args?: ValidationArguments) => {
          const value = (args?.value ?? []) as unknown[];
          const bad = value.findIndex((v) => typeof v !== 'string' || !ACTION_PATTERN_IN_CONDITION.test(v));
          return `${args?.property ?? 'actions'}[${bad}] must be 1..128 characters of [A-Za-z0-9:_./-], with an optional single * only at the end`;
        },
      },
    });
}

/** One condition as the admin API and the bus validate it (every field decorated: unknown ones are refused). */
export class MfaConditionDto implements MfaCondition {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CONDITION_ACTIONS)
  @IsActionPatternList()
  actions: string[];

  @IsInt()
  @Min(MIN_CONDITION_AGE_SECONDS)
  @Max(MAX_CONDITION_AGE_SECONDS)
  maxMfaAgeSeconds: number;
}

/**
 * `conditions` of a policy body, for the DTO classes that carry one (admin PUT, bus hand-over):
 * at most 20, each validated as MfaConditionDto and named by index (`conditions[3].maxMfaAgeSeconds`).
 */
export function IsConditionList(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    IsArray()(target, propertyName);
    ArrayMaxSize(MAX_CONDITIONS)(target, propertyName);
    ValidateNested({ each: true })(target, propertyName);
    IsObject({ each: true, message: 'each entry of $property must be an object {actions, maxMfaAgeSeconds}' })(target, propertyName);
    Type(() => MfaConditionDto)(target, propertyName);
  };
}

/** An org's policy as org-service hands it over (MfaPolicy). */
export class MfaPolicyDto implements MfaPolicy {
  @IsUUID()
  orgId: string;

  @IsInt()
  @Min(0)
  version: number;

  @IsBoolean()
  requireMfa: boolean;

  @IsInt()
  @Min(0)
  @Max(8760)
  gracePeriodHours: number;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(MfaMethods, { each: true })
  allowedMethods: MfaMethod[];

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(129_600)
  maxMfaAgeSeconds: number | null;

  @IsOptional()
  @IsBoolean()
  secureMethodsOnly?: boolean;

  @IsOptional()
  @IsConditionList()
  conditions?: MfaCondition[];

  @IsOptional()
  @IsISO8601({ strict: true })
  updatedAt: string | null;

  @IsOptional()
  @IsUUID()
  groupId?: string;
}
