#!/usr/bin/env node
/**
 * `mfa`: the admin and member command line of the MFA platform (docs/cli.md). Admin commands
 * call the admin HTTP API (MFA_API_URL + MFA_API_KEY); member commands sign bus requests with
 * a service key (REDIS_URL or REDIS_CLUSTER_NODES + MFA_SERVICE_KEY_ID + MFA_SERVICE_KEY_SECRET;
 * BUS_PARTITIONS when the services' bus is partitioned).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as QRCode from 'qrcode';
import { asCliError, bar, CliError, configFile, Context, EXIT_API, readConfig, table, usage, writePrivate, type Profile } from './context';
import { importMembers } from './csv-import';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** `--conditions '<json>'`: a JSON array (its entries are the server's to validate, which names a bad one). */
const jsonArray = (name: string) => (v: string) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new InvalidArgumentError(`${name} must be JSON, e.g. '[{"actions":["billing:*"],"maxMfaAgeSeconds":300}]'`);
  }
  if (!Array.isArray(parsed)) throw new InvalidArgumentError(`${name} must be a JSON array ('[]' removes every condition)`);
  return parsed;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MEMBER_COLUMNS = ['id', 'email', 'displayName', 'enforcement.state', 'enforcement.graceDeadline', 'enforcement.exemptUntil'];
const DEVICE_COLUMNS = ['serialNumber', 'type', 'name', 'status', 'enabledAt', 'lastUsedAt'];

type Action = (ctx: Context, ...args: any[]) => Promise<void>;
/** Every action gets a Context built from the global and the command's options; the bus closes after. */
function run(fn: Action) {
  return async (...args: any[]) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = new Context(cmd.optsWithGlobals());
    try {
      await fn(ctx, ...args.slice(0, -1));
    } finally {
      await ctx.close();
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('mfa')
    .description('Admin and member command line of the MFA enforcement platform')
    .version(JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')).version)
    .option('--profile <name>', 'profile of the config file (MFA_CONFIG_FILE or ~/.config/mfa/config.json)')
    .addOption(new Option('--output <format>', 'json or table').choices(['json', 'table']))
    .option('--org-id <id>', 'the org admin commands act on (or MFA_ORG_ID, or orgId in the profile)')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)');
  program.addHelpText('after', '\nExit codes: 0 ok, 1 usage error, 2 the API or the bus refused (its code is printed).');

  program
    .command('configure')
    .description('store settings in a profile of the config file (file mode 0600)')
    .option('--api-url <url>')
    .option('--api-key <key>')
    .option('--redis-url <url>')
    .option('--redis-cluster-nodes <host:port,...>')
    .option('--service-key-id <id>')
    .option('--service-key-secret <secret>')
    .action(async (o, cmd: Command) => {
      const g = cmd.optsWithGlobals();
      const file = configFile();
      const cfg = readConfig(file);
      const name = g.profile ?? 'default';
      const p: Profile = { ...cfg.profiles[name] };
      const set: Array<[keyof Profile, unknown]> = [
        ['apiUrl', o.apiUrl],
        ['apiKey', o.apiKey],
        ['orgId', g.orgId],
        ['redisUrl', o.redisUrl],
        ['redisClusterNodes', o.redisClusterNodes],
        ['serviceKeyId', o.serviceKeyId],
        ['serviceKeySecret', o.serviceKeySecret],
        ['output', g.output],
      ];
      // one Redis or a cluster: setting one forgets the other
      if (o.redisUrl !== undefined) delete p.redisClusterNodes;
      if (o.redisClusterNodes !== undefined) delete p.redisUrl;
      for (const [k, v] of set) if (v !== undefined) (p as Record<string, unknown>)[k] = v;
      cfg.profiles[name] = p;
      writePrivate(file, `${JSON.stringify(cfg, null, 2)}\n`);
      process.stdout.write(`profile ${name} saved in ${file}\n`);
    });

  const orgs = program.command('orgs').description('organizations');
  orgs
    .command('create')
    .description('create an org (platform key); prints its admin key once')
    .requiredOption('--name <name>')
    .action(
      run(async (ctx, o) => ctx.print(await ctx.api('POST', '/v1/orgs', { name: o.name }), ['id', 'name', 'createdAt', 'adminKey.key'])),
    );
  orgs
    .command('get')
    .description('the org, its policy and member counts')
    .action(
      run(async (ctx) =>
        ctx.print(await ctx.api('GET', `/v1/orgs/${ctx.orgId}`), [
          'id',
          'name',
          'policy.version',
          'policy.requireMfa',
          'members.total',
          'members.byState',
        ]),
      ),
    );

  const apiKeys = program.command('api-keys').description('org API keys');
  apiKeys
    .command('create')
    .description('create an admin or auditor key; the key is shown once')
    .addOption(new Option('--role <role>').choices(['admin', 'auditor']).makeOptionMandatory())
    .requiredOption('--label <label>')
    .action(run(async (ctx, o) => ctx.print(await ctx.api('POST', `/v1/orgs/${ctx.orgId}/api-keys`, { role: o.role, label: o.label }))));
  apiKeys
    .command('revoke')
    .description('revoke an API key')
    .argument('<keyId>')
    .action(
      run(async (ctx, id) => {
        await ctx.api('DELETE', `/v1/orgs/${ctx.orgId}/api-keys/${encodeURIComponent(id)}`);
        ctx.print({ revoked: id });
      }),
    );

  const serviceKeys = program.command('service-keys').description('service keys of member services (bus signing keys)');
  serviceKeys
    .command('create')
    .description('create a service key; the secret is shown once')
    .requiredOption('--name <name>')
    .option('--scopes <a,b>', 'verify,enroll,recovery,sessions,authorize (default all)', list)
    .action(
      run(async (ctx, o) => ctx.print(await ctx.api('POST', `/v1/orgs/${ctx.orgId}/service-keys`, { name: o.name, scopes: o.scopes }))),
    );
  serviceKeys
    .command('list')
    .description('service keys, without secrets')
    .action(
      run(async (ctx) => {
        const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/service-keys`);
        if (ctx.output === 'json') ctx.print(r);
        else ctx.print(r.items, ['id', 'name', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt']);
      }),
    );
  serviceKeys
    .command('revoke')
    .description('revoke a service key (its entries are refused within 5 s)')
    .argument('<keyId>')
    .action(
      run(async (ctx, id) => {
        await ctx.api('DELETE', `/v1/orgs/${ctx.orgId}/service-keys/${encodeURIComponent(id)}`);
        ctx.print({ revoked: id });
      }),
    );

  const members = program.command('members').description('members of the org');
  members
    .command('add')
    .description('add one member')
    .requiredOption('--email <email>')
    .option('--display-name <name>')
    .option('--external-id <id>')
    .action(
      run(async (ctx, o) =>
        ctx.print(
          await ctx.api('POST', `/v1/orgs/${ctx.orgId}/members`, { email: o.email, displayName: o.displayName, externalId: o.externalId }),
          MEMBER_COLUMNS,
        ),
      ),
    );
  members
    .command('import')
    .description('add members from a CSV file with the header email,displayName,externalId')
    .argument('<file>')
    .action(
      run(async (ctx, file) => {
        const s = await importMembers(ctx, file);
        if (ctx.output === 'json') ctx.print(s);
        else {
          for (const e of s.errors) process.stderr.write(`line ${e.line}: ${e.error}\n`);
          ctx.print({ rows: s.rows, created: s.created, existing: s.existing, failed: s.failed });
        }
        if (s.failed > 0) process.exitCode = EXIT_API;
      }),
    );
  members
    .command('list')
    .description('members, oldest first')
    .option('--state <state>', 'not_required|pending|compliant|non_compliant|exempt')
    .option('--email <prefix>', 'only members whose email starts with this (any case), in email order')
    .option('--limit <n>', 'page size (1..1000)', int('--limit', 1, 1000))
    .option('--cursor <c>')
    .action(
      run(async (ctx, o) => {
        const q = new URLSearchParams(
          Object.entries({ state: o.state, email: o.email, limit: o.limit, cursor: o.cursor })
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)] as [string, string]),
        );
        const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/members?${q.toString()}`);
        if (ctx.output === 'json') return ctx.print(r);
        ctx.print(r.items, MEMBER_COLUMNS);
        if (r.nextCursor) process.stdout.write(`next: --cursor ${r.nextCursor}\n`);
      }),
    );
  members
    .command('get')
    .description('one member, with devices')
    .argument('<accountId>')
    .action(
      run(async (ctx, id) => {
        const m = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/members/${encodeURIComponent(id)}`);
        if (ctx.output === 'json') return ctx.print(m);
        ctx.print(m, MEMBER_COLUMNS);
        process.stdout.write(`\ndevices:\n${table(m.devices ?? [], DEVICE_COLUMNS)}`);
      }),
    );
  members
    .command('remove')
    .description('remove a member')
    .argument('<accountId>')
    .action(
      run(async (ctx, id) => {
        await ctx.api('DELETE', `/v1/orgs/${ctx.orgId}/members/${encodeURIComponent(id)}`);
        ctx.print({ removed: id });
      }),
    );

  const policy = program.command('policy').description("the org's MFA policy");
  const POLICY_COLUMNS = ['version', 'requireMfa', 'gracePeriodHours', 'allowedMethods', 'maxMfaAgeSeconds', 'conditions', 'updatedAt'];
  policy
    .command('get')
    .description('the current policy')
    .action(run(async (ctx) => ctx.print(await ctx.api('GET', `/v1/orgs/${ctx.orgId}/mfa-policy`), POLICY_COLUMNS)));
  /** `policy set` and `policy preview` take the same flags: unset ones keep the current policy's value. */
  const policyFlags = (c: Command) =>
    c
      .option('--require-mfa')
      .option('--no-require-mfa')
      .option('--grace-period-hours <n>', '0..8760', int('--grace-period-hours', 0, 8760))
      .option('--allowed-methods <a,b>', 'totp,sms,webauthn', list)
      .option('--max-mfa-age-seconds <n>', '60..129600', int('--max-mfa-age-seconds', 60, 129600))
      .option('--secure-methods-only', 'SMS neither counts nor may be enrolled')
      .option('--no-secure-methods-only')
      .option(
        '--conditions <json>',
        'per-action conditions, a JSON array like \'[{"actions":["billing:*","repo:delete"],"maxMfaAgeSeconds":300}]\' (docs/enforcement.md)',
        jsonArray('--conditions'),
      );
  /**
   * A group's current policy (from the group list: an org has at most 1,000 groups); a group
   * without one starts from the org's current policy, so the flags given are what differs.
   */
  const groupPolicy = async (ctx: Context, groupId: string): Promise<Record<string, any>> => {
    const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/groups?limit=1000`);
    const g = (r.items as Array<{ id: string; policy: Record<string, any> | null }>).find((x) => x.id === groupId);
    // an unknown group: the API's own answer (not_found) comes with the request that follows
    return g?.policy ?? ctx.api('GET', `/v1/orgs/${ctx.orgId}/mfa-policy`);
  };
  const policyBody = async (ctx: Context, o: Record<string, any>, groupId?: string): Promise<Record<string, unknown>> => {
    const cur = groupId ? await groupPolicy(ctx, groupId) : await ctx.api('GET', `/v1/orgs/${ctx.orgId}/mfa-policy`);
    const body: Record<string, unknown> = {
      requireMfa: o.requireMfa ?? cur.requireMfa,
      gracePeriodHours: o.gracePeriodHours ?? cur.gracePeriodHours,
      allowedMethods: o.allowedMethods ?? cur.allowedMethods,
      // a PUT replaces the policy: a flag left out must not turn secureMethodsOnly off
      secureMethodsOnly: o.secureMethodsOnly ?? cur.secureMethodsOnly ?? false,
    };
    const maxAge = o.maxMfaAgeSeconds ?? cur.maxMfaAgeSeconds;
    if (maxAge !== null && maxAge !== undefined) body.maxMfaAgeSeconds = maxAge;
    const conditions = o.conditions ?? cur.conditions;
    if (conditions !== undefined) body.conditions = conditions;
    return body;
  };
  policyFlags(policy.command('set').description('change the policy (unset flags keep their value); starts a rollout')).action(
    run(async (ctx, o) => {
      const r = await ctx.api('PUT', `/v1/orgs/${ctx.orgId}/mfa-policy`, await policyBody(ctx, o));
      if (ctx.output === 'json') return ctx.print(r);
      ctx.print(r.policy, POLICY_COLUMNS);
      process.stdout.write(`rollout ${r.rollout.id} ${r.rollout.status}; follow it with: mfa rollouts watch ${r.rollout.id}\n`);
    }),
  );
  policyFlags(
    policy
      .command('preview')
      .description(
        'what `policy set` (or with --group-id `groups policy set`) with the same flags would do: members by state now and after, who is blocked on which day; changes nothing',
      )
      .option('--group-id <id>', "preview this group's policy: its members only, the flags in place of the group's policy"),
  ).action(
    run(async (ctx, o) => {
      const body = await policyBody(ctx, o, o.groupId);
      if (o.groupId) body.groupId = o.groupId;
      const r = await ctx.api('POST', `/v1/orgs/${ctx.orgId}/mfa-policy/preview`, body);
      if (ctx.output === 'json') return ctx.print(r);
      const m = r.members;
      process.stdout.write(`members ${m.total}, as if set at ${r.at}\n\n`);
      ctx.print(
        Object.keys(m.byStateNow).map((state) => ({ state, now: m.byStateNow[state], after: m.byStateAfter[state] })),
        ['state', 'now', 'after'],
      );
      process.stdout.write('\nblocked per day (UTC) if nothing changes\n');
      ctx.print(r.blockedAt, ['date', 'count']);
      if (r.blockedLater > 0) process.stdout.write(`and ${r.blockedLater} later\n`);
      process.stdout.write(`\nblocked soonest (${r.sample.length})\n`);
      ctx.print(r.sample, ['id', 'email', 'stateNow', 'enforcement.state', 'blockedAt']);
    }),
  );

  const groups = program.command('groups').description('groups of members and their policies');
  const GROUP_COLUMNS = ['id', 'name', 'memberCount', 'policy.version', 'policy.requireMfa', 'policy.gracePeriodHours', 'createdAt'];
  groups
    .command('create')
    .description('create a group (empty, without a policy)')
    .requiredOption('--name <name>')
    .action(run(async (ctx, o) => ctx.print(await ctx.api('POST', `/v1/orgs/${ctx.orgId}/groups`, { name: o.name }), GROUP_COLUMNS)));
  groups
    .command('list')
    .description("the org's groups, with member counts and policies")
    .option('--limit <n>', 'page size (1..1000)', int('--limit', 1, 1000))
    .option('--cursor <c>')
    .action(
      run(async (ctx, o) => {
        const q = new URLSearchParams(
          Object.entries({ limit: o.limit, cursor: o.cursor })
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)] as [string, string]),
        );
        const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/groups?${q.toString()}`);
        if (ctx.output === 'json') return ctx.print(r);
        ctx.print(r.items, GROUP_COLUMNS);
        if (r.nextCursor) process.stdout.write(`next: --cursor ${r.nextCursor}\n`);
      }),
    );
  groups
    .command('members')
    .description('add and remove members of a group (at most 10,000 ids in all); their effective policy changes at once')
    .requiredOption('--group-id <id>')
    .option('--add <id,id>', 'account ids to add', list)
    .option('--remove <id,id>', 'account ids to remove', list)
    .action(
      run(async (ctx, o) => {
        if (!o.add && !o.remove) throw usage('groups members: give --add and/or --remove');
        const body = { ...(o.add ? { add: o.add } : {}), ...(o.remove ? { remove: o.remove } : {}) };
        ctx.print(await ctx.api('PUT', `/v1/orgs/${ctx.orgId}/groups/${encodeURIComponent(o.groupId)}/members`, body), GROUP_COLUMNS);
      }),
    );
  groups
    .command('delete')
    .description('delete a group (its policy stops applying at once)')
    .requiredOption('--group-id <id>')
    .action(
      run(async (ctx, o) => {
        await ctx.api('DELETE', `/v1/orgs/${ctx.orgId}/groups/${encodeURIComponent(o.groupId)}`);
        ctx.print({ deleted: o.groupId });
      }),
    );
  const groupPolicyCmd = groups.command('policy').description("a group's MFA policy");
  policyFlags(
    groupPolicyCmd
      .command('set')
      .description("change a group's policy (the flags of `policy set`; unset flags keep the group's value); starts a rollout")
      .requiredOption('--group-id <id>'),
  ).action(
    run(async (ctx, o) => {
      const url = `/v1/orgs/${ctx.orgId}/groups/${encodeURIComponent(o.groupId)}/mfa-policy`;
      const r = await ctx.api('PUT', url, await policyBody(ctx, o, o.groupId));
      if (ctx.output === 'json') return ctx.print(r);
      ctx.print(r.policy, ['groupId', ...POLICY_COLUMNS]);
      process.stdout.write(`rollout ${r.rollout.id} ${r.rollout.status}; follow it with: mfa rollouts watch ${r.rollout.id}\n`);
    }),
  );

  const exemptions = program.command('exemptions').description('exemptions of members from the policy');
  exemptions
    .command('set')
    .description('exempt a member until a time')
    .requiredOption('--account-id <id>')
    .requiredOption('--until <iso>')
    .requiredOption('--reason <text>')
    .action(
      run(async (ctx, o) =>
        ctx.print(
          await ctx.api('PUT', `/v1/orgs/${ctx.orgId}/members/${encodeURIComponent(o.accountId)}/exemption`, {
            until: o.until,
            reason: o.reason,
          }),
          MEMBER_COLUMNS,
        ),
      ),
    );
  exemptions
    .command('remove')
    .description("end a member's exemption")
    .requiredOption('--account-id <id>')
    .action(
      run(async (ctx, o) =>
        ctx.print(await ctx.api('DELETE', `/v1/orgs/${ctx.orgId}/members/${encodeURIComponent(o.accountId)}/exemption`), MEMBER_COLUMNS),
      ),
    );

  program
    .command('report')
    .description('the compliance report')
    .addOption(new Option('--format <f>', 'table, csv (one row per member) or json').choices(['table', 'csv', 'json']))
    .action(
      run(async (ctx, o) => {
        const format = o.format ?? (ctx.opts.output === 'json' ? 'json' : 'table');
        if (format === 'csv')
          return void process.stdout.write(await ctx.api('GET', `/v1/orgs/${ctx.orgId}/compliance-report?format=csv`, undefined, true));
        const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/compliance-report?format=json`);
        if (format === 'json') return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        process.stdout.write(
          table([
            {
              generatedAt: r.generatedAt,
              total: r.total,
              compliantPercent: r.compliantPercent,
              totp: r.devicesByType?.totp,
              sms: r.devicesByType?.sms,
            },
          ]),
        );
        process.stdout.write(`\n${table(Object.entries(r.byState).map(([state, count]) => ({ state, count })))}`);
      }),
    );

  program
    .command('history')
    .description('compliance over the last days, with a chart')
    .option('--days <n>', '1..366 (default 30)', int('--days', 1, 366))
    .action(
      run(async (ctx, o) => {
        const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/compliance-report/history${o.days ? `?days=${o.days}` : ''}`);
        if (ctx.output === 'json') return ctx.print(r);
        if (r.items.length === 0) return void process.stdout.write('(no history yet: the compliance job records one point a day)\n');
        for (const p of r.items) {
          const n = Math.round((p.compliantPercent / 100) * 40);
          process.stdout.write(
            `${String(p.date).slice(0, 10)}  ${'█'.repeat(n)}${'░'.repeat(40 - n)} ${p.compliantPercent.toFixed(2).padStart(6)}%  of ${p.total}\n`,
          );
        }
      }),
    );

  program
    .command('audit')
    .description('audit events, newest first')
    .option('--limit <n>', '1..1000', int('--limit', 1, 1000))
    .option('--action <action>')
    .option('--follow', 'keep polling and print new events as they come')
    .option('--interval <seconds>', 'polling interval with --follow (default 2)', int('--interval', 1, 3600))
    .action(
      run(async (ctx, o) => {
        const q = () =>
          new URLSearchParams(
            Object.entries({ limit: o.limit, action: o.action })
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, String(v)] as [string, string]),
          );
        const show = (items: any[]) => {
          if (ctx.output === 'json') for (const e of items) process.stdout.write(`${JSON.stringify(e)}\n`);
          else if (items.length) process.stdout.write(table(items, ['at', 'action', 'actor.type', 'actor.id', 'target.type', 'target.id']));
        };
        const first = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/audit-events?${q().toString()}`);
        if (!o.follow) return ctx.output === 'json' ? ctx.print(first) : show(first.items);
        const seen = new Set<string>(first.items.map((e: any) => e.id));
        show([...first.items].reverse());
        for (;;) {
          await sleep((o.interval ?? 2) * 1000);
          const page = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/audit-events?${q().toString()}`);
          const fresh = page.items.filter((e: any) => !seen.has(e.id)).reverse();
          fresh.forEach((e: any) => seen.add(e.id));
          show(fresh);
        }
      }),
    );

  const rollouts = program.command('rollouts').description('policy rollouts');
  const ROLLOUT_COLUMNS = ['id', 'policyVersion', 'status', 'applied', 'total', 'createdAt', 'completedAt'];
  rollouts
    .command('get')
    .argument('<rolloutId>')
    .description('one rollout')
    .action(
      run(async (ctx, id) => ctx.print(await ctx.api('GET', `/v1/orgs/${ctx.orgId}/rollouts/${encodeURIComponent(id)}`), ROLLOUT_COLUMNS)),
    );
  rollouts
    .command('watch')
    .argument('<rolloutId>')
    .description('follow a rollout to its end (a progress bar on a terminal); exit 2 if it failed')
    .option('--interval <ms>', 'polling interval (default 500)', int('--interval', 50, 60000))
    .action(
      run(async (ctx, id, o) => {
        for (;;) {
          const r = await ctx.api('GET', `/v1/orgs/${ctx.orgId}/rollouts/${encodeURIComponent(id)}`);
          // A running rollout reports total 0 until its walk has counted the members (beside its first chunk).
          const counting = r.total === 0 && r.status !== 'completed' && r.status !== 'failed';
          ctx.progress(
            counting ? `rollout ${r.status} counting members` : `rollout ${r.status} ${bar(r.applied, r.total)} ${r.applied}/${r.total}`,
          );
          if (r.status === 'completed' || r.status === 'failed') {
            ctx.progressDone();
            ctx.print(r, ROLLOUT_COLUMNS);
            if (r.status === 'failed') throw new CliError(EXIT_API, 'rollout_failed', `rollout ${id} failed`);
            return;
          }
          await sleep(o.interval ?? 500);
        }
      }),
    );

  const devices = program.command('devices').description("a member's MFA devices (bus, service key) and admin reset (API)");
  devices
    .command('create')
    .description('start enrolling a device; a TOTP device prints its QR code')
    .requiredOption('--account-id <id>')
    .addOption(new Option('--type <type>').choices(['totp', 'sms', 'webauthn']).makeOptionMandatory())
    .requiredOption('--name <name>')
    .option('--phone-number <e164>', 'for --type sms')
    .option('--session-token <token>', 'a fresh session (step-up) when the account has an active device')
    .action(
      run(async (ctx, o) => {
        const r: any = await ctx
          .bus()
          .devices.create({ accountId: o.accountId, type: o.type, name: o.name, phoneNumber: o.phoneNumber, sessionToken: o.sessionToken });
        if (ctx.output === 'json') return ctx.print(r);
        if (r.otpauthUri) process.stdout.write(await QRCode.toString(r.otpauthUri, { type: 'terminal', small: true }));
        ctx.print({ serialNumber: r.serialNumber, status: r.status, ...(r.secretBase32 ? { secretBase32: r.secretBase32 } : {}) });
        process.stdout.write(
          `next: mfa devices enable --account-id ${o.accountId} --serial-number ${r.serialNumber} --code1 <code> --code2 <next code>\n`,
        );
      }),
    );
  devices
    .command('enable')
    .description('activate a device with two consecutive codes (SMS: --code1 only)')
    .requiredOption('--account-id <id>')
    .requiredOption('--serial-number <s>')
    .requiredOption('--code1 <code>')
    .option('--code2 <code>')
    .action(
      run(async (ctx, o) =>
        ctx.print(
          await ctx.bus().devices.enable({ accountId: o.accountId, serialNumber: o.serialNumber, code1: o.code1, code2: o.code2 }),
          DEVICE_COLUMNS,
        ),
      ),
    );
  devices
    .command('resync')
    .description('re-align a TOTP device whose clock drifted (two consecutive codes, within ±10 steps)')
    .requiredOption('--account-id <id>')
    .requiredOption('--serial-number <s>')
    .requiredOption('--code1 <code>')
    .requiredOption('--code2 <code>')
    .action(
      run(async (ctx, o) =>
        ctx.print(
          await ctx.bus().devices.resync({ accountId: o.accountId, serialNumber: o.serialNumber, code1: o.code1, code2: o.code2 }),
          DEVICE_COLUMNS,
        ),
      ),
    );
  devices
    .command('diagnose')
    .description(
      'why a code is rejected (clock skew, replay, wrong serial, pending, lockout, policy); a wrong code counts toward the lockout',
    )
    .requiredOption('--account-id <id>')
    .option('--serial-number <s>')
    .requiredOption('--token-code <code>')
    .option('--action <action>', 'the action the code was for (echoed; a policy condition on it is a policy_denies finding)')
    .action(
      run(async (ctx, o) => {
        const r = await ctx
          .bus()
          .devices.diagnose({ accountId: o.accountId, serialNumber: o.serialNumber, code: o.tokenCode, action: o.action });
        if (ctx.output === 'json') return ctx.print(r);
        // one line per finding, then the command to run when there is one
        for (const f of r.findings) {
          const extra = [f.steps !== undefined ? `steps=${f.steps}` : '', f.until ? `until=${f.until}` : '', f.rule ? `rule=${f.rule}` : '']
            .filter(Boolean)
            .join(' ');
          process.stdout.write(
            `${f.code.padEnd(16)} ${(f.serialNumber ?? '-').padEnd(14)} ${f.message}${extra ? ` [${extra}]` : ''}${f.command ? ` -> ${f.command}` : ''}\n`,
          );
        }
      }),
    );
  devices
    .command('list')
    .description("a member's devices")
    .requiredOption('--account-id <id>')
    .action(
      run(async (ctx, o) => {
        const r = await ctx.bus().devices.list({ accountId: o.accountId });
        if (ctx.output === 'json') ctx.print(r);
        else ctx.print(r.items, DEVICE_COLUMNS);
      }),
    );
  devices
    .command('reset')
    .description('admin reset of a lost device (API)')
    .requiredOption('--account-id <id>')
    .requiredOption('--serial-number <s>')
    .action(
      run(async (ctx, o) => {
        await ctx.api(
          'DELETE',
          `/v1/orgs/${ctx.orgId}/members/${encodeURIComponent(o.accountId)}/mfa-devices/${encodeURIComponent(o.serialNumber)}`,
        );
        ctx.print({ reset: o.serialNumber });
      }),
    );

  const sts = program.command('sts').description('session tokens, like the AWS CLI');
  sts
    .command('get-session-token')
    .description('a session token for a code; cached (0600, in the config dir) until it expires')
    .requiredOption('--account-id <id>')
    .requiredOption('--serial-number <s>')
    .requiredOption('--token-code <code>')
    .option('--duration-seconds <n>', '900..129600 (default 43200)', int('--duration-seconds', 900, 129600))
    .action(
      run(async (ctx, o) => {
        // keyed by the code too: a cached token answers only a repeat of the code that earned it, never another (wrong) code
        const file = join(
          dirname(configFile()),
          'cache',
          `${createHash('sha256')
            .update(JSON.stringify([ctx.profile.serviceKeyId, o.accountId, o.serialNumber, o.durationSeconds ?? null, o.tokenCode]))
            .digest('hex')
            .slice(0, 40)}.json`,
        );
        if (existsSync(file)) {
          try {
            const cached = JSON.parse(readFileSync(file, 'utf8'));
            if (Date.parse(cached.expiresAt) - Date.now() > 60_000) return ctx.print(cached, ['expiresAt', 'mfaAuthenticatedAt', 'token']);
          } catch {
            /* unreadable cache: ask again */
          }
        }
        const r = await ctx
          .bus()
          .sessions.issue({ accountId: o.accountId, serialNumber: o.serialNumber, code: o.tokenCode, durationSeconds: o.durationSeconds });
        writePrivate(file, JSON.stringify(r));
        ctx.print(r, ['expiresAt', 'mfaAuthenticatedAt', 'token']);
      }),
    );

  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const e = asCliError(err);
    process.stderr.write(`mfa: ${e.code}: ${e.message.split('\n')[0]}\n`);
    process.exitCode = e.exitCode;
  }
}

if (require.main === module) void main();
