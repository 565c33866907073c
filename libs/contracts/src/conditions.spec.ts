import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ACTION_PATTERN, actionMatches, conditionsFor, type MfaCondition } from './conditions';
import { MfaPolicyDto } from './dto';

describe(actionMatches.name, () => {
  it('matches an exact name only exactly', () => {
    expect(actionMatches('repo:delete', 'repo:delete')).toBe(true);
    expect(actionMatches('repo:delete', 'repo:deletex')).toBe(false);
    expect(actionMatches('repo:delete', 'repo:delet')).toBe(false);
    expect(actionMatches('repo:delete', 'Repo:delete')).toBe(false);
  });

  it('matches a prefix* on every action that starts with the prefix, the prefix itself included', () => {
    expect(actionMatches('billing:*', 'billing:refund')).toBe(true);
    expect(actionMatches('billing:*', 'billing:')).toBe(true);
    expect(actionMatches('billing:*', 'billing')).toBe(false);
    expect(actionMatches('billing*', 'billing')).toBe(true);
    expect(actionMatches('billing*', 'billingx:y')).toBe(true);
    expect(actionMatches('*', 'anything/at.all')).toBe(true);
  });

  it('treats regex characters in a pattern literally', () => {
    expect(actionMatches('a.b', 'axb')).toBe(false);
    expect(actionMatches('a.*', 'a.b')).toBe(true);
    expect(actionMatches('a.*', 'axb')).toBe(false);
  });
});

describe(conditionsFor.name, () => {
  const a: MfaCondition = { actions: ['billing:*', 'repo:delete'], maxMfaAgeSeconds: 300 };
  const b: MfaCondition = { actions: ['billing:refund'], maxMfaAgeSeconds: 60 };

  it('answers every condition one of whose patterns matches, in order', () => {
    expect(conditionsFor([a, b], 'billing:refund')).toEqual([a, b]);
    expect(conditionsFor([a, b], 'repo:delete')).toEqual([a]);
    expect(conditionsFor([a, b], 'repo:create')).toEqual([]);
  });

  it('answers none without an action', () => {
    expect(conditionsFor([a, b], undefined)).toEqual([]);
    expect(conditionsFor([a, b], null)).toEqual([]);
    expect(conditionsFor([a, b], '')).toEqual([]);
  });
});

describe('condition validation (MfaPolicyDto, as the bus validates a hand-over)', () => {
  const policy = (conditions: unknown) => ({
    orgId: '6f1c1a38-0000-4000-8000-000000000000',
    version: 1,
    requireMfa: true,
    gracePeriodHours: 0,
    allowedMethods: ['totp'],
    maxMfaAgeSeconds: null,
    updatedAt: null,
    conditions,
  });
  const problems = (conditions: unknown): string[] => {
    const errors = validateSync(plainToInstance(MfaPolicyDto, policy(conditions)), { whitelist: true, forbidNonWhitelisted: true });
    const flat = (es: typeof errors, parent: string): string[] =>
      es.flatMap((e) => [
        ...Object.values(e.constraints ?? {}).map((m) => `${parent}${e.property}: ${m}`),
        ...flat(e.children ?? [], `${parent}${e.property}.`),
      ]);
    return flat(errors, '');
  };

  it('accepts none, an empty list and good conditions', () => {
    expect(problems(undefined)).toEqual([]);
    expect(problems([])).toEqual([]);
    expect(problems([{ actions: ['billing:*', 'repo:delete', '*', 'a/b.c_d-e:f'], maxMfaAgeSeconds: 60 }])).toEqual([]);
    expect(problems([{ actions: ['x'.repeat(127) + '*'], maxMfaAgeSeconds: 129_600 }])).toEqual([]);
  });

  it('names the bad action by its index', () => {
    const found = problems([{ actions: ['ok', 'bad*middle'], maxMfaAgeSeconds: 60 }]);
    expect(found).toEqual([expect.stringMatching(/^conditions\.0\.actions: actions\[1\] must be 1\.\.128 characters/)]);
    expect(problems([{ actions: ['a', 'b', '**'], maxMfaAgeSeconds: 60 }])[0]).toMatch(/actions\[2\]/);
    expect(problems([{ actions: ['', 'b'], maxMfaAgeSeconds: 60 }])[0]).toMatch(/actions\[0\]/);
    expect(problems([{ actions: ['x'.repeat(129)], maxMfaAgeSeconds: 60 }])[0]).toMatch(/actions\[0\]/);
    expect(problems([{ actions: ['a b'], maxMfaAgeSeconds: 60 }])[0]).toMatch(/actions\[0\]/);
    expect(problems([{ actions: [7], maxMfaAgeSeconds: 60 }])[0]).toMatch(/actions\[0\]/);
  });

  it('refuses the limits: counts, ages, unknown fields, non-objects', () => {
    expect(problems([{ actions: [], maxMfaAgeSeconds: 60 }]).join()).toMatch(/conditions\.0\.actions: actions must contain at least 1/);
    expect(problems([{ actions: Array.from({ length: 21 }, (_, i) => `a${i}`), maxMfaAgeSeconds: 60 }]).join()).toMatch(/no more than 20/);
    expect(problems([{ actions: ['a'], maxMfaAgeSeconds: 59 }]).join()).toMatch(/conditions\.0\.maxMfaAgeSeconds/);
    expect(problems([{ actions: ['a'], maxMfaAgeSeconds: 129_601 }]).join()).toMatch(/conditions\.0\.maxMfaAgeSeconds/);
    expect(problems([{ actions: ['a'], maxMfaAgeSeconds: 60.5 }]).join()).toMatch(/conditions\.0\.maxMfaAgeSeconds/);
    expect(problems([{ actions: ['a'], maxMfaAgeSeconds: 60, effect: 'allow' }]).join()).toMatch(/effect/);
    expect(problems(Array.from({ length: 21 }, () => ({ actions: ['a'], maxMfaAgeSeconds: 60 }))).join()).toMatch(/no more than 20/);
    expect(problems(['billing:*']).join()).toMatch(/conditions/);
    expect(problems({ actions: ['a'], maxMfaAgeSeconds: 60 }).join()).toMatch(/conditions/);
  });
});

describe('ACTION_PATTERN (accounts.authorize action)', () => {
  it('takes 1..128 characters of the set, never a *', () => {
    expect(ACTION_PATTERN.test('billing:refund')).toBe(true);
    expect(ACTION_PATTERN.test('a'.repeat(128))).toBe(true);
    expect(ACTION_PATTERN.test('a'.repeat(129))).toBe(false);
    expect(ACTION_PATTERN.test('')).toBe(false);
    expect(ACTION_PATTERN.test('billing:*')).toBe(false);
    expect(ACTION_PATTERN.test('billing refund')).toBe(false);
    expect(ACTION_PATTERN.test('billing\n')).toBe(false);
  });
});
