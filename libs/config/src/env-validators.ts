import { IsInt, Max, Min, ValidateBy } from 'class-validator';

/**
 * A secret checked by `problem` (null when fine); empty means "use the development key". The
 * message is the problem's, which names a bad entry by position and never echoes the secret.
 */
export function IsEmptyOrValid(problem: (v: string) => string | null): PropertyDecorator {
  return ValidateBy({
    name: 'isEmptyOrValid',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && (value === '' || problem(value) === null),
      defaultMessage: (args) => (typeof args?.value === 'string' ? (problem(args.value) ?? 'invalid') : 'must be a string'),
    },
  });
}

/** An integer variable within [min, max]. */
export function IntRange(min: number, max: number): PropertyDecorator {
  return (target, key) => {
    IsInt()(target, key);
    Min(min)(target, key);
    Max(max)(target, key);
  };
}
