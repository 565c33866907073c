import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { parse } from 'yaml';
import { Apps, type QueueName, QueueOwner } from '@mfa/contracts';
import { startTestServices, type TestServices } from '@test/support';

/**
 * The operators' surface (docs/operations.md): /health/live and /health/ready, and every metric
 * the Grafana dashboard and the Prometheus alert rules in deploy/ query exists on some service's
 * /metrics; the enforcement gauges stay bounded with 10,000 orgs.
 */
const root = join(__dirname, '../../..');
const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/mfa-platform.json'), 'utf8'));
const rules = parse(readFileSync(join(root, 'deploy/prometheus/alerts.yml'), 'utf8'));
const operations = readFileSync(join(root, 'docs/operations.md'), 'utf8');

/** Our metric names in a PromQL expression (Prometheus' own `up` aside), histogram suffixes removed. */
function metricNames(expr: string): string[] {
  // a name exposed as it is (bullmq_job_count, a gauge) keeps its suffix
  return [...expr.matchAll(/\b(?:bus|bullmq|mfa|service|http)_[a-z_]+\b/g)].map(([m]) =>
    exposed.has(m) ? m : m.replace(/_(bucket|sum|count)$/, ''),
  );
}

/** GitHub's anchor of a markdown heading. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');

let s: TestServices;
let exposed: Set<string>;
let accountMetrics: string;
let texts: string[];

beforeAll(async () => {
  s = await startTestServices();
  await s.bus.send('mfa.internal.ping' as never, {} as never); // bus traffic, so every bus series has a sample
  // 10,000 orgs with a member each, before the first scrape (the enforcement gauges are cached 30 s)
  const db = s.account.app.get(DataSource);
  await db.query(
    `INSERT INTO accounts.accounts (org_id, email, enforcement_state)
     SELECT gen_random_uuid(), 'cardinality-' || g || '@example.test', CASE WHEN g % 2 = 0 THEN 'non_compliant' ELSE 'pending' END FROM generate_series(1, 10000) g`,
  );
  texts = await Promise.all(
    [s.org, s.account, s.mfa!].map(async (svc) => (await request(`http://127.0.0.1:${svc.port}`).get('/metrics')).text),
  );
  accountMetrics = texts[1];
  exposed = new Set(texts.flatMap((t) => [...t.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name)));
});
afterAll(async () => {
  await s?.close();
});

it('answers /health/live and /health/ready apart; /health stays as it was', async () => {
  const mfa = `http://127.0.0.1:${s.mfa!.port}`;
  expect((await request(mfa).get('/health/live')).body).toEqual({ status: 'ok' });
  expect((await request(mfa).get('/health/ready')).body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up', bus: 'up' } });
  expect((await request(s.orgUrl).get('/health/ready')).body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  expect((await request(s.orgUrl).get('/health')).body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
});

it('every metric the dashboard queries is exposed by a service', () => {
  const exprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
  expect(exprs.length).toBeGreaterThan(10);
  const names = new Set(exprs.flatMap(metricNames));
  for (const name of [
    'bus_request_duration_seconds',
    'bus_requests_total',
    'bus_consumer_pending',
    'bus_consumer_lag',
    'bus_dead_letters_total',
    'bus_rejected_total',
    'mfa_lockouts_started_total',
    'mfa_rollout_progress_ratio',
    'bullmq_job_count',
    'bullmq_jobs_total',
  ]) {
    expect(names).toContain(name);
  }
  expect([...names].filter((n) => !exposed.has(n))).toEqual([]);
});

it('every alert queries exposed metrics and links a section of docs/operations.md that exists', () => {
  const alerts: Array<{ alert: string; expr: string; annotations: { runbook_url: string; summary: string } }> = rules.groups.flatMap(
    (g: { rules: unknown[] }) => g.rules,
  );
  expect(alerts.map((a) => a.alert)).toEqual(
    expect.arrayContaining([
      'MfaVerifyP99High',
      'MfaBusPendingGrowing',
      'MfaBusDeadLetters',
      'MfaLockoutSpike',
      'MfaRolloutStuck',
      'MfaServiceNotReady',
      'MfaJobQueueBacklog',
      'MfaJobsFailing',
    ]),
  );
  const anchors = new Set([...operations.matchAll(/^#+ (.+)$/gm)].map(([, h]) => anchor(h)));
  for (const a of alerts) {
    expect([a.alert, metricNames(a.expr).filter((n) => !exposed.has(n))]).toEqual([a.alert, []]);
    const [file, section] = a.annotations.runbook_url.split('#');
    expect([a.alert, file, anchors.has(section)]).toEqual([a.alert, 'docs/operations.md', true]);
  }
});

it('reports bullmq_job_count for exactly the queues each service consumes (QueueOwner)', () => {
  const queues = (text: string) => new Set([...text.matchAll(/^bullmq_job_count\{[^}]*queue="([^"]+)"/gm)].map(([, q]) => q));
  const owned = (app: string) => new Set(Object.keys(QueueOwner).filter((q) => QueueOwner[q as QueueName] === app));
  expect(queues(texts[0])).toEqual(owned(Apps.Org));
  expect(queues(texts[1])).toEqual(owned(Apps.Account));
  expect(queues(texts[2])).toEqual(owned(Apps.Mfa));
  expect(texts[1]).toMatch(/^bullmq_job_count\{[^}]*queue="policy-rollouts",state="waiting"[^}]*\} \d+$/m);
});

it('keeps the members-by-state gauges bounded with 10,000 orgs', () => {
  const series = (name: string) => accountMetrics.split('\n').filter((l) => l.startsWith(`${name}{`));
  expect(series('mfa_members_non_compliant_top_orgs')).toHaveLength(10);
  expect(series('mfa_members').length).toBeLessThanOrEqual(5); // one per state at most
  const nonCompliant = series('mfa_members').find((l) => l.includes('state="non_compliant"'));
  expect(Number(nonCompliant?.split(' ').pop())).toBeGreaterThanOrEqual(5000);
});
