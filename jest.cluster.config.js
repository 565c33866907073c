// `npm run test:cluster`: the suites that exercise the bus, the queues, verify and the web app's
// sessions, run on a Redis Cluster (REDIS_CLUSTER_NODES, BUS_PARTITIONS=3; scripts/test-cluster.sh
// starts the cluster), and the cluster failover chaos spec (real service processes from dist/).
// The one list of what runs on the cluster (docs/operations.md, "Running on a Redis Cluster"). Left out
// to keep the step short: policy-rollout.e2e-spec.ts (a 100,000-member rollout and a flush mid-rollout;
// it passes on a cluster, in about 5 minutes on a busy 2-core box) and tools/cli/test/cli.e2e-spec.ts
// (member commands on the cluster; passes, 3.7 minutes there: it spawns the CLI for every step).
const base = require('./jest.config.js');

const CLUSTER_SUITES = [
  'libs/bus/src/bus.spec.ts',
  'libs/bus/src/bus-metrics.spec.ts',
  'libs/bus/src/job-queues.spec.ts',
  'apps/mfa-service/test/mfa-service.e2e-spec.ts',
  'apps/mfa-service/test/lockout-and-limits.e2e-spec.ts',
  'apps/mfa-service/test/enrollment-links.e2e-spec.ts',
  'apps/org-service/test/audit-events.e2e-spec.ts',
  'test/client/client.e2e-spec.ts',
  'test/cluster/cluster-login.e2e-spec.ts',
  'test/cluster/auto-pipelined-scripts.e2e-spec.ts',
  'libs/client/src/redis-login-errors.spec.ts',
  'apps/web/test/web.e2e-spec.ts',
  'test/chaos/cluster-failover.chaos-spec.ts',
];

module.exports = {
  ...base,
  testRegex: undefined,
  testMatch: CLUSTER_SUITES.map((path) => `<rootDir>/${path}`),
  testTimeout: 300000,
};
