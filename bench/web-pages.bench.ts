/**
 * W1: the console's members page at size. Each figure is the web app's answer time (sign-in
 * session, admin API call with the session's key, Eta render, full body read), next to the admin
 * API's answer time for the same listing measured in the same run: the page's own cost is the
 * difference. Members are inserted by SQL (as P1 does); requests go one at a time.
 */
import { Client } from 'pg';
import { encodeMemberCursor } from '../apps/account-service/src/accounts/member-cursor';
import type { AdminApi } from './lib/fixture';
import { insertMembersSql } from './policy-push.bench';
import { fmt, summarize, timed, type BenchRow } from './lib/stats';

export interface WebPagesOptions {
  webUrl: string;
  admin: AdminApi;
  orgId: string;
  databaseUrl: string;
  members: number;
  samples: number;
  log: (line: string) => void;
}

const GOAL_MS = 200;

/** A console session as a browser gets one: the sign-in form's CSRF cookie and token, then the session cookie. */
export async function consoleSession(webUrl: string, orgId: string, apiKey: string): Promise<string> {
  const form = await fetch(`${webUrl}/console/sign-in`);
  const csrfCookie = cookiesOf(form);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error('no CSRF token on the sign-in form');
  const res = await fetch(`${webUrl}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ _csrf: token, orgId, apiKey }).toString(),
  });
  if (res.status !== 303) throw new Error(`console sign-in answered ${res.status}`);
  return `${csrfCookie}; ${cookiesOf(res)}`;
}

function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function sample(n: number, call: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(3, n); i++) await call(); // warm-up: connections, plans, code paths
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await timed(call)).ms);
  return out;
}

async function get(url: string, headers: Record<string, string>, expectText?: string): Promise<void> {
  const res = await fetch(url, { headers });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
  if (expectText && !body.includes(expectText)) throw new Error(`GET ${url}: the answer lacks ${expectText}`);
}

/** The id at `fraction` of the org's id order: a cursor there is a page deep in the keyset walk. */
async function idAt(databaseUrl: string, orgId: string, fraction: number, members: number): Promise<string> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const r = await db.query<{ id: string }>(`SELECT id FROM accounts.accounts WHERE org_id = $1 ORDER BY id OFFSET $2 LIMIT 1`, [
      orgId,
      Math.floor(members * fraction),
    ]);
    return r.rows[0].id;
  } finally {
    await db.end();
  }
}

export async function webPages(o: WebPagesOptions): Promise<BenchRow[]> {
  o.log(`W1 inserting ${o.members} members by SQL`);
  const insertMs = await insertMembersSql(o.databaseUrl, o.orgId, o.members, 'w');
  const cookie = await consoleSession(o.webUrl, o.orgId, o.admin.key);
  const web = { cookie };
  const api = { authorization: `Bearer ${o.admin.key}` };
  const deep = encodeMemberCursor(await idAt(o.databaseUrl, o.orgId, 0.99, o.members));
  // w500…: 500, 5000-5009, 50000-50099 (and 500000-500999 at 1,000,000): a full page and more
  const prefix = 'w500';
  const searchPage1 = (await o.admin.call<{ nextCursor: string | null }>('GET', `/v1/orgs/${o.orgId}/members?limit=50&email=${prefix}`))
    .nextCursor;

  const cases: Array<{ id: string; what: string; page: string; apiPath: string; samples: number; expect?: string }> = [
    { id: 'W1a', what: 'first page (50 members, id order)', page: '', apiPath: '', samples: o.samples, expect: '@bench.example' },
    {
      id: 'W1b',
      what: 'a page 99% deep in the keyset walk (Next page cursor)',
      page: `cursor=${deep}`,
      apiPath: `cursor=${deep}`,
      samples: o.samples,
      expect: '@bench.example',
    },
    {
      id: 'W1c',
      what: `email search \`${prefix}\`, first page`,
      page: `email=${prefix}`,
      apiPath: `email=${prefix}`,
      samples: o.samples,
      expect: `>${prefix}`,
    },
    ...(searchPage1
      ? [
          {
            id: 'W1d',
            what: `email search \`${prefix}\`, next page`,
            page: `email=${prefix}&cursor=${searchPage1}`,
            apiPath: `email=${prefix}&cursor=${searchPage1}`,
            samples: o.samples,
          },
        ]
      : []),
    {
      id: 'W1e',
      what: 'state filter no member can be in (`pending` while the policy is off: Postgres folds the bound rule to false)',
      page: 'state=pending',
      apiPath: 'state=pending',
      samples: Math.min(5, o.samples),
      expect: 'No member matches.',
    },
  ];
  const rows: BenchRow[] = [];
  for (const c of cases) {
    o.log(`${c.id} ${c.what}`);
    const apiMs = await sample(c.samples, () =>
      get(`${o.admin.baseUrl}/v1/orgs/${o.orgId}/members?limit=50${c.apiPath ? `&${c.apiPath}` : ''}`, api),
    );
    const webMs = await sample(c.samples, () => get(`${o.webUrl}/console/members${c.page ? `?${c.page}` : ''}`, web, c.expect));
    const w = summarize(webMs);
    const a = summarize(apiMs);
    rows.push({
      id: c.id,
      what: `GET /console/members at ${o.members.toLocaleString('en-US')} members (inserted by SQL in ${fmt(insertMs / 1000, 1)} s): ${c.what}; p50 / max of ${w.count}`,
      figure: `${fmt(w.p50, 1)} / ${fmt(w.p99, 1)} ms`,
      baseline: `the admin API's answer to the same listing (limit 50): ${fmt(a.p50, 1)} / ${fmt(a.p99, 1)} ms`,
      ratio: `${fmt(w.p50 / a.p50)}x`,
      goal: `< ${GOAL_MS} ms (p50)`,
      met: w.p50 < GOAL_MS,
    });
  }
  return rows;
}
