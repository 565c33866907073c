#!/usr/bin/env bash
# A 6-node Redis Cluster (3 masters, 3 replicas) on 127.0.0.1 for development and tests, with
# Debian's redis-server and redis-cli only. Nothing is kept on disk (no RDB, no AOF); each
# node's nodes.conf lives under .redis-cluster/<port>/ in the repository (git-ignored).
#
#   scripts/redis-cluster.sh start|stop|status [FIRST_PORT]    (default 7000: ports 7000-7005)
#
# REPLICAS=0 makes 3 masters and no replicas (ports FIRST_PORT..+2): what a benchmark compares the
# replicated cluster with (docs/benchmarks.md, "Redis Cluster (P3)"). `stop` stops either.
#
# Each port P and its cluster bus port P+10000 must be free. `start` is idempotent: a cluster
# already up on those ports is left as it is. It prints the REDIS_CLUSTER_NODES to use.
# REDIS_CLUSTER_PASSWORD set: the nodes require it (the `default` user's password, also between
# nodes), as the services then send it (docs/operations.md, "Running on a Redis Cluster").
set -euo pipefail
cd "$(dirname "$0")/.."
auth=()
if [ -n "${REDIS_CLUSTER_PASSWORD:-}" ]; then
  auth=(--requirepass "$REDIS_CLUSTER_PASSWORD" --masterauth "$REDIS_CLUSTER_PASSWORD")
  export REDISCLI_AUTH="$REDIS_CLUSTER_PASSWORD" # redis-cli's own login, kept off its command line
fi

cmd=${1:-status}
first=${2:-${REDIS_CLUSTER_FIRST_PORT:-7000}}
[[ "$first" =~ ^[0-9]+$ ]] && [ "$first" -ge 1024 ] && [ "$first" -le 55530 ] || {
  echo "FIRST_PORT must be a number in 1024..55530 (got '$first')" >&2
  exit 2
}
replicas=${REPLICAS:-1}
[ "$replicas" = 0 ] || [ "$replicas" = 1 ] || {
  echo "REPLICAS must be 0 or 1 (got '$replicas')" >&2
  exit 2
}
all_ports=()
for i in 0 1 2 3 4 5; do all_ports+=($((first + i))); done
ports=("${all_ports[@]:0:$((3 + 3 * replicas))}")
dir=.redis-cluster
nodes=$(printf '127.0.0.1:%s,' "${ports[@]}")
nodes=${nodes%,}

state_ok() { redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster info 2>/dev/null | tr -d '\r' | grep -q '^cluster_state:ok$'; }
node_up() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }
# a cluster that has all its nodes up and every slot served (not a half-made one)
complete() {
  for p in "${ports[@]}"; do node_up "$p" || return 1; done
  state_ok || return 1
  local known
  known=$(redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
  [ "${known:-0}" -ge "${#ports[@]}" ]
}

start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
    echo "redis-server and redis-cli are needed (apt-get install redis-server)" >&2
    exit 1
  }
  if complete; then
    echo "cluster already up: REDIS_CLUSTER_NODES=$nodes"
    return 0
  fi
  mkdir -p "$dir"
  for p in "${ports[@]}"; do
    if node_up "$p"; then continue; fi
    # a node that was part of the cluster (its nodes.conf kept) restarts into it, as a replica of
    # whoever took over its slots; a new one starts empty
    if [ ! -f "$dir/$p/nodes.conf" ]; then rm -rf "${dir:?}/$p" && mkdir -p "$dir/$p"; fi
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 2000 --dir "$PWD/$dir/$p" --save "" --appendonly no --daemonize yes \
      --pidfile "$PWD/$dir/$p/redis.pid" --logfile "$PWD/$dir/$p/redis.log" "${auth[@]}" >/dev/null
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 50); do node_up "$p" && break; sleep 0.1; done
    node_up "$p" || {
      echo "node on port $p did not start (is $p or $((p + 10000)) taken? see $dir/$p/redis.log)" >&2
      exit 1
    }
  done
  # nodes that know only themselves: create the cluster (a partly made one is not repaired here)
  local known
  known=$(redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
  if [ "${known:-1}" -le 1 ]; then
    local args=()
    for p in "${ports[@]}"; do args+=("127.0.0.1:$p"); done
    redis-cli --cluster create "${args[@]}" --cluster-replicas "$replicas" --cluster-yes >"$dir/create-${first}.log" 2>&1 || {
      cat "$dir/create-${first}.log" >&2
      exit 1
    }
  fi
  for _ in $(seq 1 100); do complete && break; sleep 0.2; done
  complete || {
    echo "the cluster did not reach cluster_state:ok; run '$0 stop $first' and start again" >&2
    exit 1
  }
  # replicas attached (each master has one), so a failover has somewhere to go
  for _ in $(seq 1 50); do
    [ "$(redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster nodes | grep -c slave)" -ge $((3 * replicas)) ] && break
    sleep 0.2
  done
  echo "cluster up: REDIS_CLUSTER_NODES=$nodes"
}

stop() {
  for p in "${all_ports[@]}"; do
    if node_up "$p"; then redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1 || true; fi
  done
  for p in "${all_ports[@]}"; do
    for _ in $(seq 1 50); do node_up "$p" || break; sleep 0.1; done
    rm -rf "${dir:?}/$p"
  done
  echo "cluster on ports ${all_ports[0]}-${all_ports[5]} stopped"
}

status() {
  if complete; then
    echo "cluster up: REDIS_CLUSTER_NODES=$nodes"
    redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster nodes | awk '{print $2, $3}' | sed 's/@[0-9]*//' | sort
  else
    echo "cluster not up on ports ${ports[0]}-${ports[-1]}"
    return 1
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status [FIRST_PORT]" >&2
    exit 2
    ;;
esac
