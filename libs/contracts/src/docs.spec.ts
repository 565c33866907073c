import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, HttpStatusOf } from './errors';
import { InternalPatterns, Patterns } from './patterns';

/**
 * docs/ hold the whole external contract: a member service is written from them alone. This
 * fails when a pattern or an error code is added to libs/contracts without its row in docs/,
 * and when anything cites a document that is not in the repository.
 */
const ROOT = join(__dirname, '../../..');
const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');
/** The first cell of every table row: `| \`mfa.verify\` | ...` -> `mfa.verify`. */
const rowKeys = (markdown: string) =>
  new Map(
    markdown.split('\n').flatMap((l) => {
      const m = /^\| `([^`]+)` \|([^|]*)\|/.exec(l);
      return m ? [[m[1], m[2].trim()] as const] : [];
    }),
  );

/** Every file git knows in the worktree (tracked or not, ignored ones left out). */
const repoFiles = (): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.startsWith('node_modules') && existsSync(join(ROOT, f)));

describe('docs/ hold the contract', () => {
  it('docs/bus-protocol.md has a row, with request and reply, for every member-facing and internal pattern', () => {
    const rows = rowKeys(doc('bus-protocol.md'));
    const missing = [...Object.values(Patterns), ...Object.values(InternalPatterns)].filter((p) => !rows.has(p) || rows.get(p) === '');
    expect(missing).toEqual([]);
  });

  it('docs/admin-api.md lists every error code with its HTTP status', () => {
    const rows = rowKeys(doc('admin-api.md'));
    const wrong = Object.values(ErrorCodes).filter((code) => !rows.get(code)?.startsWith(String(HttpStatusOf[code])));
    expect(wrong).toEqual([]);
  });

  it('names the session token field as the patterns take it', () => {
    expect(doc('bus-protocol.md')).toContain('`sessionToken`');
    expect(doc('bus-protocol.md')).toMatch(/\| `accounts\.authorize` \| `\{accountId, sessionToken\?/);
  });

  it('no file cites a contract document that is not in the repository', () => {
    const external = ['CONTRACT', 'md'].join('.');
    const citing = repoFiles().filter((f) => !/\.(png|ico|jpg)$/.test(f) && readFileSync(join(ROOT, f), 'utf8').includes(external));
    expect(citing).toEqual([]);
  });

  it('every docs/<name>.md that code or docs cite exists', () => {
    const cited = new Set<string>();
    for (const f of repoFiles().filter((x) => /\.(ts|js|md)$/.test(x))) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/docs\/([a-z0-9-]+\.(?:md|json))/g)) cited.add(m[1]);
    }
    expect([...cited].filter((name) => !existsSync(join(ROOT, 'docs', name)))).toEqual([]);
  });
});
