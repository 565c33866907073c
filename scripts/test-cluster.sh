#!/usr/bin/env bash
# `npm run test:cluster`: starts a Redis Cluster (scripts/redis-cluster.sh, first port
# REDIS_CLUSTER_FIRST_PORT, default 7000) and runs the suites of jest.cluster.config.js on it with
# BUS_PARTITIONS=3. A cluster this script started is stopped at the end; one already up is left
# running. Its data is flushed: never point it at a cluster that holds anything. The cluster requires
# a password (REDIS_CLUSTER_PASSWORD, default below), so every connection of the services, the
# queues and the tests must log in: none may be left without the credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
first=${REDIS_CLUSTER_FIRST_PORT:-7000}
export REDIS_CLUSTER_PASSWORD=${REDIS_CLUSTER_PASSWORD:-cluster-test-password}
export REDISCLI_AUTH=$REDIS_CLUSTER_PASSWORD # the specs' own redis-cli calls
nodes=$(printf '127.0.0.1:%s,' "$first" $((first + 1)) $((first + 2)))
nodes=${nodes%,}

if bash scripts/redis-cluster.sh status "$first" >/dev/null 2>&1; then
  started=0
else
  bash scripts/redis-cluster.sh start "$first"
  started=1
fi
stop() { if [ "$started" -eq 1 ]; then bash scripts/redis-cluster.sh stop "$first" >/dev/null; fi; }
trap stop EXIT

node scripts/ensure-built.js # the chaos spec runs the services from dist/
REDIS_CLUSTER_NODES=$nodes REDIS_CLUSTER_FIRST_PORT=$first BUS_PARTITIONS=3 \
  npx jest -c jest.cluster.config.js --runInBand --forceExit "$@"
