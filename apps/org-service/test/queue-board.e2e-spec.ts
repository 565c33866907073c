import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { JobQueues } from '@mfa/bus';
import { Jobs, Queues } from '@mfa/contracts';
import { createOrg, startTestServices, type TestServices } from '@test/support';

/** Bull Board in org-service (docs/operations.md, "Queue board"): platform key only, read-only. */
let s: TestServices;

beforeAll(async () => {
  s = await startTestServices({ mfa: false });
});
afterAll(async () => {
  await s?.close();
});

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const basic = (password: string) => ({ Authorization: `Basic ${Buffer.from(`operator:${password}`).toString('base64')}` });

it('refuses anyone without the platform key, org admin keys included, with the API error body and a login prompt', async () => {
  const org = await createOrg(s.orgUrl, s.platformKey);
  for (const headers of [{}, bearer(org.adminKey), bearer('mfap_test_wrong'), basic('wrong'), { Authorization: 'Basic !!' }]) {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/images/logo.svg']) {
      const res = await request(s.orgUrl).get(path).set(headers);
      expect([path, res.status, res.body.code]).toEqual([path, 401, 'unauthenticated']);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    }
  }
});

it('shows every platform queue, read-only, with the jobs in them, to the platform key (Bearer or a browser login)', async () => {
  const jobs = s.org.app.get(JobQueues);
  const rolloutId = randomUUID();
  const id = await jobs.add(
    Jobs.RolloutProgress,
    { rolloutId, orgId: randomUUID(), policyVersion: 2, status: 'running', total: 5, applied: 1, completedAt: null },
    { delay: 60_000 },
  );
  try {
    const page = await request(s.orgUrl).get('/admin/queues').set(basic(s.platformKey));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');

    const res = await request(s.orgUrl)
      .get('/admin/queues/api/queues')
      .query({ activeQueue: Queues.RolloutProgress, status: 'delayed', page: 1, jobsPerPage: 50 })
      .set(bearer(s.platformKey));
    expect(res.status).toBe(200);
    const queues: Array<{ name: string; readOnlyMode: boolean; allowRetries: boolean; jobs: Array<{ id: string; data: unknown }> }> =
      res.body.queues;
    expect(queues.map((q) => q.name).sort()).toEqual(Object.values(Queues).sort());
    expect(queues.every((q) => q.readOnlyMode && !q.allowRetries)).toBe(true);
    const progress = queues.find((q) => q.name === Queues.RolloutProgress)!;
    expect(progress.jobs.find((j) => j.id === id)?.data).toMatchObject({ rolloutId });
  } finally {
    await (await jobs.queue(Queues.RolloutProgress).getJob(id!))?.remove();
  }
});

it('lets nothing change through it: every write is refused, even with the platform key', async () => {
  for (const [method, path] of [
    ['put', '/admin/queues/api/queues/pause'],
    ['put', `/admin/queues/api/queues/${Queues.RolloutProgress}/retry/failed`],
    ['put', `/admin/queues/api/queues/${Queues.RolloutProgress}/clean/failed`],
    ['delete', `/admin/queues/api/queues/${Queues.RolloutProgress}/obliterate`],
    ['post', '/admin/queues/api/metrics/history/purge'],
  ] as const) {
    const res = await request(s.orgUrl)[method](path).set(bearer(s.platformKey));
    expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'forbidden']);
  }
});
