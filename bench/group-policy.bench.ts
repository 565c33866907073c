/**
 * P10: a group policy's effect. In an org of N members (inserted by SQL, as P1's) with a group of
 * G of them (added over HTTP, 10,000 ids a call), `PUT /v1/orgs/:orgId/groups/:groupId/mfa-policy`
 * requiring MFA (grace 0, `["totp"]`); measured: the PUT's own answer time, and the time from
 * its answer until `accounts.authorize` (over the bus) answers `enrollment_required` with the
 * group in `enforcement.groups` for sampled group members (all polled at once, as P1). Sampled
 * non-members are asked once right after and once after the group's rollout: they must still be
 * allowed, `not_required`, in no group.
 *
 * Baseline (same run, same org, right after the group's rollout completes): P1's org PUT
 * (requireMfa, grace 0, `["totp"]`): its answer time, and the time until every sample (members
 * and non-members of the group) answers under the org's new version.
 */
import { Client } from 'pg';
import type { Bus } from '@mfa/bus';
import { Patterns, type AuthorizeReply } from '@mfa/contracts';
import type { AdminApi } from './lib/fixture';
import { insertMembersSql, waitRollout } from './policy-push.bench';
import { fmt, summarize, timed, type BenchRow } from './lib/stats';
import { untilAll } from './lib/until-all';

export interface GroupPolicyOptions {
  databaseUrl: string;
  members: number;
  groupMembers: number;
  /** samples of each side (group members, non-members) */
  samples: number;
  log: (line: string) => void;
  timeoutMs?: number;
}

const POLICY = { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] };

/** `n` elements spread over `xs`, its last included. */
const spread = <T>(xs: T[], n: number): T[] => Array.from({ length: n }, (_, i) => xs[Math.floor(((i + 1) * xs.length) / n) - 1]);

/**
 * The group: every k-th member in id order (k = N / G), so it is spread over the org's keyset
 * walk; the non-members' samples are taken from the members halfway between two of them.
 */
async function pickIds(databaseUrl: string, orgId: string, k: number): Promise<{ group: string[]; others: string[] }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const r = await db.query<{ id: string; inside: boolean }>(
      `SELECT id, rn % $2 = 0 AS inside FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM accounts.accounts WHERE org_id = $1) s
        WHERE rn % $2 IN (0, $3) ORDER BY id`,
      [orgId, k, Math.floor(k / 2)],
    );
    return { group: r.rows.filter((x) => x.inside).map((x) => x.id), others: r.rows.filter((x) => !x.inside).map((x) => x.id) };
  } finally {
    await db.end();
  }
}

export async function groupPolicyEffect(bus: Bus, admin: AdminApi, orgId: string, opts: GroupPolicyOptions): Promise<{ rows: BenchRow[] }> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const k = Math.round(opts.members / opts.groupMembers);
  const setupStart = Date.now();
  const insertMs = await insertMembersSql(opts.databaseUrl, orgId, opts.members, 'p10-');
  const { group: inGroup, others } = await pickIds(opts.databaseUrl, orgId, k);
  opts.log(`P10 ${opts.members} members inserted in ${fmt(insertMs / 1000, 1)} s; group of ${inGroup.length} (every ${k}th)`);

  const group = await admin.call<{ id: string }>('POST', `/v1/orgs/${orgId}/groups`, { name: 'p10-group' });
  const add = await timed(async () => {
    for (let i = 0; i < inGroup.length; i += 10_000) {
      await admin.call('PUT', `/v1/orgs/${orgId}/groups/${group.id}/members`, { add: inGroup.slice(i, i + 10_000) });
    }
  });
  const setupMs = Date.now() - setupStart;
  opts.log(`P10 ${inGroup.length} group members added over HTTP in ${fmt(add.ms / 1000, 1)} s (setup ${fmt(setupMs / 1000, 1)} s)`);

  const groupSamples = spread(inGroup, opts.samples);
  const otherSamples = spread(others, opts.samples);
  const all = [...groupSamples, ...otherSamples];
  const authorize = (accountId: string) =>
    bus.send(Patterns.AccountsAuthorize, { accountId }, { timeoutMs: 30_000 }) as Promise<AuthorizeReply>;
  const untouched = (a: AuthorizeReply) =>
    a.allowed && a.reason === 'ok' && a.enforcement?.state === 'not_required' && !a.enforcement?.groups?.length;

  // one polling round of every sample before any PUT (median of 4 after a warm-up), as P1's
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = await timed(() => Promise.all(all.map(authorize)));
    if (!t.value.every(untouched)) throw new Error('P10: a sample is not allowed before the PUT');
    rounds.push(t.ms);
  }
  const round = summarize(rounds.slice(1)).p50;

  // the group's PUT
  const groupPut = await timed(() =>
    admin.call<{ policy: { version: number }; rollout: { id: string } }>('PUT', `/v1/orgs/${orgId}/groups/${group.id}/mfa-policy`, POLICY),
  );
  const groupAt = process.hrtime.bigint();
  const inGroupNow = (a: AuthorizeReply) => !a.allowed && a.reason === 'enrollment_required' && !!a.enforcement?.groups?.includes(group.id);
  const g = await untilAll(groupSamples, authorize, groupAt, inGroupNow, timeoutMs, 'P10: group member');
  const othersRightAfter = await Promise.all(otherSamples.map(authorize));
  const groupRollout = await waitRollout(admin, orgId, groupPut.value.rollout.id);
  const groupRolloutMs = Number(process.hrtime.bigint() - groupAt) / 1e6;
  const othersAfterRollout = await Promise.all(otherSamples.map(authorize));
  const changed = [...othersRightAfter, ...othersAfterRollout].filter((a) => !untouched(a)).length;
  if (changed) throw new Error(`P10: ${changed} answers of non-members changed after the group PUT`);
  opts.log(`P10 group rollout (${groupRollout.total} members) completed ${fmt(groupRolloutMs / 1000)} s after the PUT answer`);

  // baseline: P1's org PUT on the same org
  const orgPut = await timed(() =>
    admin.call<{ policy: { version: number }; rollout: { id: string } }>('PUT', `/v1/orgs/${orgId}/mfa-policy`, POLICY),
  );
  const orgAt = process.hrtime.bigint();
  const version = orgPut.value.policy.version;
  const underOrg = (a: AuthorizeReply) => !a.allowed && a.reason === 'enrollment_required' && a.enforcement?.policyVersion === version;
  const o = await untilAll(all, authorize, orgAt, underOrg, timeoutMs, 'P10: member');
  const orgRollout = await waitRollout(admin, orgId, orgPut.value.rollout.id);
  const orgRolloutMs = Number(process.hrtime.bigint() - orgAt) / 1e6;
  opts.log(`P10 baseline org rollout (${orgRollout.total} members) completed ${fmt(orgRolloutMs / 1000)} s after the PUT answer`);

  opts.log(
    `P10 group PUT answered in ${fmt(groupPut.ms, 0)} ms, samples flipped worst ${fmt(Math.max(...g.elapsed))} ms; org PUT ${fmt(orgPut.ms, 0)} ms, worst ${fmt(Math.max(...o.elapsed))} ms; round before ${fmt(round)} ms`,
  );
  const gs = summarize(g.elapsed);
  const os = summarize(o.elapsed);
  const gWorst = Math.max(...g.elapsed);
  const oWorst = Math.max(...o.elapsed);
  const size = `group of ${inGroup.length.toLocaleString('en')} in an org of ${opts.members.toLocaleString('en')}`;
  return {
    rows: [
      {
        id: 'P10',
        what: `group policy PUT's own answer time (${size}; members inserted by SQL in ${fmt(insertMs / 1000, 1)} s, group filled over HTTP in ${fmt(add.ms / 1000, 1)} s)`,
        figure: `${fmt(groupPut.ms, 0)} ms`,
        baseline: `org policy PUT (P1's) on the same org: ${fmt(orgPut.ms, 0)} ms`,
        ratio: `${fmt(groupPut.ms / orgPut.ms)}x`,
        goal: '-',
        met: null,
      },
      {
        id: 'P10',
        what:
          `group PUT answer -> accounts.authorize enrollment_required for ${opts.samples} sampled group members, worst / p50 (${g.polls} calls); ` +
          `${opts.samples} sampled non-members unchanged right after and after the rollout`,
        figure: `${fmt(gWorst)} / ${fmt(gs.p50)} ms`,
        baseline: `org PUT answer -> all ${all.length} samples under the new version: ${fmt(oWorst)} / ${fmt(os.p50)} ms (${o.polls} calls); one round of the ${all.length} calls before: ${fmt(round)} ms`,
        ratio: `${fmt(gWorst / oWorst)}x`,
        goal: '< 1 s',
        met: gWorst < 1000,
      },
      {
        id: 'P10b',
        what: `group PUT answer -> the group's rollout completed (${groupRollout.total.toLocaleString('en')} members)`,
        figure: `${fmt(groupRolloutMs / 1000)} s`,
        baseline: `org PUT answer -> the org's rollout completed (${orgRollout.total.toLocaleString('en')} members): ${fmt(orgRolloutMs / 1000)} s`,
        ratio: `${fmt(groupRolloutMs / orgRolloutMs)}x`,
        goal: '-',
        met: null,
      },
    ],
  };
}
