import 'reflect-metadata'; // decorators below record the declared types loadConfig converts by
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { internalKeyProblem } from '@mfa/crypto';
import { clusterAuthFromEnv, clusterNodesProblem, clusterUrl } from '@mfa-platform/client/redis-target';
import { IntRange, IsEmptyOrValid } from './env-validators';

export const DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/mfa_platform';
export const DEV_REDIS_URL = 'redis://127.0.0.1:6379/5';

/** A bearer token a scraper sends: long enough not to be guessed, and writable in a header. */
export function metricsTokenProblem(value: string): string | null {
  return /^[\x21-\x7e]{32,512}$/.test(value) ? null : 'must be 32 to 512 printable characters without spaces (or empty: /metrics open)';
}

/** An OTLP/HTTP endpoint: an http(s) URL, no query or fragment (the exporter appends `/v1/traces`). */
export function otlpEndpointProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL such as http://otel-collector:4318';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL such as http://otel-collector:4318';
  if (url.search || url.hash) return 'must have no query or fragment (spans go to <endpoint>/v1/traces)';
  return null;
}

/**
 * Declare every field with its type (`PORT: number = 3000`): the declared type is what
 * converts the string from the environment.
 *
 * Variables every service reads. Each has a default that works on a developer machine. */
export class BaseEnv {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL: string = DEV_DATABASE_URL;

  /**
   * One Redis. With REDIS_CLUSTER_NODES instead, loadConfig sets it to the cluster's connection
   * string (`redis-cluster://host:port,...`), which every connection of the platform takes.
   */
  @Matches(/^rediss?:\/\/[^\s/]+(\/\d{1,2})?$/, { message: 'must be a redis:// URL, optionally with a /db number' })
  REDIS_URL: string = DEV_REDIS_URL;

  /**
   * Instead of REDIS_URL: a Redis Cluster's nodes, `host:port,host:port,...` (any of them; the
   * rest are discovered). Every service, the bus and every queue then run on the cluster.
   */
  @IsEmptyOrValid(clusterNodesProblem)
  REDIS_CLUSTER_NODES: string = '';

  /**
   * How the services log in to each node of REDIS_CLUSTER_NODES (a cluster's nodes share their
   * ACL users: `npm run redis:acl -- --cluster` prints the platform's). Empty: no login (Redis'
   * `default` user without a password). With REDIS_URL, put them in the URL instead.
   */
  @IsString()
  @MaxLength(256)
  REDIS_CLUSTER_USERNAME: string = '';

  @IsString()
  @MaxLength(512)
  REDIS_CLUSTER_PASSWORD: string = '';

  /** `true`: the cluster's nodes speak TLS (verified against the system's CAs and NODE_EXTRA_CA_CERTS). */
  @IsIn(['true', 'false'])
  REDIS_CLUSTER_TLS: 'true' | 'false' = 'false';

  /**
   * Request streams per service: 1 reads `bus:<service>:requests`; N > 1 reads
   * `bus:<service>:requests:<0..N-1>` (spread over a cluster's nodes), every one on every instance.
   * Senders put an entry on the partition its account id hashes to. Same value for every service.
   */
  @IntRange(1, 64)
  BUS_PARTITIONS: number = 1;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Where development keys are generated and kept when none is given in the environment. */
  @IsString()
  KEYS_DIR: string = '.keys';

  @IntRange(100, 60_000)
  BUS_TIMEOUT_MS: number = 5000;

  /**
   * The platform services' shared secret (base64, >= 32 bytes): signs their bus entries and
   * jobs and derives member services' key secrets. Empty: a development key kept in KEYS_DIR.
   */
  @IsEmptyOrValid(internalKeyProblem)
  BUS_INTERNAL_KEY: string = '';

  /**
   * Where spans go (OTLP over HTTP: `<this>/v1/traces`), e.g. `http://otel-collector:4318`.
   * Empty: tracing is off, no SDK is started (docs/operations.md, "Traces").
   */
  @IsEmptyOrValid(otlpEndpointProblem)
  OTEL_EXPORTER_OTLP_ENDPOINT: string = '';

  /**
   * When set, GET /metrics answers only `Authorization: Bearer <this>` (401 otherwise): the
   * series name orgs and show traffic. Empty: /metrics is open, for a scraper on a private network.
   */
  @IsEmptyOrValid(metricsTokenProblem)
  METRICS_TOKEN: string = '';

  /**
   * Checks between variables, given what the environment itself set (not the defaults); settles
   * REDIS_URL from REDIS_CLUSTER_NODES. Called once by loadConfig after the per-variable rules.
   */
  environmentProblems(present: Readonly<Record<string, string>>, production: boolean): string[] {
    const login = ['REDIS_CLUSTER_USERNAME', 'REDIS_CLUSTER_PASSWORD', 'REDIS_CLUSTER_TLS'].filter((v) => present[v]);
    if (present.REDIS_CLUSTER_NODES) {
      if (present.REDIS_URL)
        return ['REDIS_URL and REDIS_CLUSTER_NODES: both set; give REDIS_URL for one Redis or REDIS_CLUSTER_NODES for a cluster, not both'];
      if (!clusterNodesProblem(this.REDIS_CLUSTER_NODES)) this.REDIS_URL = clusterUrl(this.REDIS_CLUSTER_NODES, clusterAuthFromEnv(this));
      return [];
    }
    if (login.length)
      return [
        `${login.join(', ')}: only with REDIS_CLUSTER_NODES; for one Redis put them in REDIS_URL (rediss://user:password@host:6379/5)`,
      ];
    if (present.REDIS_URL?.startsWith('redis-cluster://'))
      return ['REDIS_URL: must be a redis:// URL (name a cluster with REDIS_CLUSTER_NODES=host:port,...)'];
    return production && !present.REDIS_URL
      ? [
          'REDIS_URL or REDIS_CLUSTER_NODES: neither is set; one is required in production (REDIS_URL=redis://host:6379/5 or REDIS_CLUSTER_NODES=host:port,...)',
        ]
      : [];
  }

  /** Problems that only matter in production (development defaults of secrets). */
  productionProblems(): string[] {
    return this.BUS_INTERNAL_KEY ? [] : ['BUS_INTERNAL_KEY: required in production (development keys are refused)'];
  }
}
