/**
 * METRICS_TOKEN (docs/security.md, docs/operations.md "Endpoints"): when set, /metrics of every
 * service answers only its bearer token; without it /metrics stays open (operators.e2e-spec).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import request from 'supertest';
import { BaseEnv, ConfigError, loadConfig } from '@mfa/config';
import { startTestServices, type TestServices } from '@test/support';

const token = randomBytes(32).toString('base64url');
let s: TestServices;
let urls: string[];

beforeAll(async () => {
  s = await startTestServices({ env: { METRICS_TOKEN: token } });
  urls = [s.org, s.account, s.mfa!].map((svc) => `http://127.0.0.1:${svc.port}`);
});
afterAll(() => s?.close());

it('serves /metrics of every service to its bearer token only', async () => {
  for (const url of urls) {
    const ok = await request(url)
      .get('/metrics')
      .set({ Authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('bus_client_requests_total');
    const none = await request(url).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(none.body).toEqual({
      statusCode: 401,
      code: 'unauthenticated',
      message: 'authorization: Bearer <METRICS_TOKEN> required for /metrics',
    });
    expect(none.text).not.toContain('bus_');
  }
});

it('refuses wrong tokens, other schemes, other spellings of the path, and a hostile header, without echoing anything', async () => {
  const url = urls[0];
  for (const authorization of [`Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, `Bearer ${'a'.repeat(8000)}`]) {
    const res = await request(url).get('/metrics').set({ Authorization: authorization });
    expect([authorization.slice(0, 20), res.status]).toEqual([authorization.slice(0, 20), 401]);
    expect(res.body.code).toBe('unauthenticated');
    expect(res.text).not.toContain(token);
  }
  for (const path of ['/METRICS', '/metrics/', '/metrics?x=1']) expect([path, (await request(url).get(path)).status]).toEqual([path, 401]);
  // the rest of the service does not change: health needs no token, the API its own key
  expect((await request(url).get('/health')).status).toBe(200);
  expect(
    (
      await request(url)
        .get('/v1/orgs')
        .set({ Authorization: `Bearer ${token}` })
    ).status,
  ).toBe(401);
});

it('refuses a short or spaced token at boot, naming the variable and not the value', () => {
  for (const bad of ['short', `${'a'.repeat(31)}`, `${'a'.repeat(20)} ${'b'.repeat(20)}`]) {
    let err: unknown;
    try {
      loadConfig(BaseEnv, { METRICS_TOKEN: bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join();
    expect(problems).toContain('METRICS_TOKEN');
    expect(problems).not.toContain(bad);
  }
  expect(loadConfig(BaseEnv, {}).METRICS_TOKEN).toBe('');
});

it('deploy/prometheus/prometheus.yml scrapes every service, and sends the token once its block is uncommented', () => {
  const text = readFileSync(join(__dirname, '../../../deploy/prometheus/prometheus.yml'), 'utf8');
  const [job] = parse(text).scrape_configs;
  expect(job.metrics_path).toBe('/metrics');
  expect(job.static_configs[0].targets).toEqual(['org-service:3000', 'account-service:3001', 'mfa-service:3002', 'web:3003']);
  expect(job.authorization).toBeUndefined(); // the default: /metrics open, nothing to send
  const [withToken] = parse(text.replace(/^( {4})# ?(authorization:| {2}type:| {2}credentials_file:)/gm, '$1$2')).scrape_configs;
  expect(withToken.authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/mfa-metrics-token' });
});
