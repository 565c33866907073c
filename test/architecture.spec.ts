/**
 * Rules of the tree that no compiler checks: greps of apps/*\/src and libs/ that fail when a
 * change breaks them (the fix is to move the code, not to widen the rule).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}
const rel = (path: string) => relative(ROOT, path).split('\\').join('/');
const isTest = (path: string) => /\.(spec|e2e-spec)\.ts$/.test(path);
/** Comments go first: prose may name a statement ("one INSERT per chunk") without running one. */
const code = (path: string) =>
  readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

const appSources = readdirSync(join(ROOT, 'apps')).flatMap((app) => tsFiles(join(ROOT, 'apps', app, 'src')));
const libSources = tsFiles(join(ROOT, 'libs'));

describe('data access: SQL only in *.repository.ts', () => {
  const SQL = [
    /\bSELECT\b[\s\S]{0,600}?\bFROM\b/,
    /\bINSERT\s+INTO\b/,
    /\bDELETE\s+FROM\b/,
    /\bUPDATE\s+[\w.]+(\s+\w+)?\s+SET\b/,
    /\bJOIN\s+[\w.]+\s+\w+\s+ON\b/,
    /\bCASE\s+WHEN\b/,
    /\.query\s*(<[^>]*>)?\(/,
  ];
  const hasSql = (path: string) => SQL.some((re) => re.test(code(path)));
  /**
   * Where SQL may be: repositories; `*.sql.ts`, fragments that repositories share, each with a
   * spec proving it equal to its TypeScript twin; migrations; @mfa/database, the data-access
   * lib itself (Db, rows/one/affected, CREATE DATABASE for tools).
   */
  const allowed = (path: string) =>
    /\.repository\.ts$/.test(path) ||
    /\.sql\.ts$/.test(path) ||
    /\/database\/migrations\//.test(path) ||
    rel(path).startsWith('libs/database/src/');

  it('no source file outside them runs or builds SQL', () => {
    const offenders = [...appSources, ...libSources].filter((p) => !isTest(p) && !allowed(p) && hasSql(p)).map(rel);
    expect(offenders).toEqual([]);
  });

  it('the detector sees SQL where there is some', () => {
    expect(hasSql(join(ROOT, 'apps/mfa-service/src/devices/device.repository.ts'))).toBe(true);
  });
});

describe('layers: libs never import apps; config never imports features', () => {
  const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  const importsOf = (path: string) => [...code(path).matchAll(IMPORT)].map((m) => m[1]);
  /** Where an import lands, as a path from the root (packages stay bare names). */
  const target = (from: string, spec: string) => (spec.startsWith('.') ? rel(resolve(dirname(from), spec)) : spec);

  it('no file under libs/ (specs included) imports apps/, tools/, bench/ or test/ (@test/support)', () => {
    const bad = libSources.flatMap((p) =>
      importsOf(p)
        .map((s) => target(p, s))
        .filter((t) => /^(apps|tools|bench|test)\//.test(t) || t.startsWith('@test/'))
        .map((t) => `${rel(p)} -> ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it("an app's config imports no feature of the app: features read config, never the reverse", () => {
    const configs = appSources.filter((p) => /\/src\/config\//.test(rel(p)) && !isTest(p));
    const bad = configs.flatMap((p) =>
      importsOf(p)
        .filter((s) => s.startsWith('.'))
        .map((s) => target(p, s))
        .filter((t) => !/^apps\/[^/]+\/src\/config\//.test(t))
        .map((t) => `${rel(p)} -> ${t}`),
    );
    expect(configs.length).toBeGreaterThanOrEqual(3);
    expect(bad).toEqual([]);
  });

  it('the import scan finds relative and aliased imports', () => {
    const harness = join(ROOT, 'test/support/service-harness.ts');
    expect(importsOf(harness).map((s) => target(harness, s))).toEqual(
      expect.arrayContaining(['apps/org-service/src/org-service.app', '@mfa/bus']),
    );
  });
});
