import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Variables whose values may hold secrets (keys, URLs with passwords): never echoed. */
const SENSITIVE_VAR = /KEY|SECRET|TOKEN|PASSWORD|URL/i;

/** A value holding '@' may carry a login (`user:password@host`) whatever its variable: never echoed either. */
const mayHoldLogin = (value: unknown) => typeof value === 'string' && value.includes('@');

function flatten(errors: ValidationError[]): string[] {
  // one line per variable, all its broken rules together; the value only when it cannot be a secret
  return errors.map((e) => {
    const value = SENSITIVE_VAR.test(e.property) || mayHoldLogin(e.value) ? '[redacted]' : JSON.stringify(e.value);
    return `${e.property}=${value}: ${Object.values(e.constraints ?? {}).join(', ')}`;
  });
}

/**
 * Reads and validates the environment once, at boot. Every bad variable is listed in one
 * error, so an operator fixes them all in one go instead of one restart per mistake.
 * Empty strings count as unset, so `FOO=` falls back to the development default.
 */
export function loadConfig<T extends object>(schema: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(schema, present, { enableImplicitConversion: true, exposeDefaultValues: true });
  const problems = flatten(validateSync(config, { whitelist: false, skipMissingProperties: false }));
  const production = (config as { NODE_ENV?: string }).NODE_ENV === 'production';
  if (production && typeof (config as { productionProblems?: () => string[] }).productionProblems === 'function') {
    problems.push(...(config as unknown as { productionProblems(): string[] }).productionProblems());
  }
  const environmentProblems = (config as { environmentProblems?: (p: Record<string, string>, production: boolean) => string[] })
    .environmentProblems;
  if (typeof environmentProblems === 'function')
    problems.push(...environmentProblems.call(config, present as Record<string, string>, production));
  if (problems.length) throw new ConfigError(problems);
  return config;
}
