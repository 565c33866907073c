import { randomBytes } from 'node:crypto';
import { DEV_REDIS_URL } from '@mfa/config';

/**
 * `npm run redis:acl`: the Redis ACL rules of the outer wall (docs/security.md, "Redis ACLs").
 *
 * - `--key-id K`: the user of one member service, holding service key K. It may XADD to the
 *   request streams (write-only: it cannot read them back, nor anyone's entries) and pop or
 *   delete its own reply lists `bus:reply:K:*`; nothing else: no other key, no queue, no
 *   lockout counter, no other member's replies, no admin command.
 * - no `--key-id`: the platform's own user (org, account and mfa services, BullMQ): every key,
 *   every command except those that wipe, reconfigure or stop the server.
 *
 * Options: `--user NAME` (default `svc-<K>` or `mfa-platform`), `--password P` (default: one
 * generated here and printed once), `--db N` (default: the database of REDIS_URL), and
 * `--partitions N` (BUS_PARTITIONS: the member user may write to each partition stream).
 */

/** The request streams, by service (docs/bus-protocol.md, "Streams and groups": `bus:<service>:requests`, partitioned `...:<n>`). */
export const REQUEST_STREAMS = ['bus:mfa:requests', 'bus:accounts:requests'] as const;

/** Commands no platform service needs that would wipe, reconfigure, spy on or stop the server. */
export const PLATFORM_DENIED_COMMANDS = [
  'flushall',
  'flushdb',
  'swapdb',
  'move',
  'config',
  'acl',
  'shutdown',
  'debug',
  'module',
  'monitor',
  'save',
  'bgsave',
  'bgrewriteaof',
  'replicaof',
  'slaveof',
  'sync',
  'psync',
  'failover',
  'migrate',
  'restore',
  'client|kill',
  'client|pause',
  'script|flush',
  'function|flush',
  'function|delete',
  'function|restore',
] as const;

export interface AclOptions {
  user: string;
  password: string;
  /** the database number of REDIS_URL: SELECT is allowed for that one only */
  db: number;
  /**
   * A Redis Cluster (REDIS_CLUSTER_NODES): one database, so no SELECT at all; CLUSTER SLOTS (how
   * ioredis finds the nodes) allowed, and for the platform the other read-only CLUSTER subcommands.
   */
  cluster?: boolean;
}

/** What a cluster client asks to find the slots; the platform also reads the cluster's state. */
const CLUSTER_READS = ['cluster|slots', 'cluster|shards', 'cluster|nodes', 'cluster|info', 'cluster|myid', 'cluster|keyslot'];

/** Only what is safe inside a key pattern and on one line: no glob characters, no spaces. */
const SAFE = /^[A-Za-z0-9._:-]{1,200}$/;

function check(name: string, value: string): void {
  if (!SAFE.test(value)) throw new Error(`${name} must match ${SAFE.source}`);
}

function commonRules(o: AclOptions): string[] {
  check('--user', o.user);
  // one redis-cli word: printable ASCII, no spaces, no quotes or backslashes
  if (!/^[\x21-\x7e]+$/.test(o.password) || /["'\\]/.test(o.password))
    throw new Error('--password must be printable ASCII without spaces, quotes or backslashes');
  if (!Number.isInteger(o.db) || o.db < 0 || o.db > 99) throw new Error('--db must be a database number');
  // reset: no password, no keys, no channels, no commands, off; then only what follows
  return ['reset', 'on', `>${o.password}`, 'resetchannels'];
}

/**
 * The ACL SETUSER arguments (after the user name) of a member service's user for service key
 * `keyId`. `%W~` patterns are write-only: XADD there works, XRANGE/XREAD could not even if the
 * command were allowed. HELLO, AUTH and CLIENT SETNAME are what ioredis sends on connecting
 * (its INFO ready check is not allowed: connect with `enableReadyCheck: false`).
 */
export function memberServiceRule(keyId: string, o: AclOptions, partitions = 1): string[] {
  check('--key-id', keyId);
  const streams =
    partitions > 1 ? REQUEST_STREAMS.flatMap((s) => Array.from({ length: partitions }, (_, i) => `${s}:${i}`)) : [...REQUEST_STREAMS];
  return [
    ...commonRules(o),
    ...streams.map((s) => `%W~${s}`),
    `~bus:reply:${keyId}:*`,
    '-@all',
    '+xadd',
    '+blpop',
    '+lpop',
    '+del',
    '+ping',
    o.cluster ? '+cluster|slots' : `+select|${o.db}`,
    '+hello',
    '+auth',
    '+client|setname',
    '+quit',
  ];
}

/**
 * The platform services' user: all keys and channels, all commands but PLATFORM_DENIED_COMMANDS,
 * SELECT only of its own database. Broad on purpose: BullMQ's Lua scripts, INFO and CLIENT
 * LIST/SETNAME, the bus's XREADGROUP/XAUTOCLAIM/CLIENT UNBLOCK all need to keep working.
 */
export function platformRule(o: AclOptions): string[] {
  const db = o.cluster ? ['-select', '-cluster', ...CLUSTER_READS.map((c) => `+${c}`)] : ['-select', `+select|${o.db}`];
  return [...commonRules(o), '~*', '&*', '+@all', ...db, ...PLATFORM_DENIED_COMMANDS.map((c) => `-${c}`)];
}

/** The database number of a redis:// URL (0 when it names none). */
export function dbOfUrl(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, '');
  return path ? Number(path) : 0;
}

export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

export interface CliArgs {
  keyId?: string;
  user?: string;
  password?: string;
  db?: number;
  partitions?: number;
  cluster?: boolean;
}

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--key-id':
        args.keyId = value();
        break;
      case '--user':
        args.user = value();
        break;
      case '--password':
        args.password = value();
        break;
      case '--db':
        args.db = Number(value());
        break;
      case '--partitions':
        args.partitions = Number(value());
        break;
      case '--cluster':
        if (inline !== undefined) throw new Error('--cluster takes no value');
        args.cluster = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (options: --key-id K, --user NAME, --password P, --db N, --partitions N, --cluster)`);
    }
  }
  if (args.partitions !== undefined && !(Number.isInteger(args.partitions) && args.partitions >= 1 && args.partitions <= 1024))
    throw new Error('--partitions must be 1..1024');
  if (args.cluster && args.db !== undefined && args.db !== 0) throw new Error('--db: a Redis Cluster has database 0 only');
  return args;
}

/** The text `npm run redis:acl` prints: comments, then one ACL SETUSER line. */
export function render(args: CliArgs, env: NodeJS.ProcessEnv = process.env): string {
  const cluster = args.cluster ?? Boolean(env.REDIS_CLUSTER_NODES);
  const db = cluster ? 0 : (args.db ?? dbOfUrl(env.REDIS_URL || DEV_REDIS_URL));
  const generated = args.password === undefined;
  const password = args.password ?? generatePassword();
  const member = args.keyId !== undefined;
  const user = args.user ?? (member ? `svc-${args.keyId}` : 'mfa-platform');
  const rule = member
    ? memberServiceRule(args.keyId!, { user, password, db, cluster }, args.partitions)
    : platformRule({ user, password, db, cluster });
  const lines = cluster
    ? [
        `# ${member ? `member service user for service key ${args.keyId}` : "the platform services' user"}, for a Redis Cluster.`,
        '# ACL users live on each node: run this line on every node, masters and replicas (and on nodes added later),',
        '# e.g. for p in <ports>; do redis-cli -p $p <the line>; done',
        member
          ? `# Its client: MfaClient({ clusterNodes, redisOptions: { username: '${user}', password, enableReadyCheck: false } }).`
          : `# The services' login: REDIS_CLUSTER_USERNAME=${user} REDIS_CLUSTER_PASSWORD=<password> (then ACL SETUSER default off on every node).`,
      ]
    : member
      ? [
          `# member service user for service key ${args.keyId}: XADD to the request streams (write-only),`,
          `# BLPOP/LPOP/DEL of its own reply lists bus:reply:${args.keyId}:*, nothing else.`,
          `# Its REDIS_URL: redis://${user}:<password>@<host>:<port>/${db} (ioredis: enableReadyCheck: false).`,
        ]
      : [
          `# the platform services' user (org, account, mfa services and BullMQ): all keys, all commands but`,
          `# ${PLATFORM_DENIED_COMMANDS.join(' ')}; SELECT of database ${db} only.`,
          `# Their REDIS_URL: redis://${user}:<password>@<host>:<port>/${db}`,
        ];
  if (generated) lines.push('# the password was generated now and is shown only here: keep it in your secret store');
  lines.push(['ACL', 'SETUSER', user, ...rule].join(' '));
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  try {
    process.stdout.write(render(parseArgs(process.argv.slice(2))));
  } catch (err) {
    console.error(`redis:acl: ${(err as Error).message}`);
    process.exit(2);
  }
}
