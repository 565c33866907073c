import { jsonShapeProblem } from './json-shape';

const limits = { maxDepth: 4, maxContainers: 5 };
const check = (json: string) => jsonShapeProblem(Buffer.from(json, 'utf8'), limits);

describe(jsonShapeProblem.name, () => {
  it.each(['{}', '{"a":[1,2,{"b":[]}]}', '[[[[]]]]', '"{{{{{{[[[["', '{"a":"\\"{[{[{[{[","b":"é{"}', '[{},{},{},{}]'])(
    'accepts %s',
    (json) => {
      expect(check(json)).toBeNull();
    },
  );

  it('refuses nesting deeper than the limit', () => {
    expect(check('[[[[[]]]]]')).toEqual({ kind: 'depth', limit: 4 });
    expect(check('{"a":{"b":{"c":{"d":{}}}}}')).toEqual({ kind: 'depth', limit: 4 });
  });

  it('refuses more objects and arrays than the limit, however shallow', () => {
    expect(check('[{},{},{},{},{}]')).toEqual({ kind: 'containers', limit: 5 });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(check(`["${'[{'.repeat(50)}\\"${'[{'.repeat(50)}"]`)).toBeNull();
  });

  it('stops at the limit on 2 MiB of the worst shape', () => {
    const buf = Buffer.from(`{"members":[${'{},'.repeat(700_000)}{}]}`);
    expect(jsonShapeProblem(buf, { maxDepth: 32, maxContainers: 10_002 })).toEqual({ kind: 'containers', limit: 10_002 });
  });
});
