import 'reflect-metadata'; // @Type reads design types as the classes load
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsObject,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';

/**
 * Per-action MFA conditions (docs/enforcement.md "Per-action conditions"), modelled on IAM's
 * `aws:MultiFactorAuthAge`: an action that matches one needs an MFA session no older than it says.
 * The shape, its limits and the matching live here because org-service validates them, the bus
 * carries them and account-service (accounts.authorize) and mfa-service (mfa.devices.diagnose) apply them.
 */
export interface MfaCondition {
  /** exact action names, or prefixes ending in a single `*` (`billing:*`) */
  actions: string[];
  maxMfaAgeSeconds: number;
}

export const MAX_CONDITIONS = 20;
export const MAX_CONDITION_ACTIONS = 20;
export const MIN_CONDITION_AGE_SECONDS = 60;
export const MAX_CONDITION_AGE_SECONDS = 129_600;

/** An action as a member service names it in accounts.authorize: 1..128 of these, no `*`. */
export const ACTION_PATTERN = /^[A-Za-z0-9:_./-]{1,128}$/;
/** An action pattern in a condition: the same, with an optional single `*` at the end (the whole pattern may be `*`). */
export const ACTION_PATTERN_IN_CONDITION = /^(?=.{1,128}$)[A-Za-z0-9:_./-]*\*?$/;

/** Whether `pattern` (from a condition) covers `action`: equal, or `prefix*` and the action starts with the prefix. */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern.endsWith('*') ? action.startsWith(pattern.slice(0, -1)) : pattern === action;
}

/** The conditions (of one policy or united from several) that cover `action`; none without an action. */
export function conditionsFor(conditions: readonly MfaCondition[], action: string | null | undefined): MfaCondition[] {
  if (!action) return [];
  return conditions.filter((c) => c.actions.some((p) => actionMatches(p, action)));
}

/** Of the conditions an action matched, the one asking the freshest MFA (the first of equals); null for none. */
export function strictestCondition(matched: readonly MfaCondition[]): MfaCondition | null {
  return matched.reduce<MfaCondition | null>((best, c) => (best === null || c.maxMfaAgeSeconds < best.maxMfaAgeSeconds ? c : best), null);
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
