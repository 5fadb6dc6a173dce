#!/usr/bin/env bash
# Reproduces the three-node figures of docs/benchmarks.md: for every workload, the same
# `shoal bench` client (64 clients over 12 connections spread across the three nodes, 256-byte
# values) runs against a fresh 3-node shoal cluster (`shoal dev --nodes 3`, RF 3, 16 shards)
# — once through any node (forwarding) and once with the cluster-aware client — and against
# a fresh 3-member etcd cluster (apt-get install etcd-server), all on loopback, one after
# the other.
#
#   scripts/bench-cluster.sh [duration]     (default 15s per workload and system)
#   SHOAL=path/to/shoal scripts/bench-cluster.sh    (skips the build)
#   WORKLOADS="put" scripts/bench-cluster.sh         (only some workloads; default put get mixed batch)
#
# The batch workload writes 100 distinct keys per call: shoal KV.Batch against an etcd Txn
# of 100 puts; its throughput counts keys.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
if [ -z "${SHOAL:-}" ]; then
  cargo build --release -p shoal-node --bin shoal
  SHOAL=$PWD/target/release/shoal
fi
shoal=$SHOAL
work=$(mktemp -d)
servers=()
stop() {
  for pid in "${servers[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  servers=()
}
trap 'stop; rm -rf "$work"' EXIT

wait_http() { # url
  for _ in $(seq 1 1500); do curl -sf "$1" >/dev/null && return; sleep 0.02; done
  echo "$1 never answered" >&2; exit 1
}

shoal_endpoints=127.0.0.1:15444,127.0.0.1:15544,127.0.0.1:15644
start_shoal() {
  rm -rf "$work/shoal"
  "$shoal" dev --insecure --nodes 3 --data-dir "$work/shoal" --port-offset 10000 >"$work/dev.log" 2>&1 &
  servers=($!)
  for i in 4 5 6; do wait_http "http://127.0.0.1:19${i}43/readyz"; done
  # every shard has a leader
  for _ in $(seq 1 500); do
    "$shoal" cluster status --endpoint 127.0.0.1:15444 --json | grep -q '"leaderId": "0"' || return 0
    sleep 0.1
  done
}

etcd_endpoints=127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379
start_etcd() {
  rm -rf "$work/etcd"
  local cluster=e1=http://127.0.0.1:12380,e2=http://127.0.0.1:22380,e3=http://127.0.0.1:32380
  servers=()
  for i in 1 2 3; do
    etcd --name "e$i" --data-dir "$work/etcd/e$i" \
      --listen-client-urls "http://127.0.0.1:${i}2379" --advertise-client-urls "http://127.0.0.1:${i}2379" \
      --listen-peer-urls "http://127.0.0.1:${i}2380" --initial-advertise-peer-urls "http://127.0.0.1:${i}2380" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench \
      >"$work/etcd-$i.log" 2>&1 &
    servers+=($!)
  done
  for i in 1 2 3; do wait_http "http://127.0.0.1:${i}2379/health"; done
}

server_cpu() { # total user+system ticks of the server processes and their children
  local total=0 pid
  for pid in $(for s in "${servers[@]}"; do echo "$s"; pgrep -P "$s" || true; done); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

run() { # target endpoints workload
  local cpu_before cpu_after ops
  cpu_before=$(server_cpu)
  "$shoal" bench --target "$1" --endpoint "$2" --workload "$3" --clients 64 --connections 12 \
    --keys 100000 --value-size 256 --duration "$duration" --warmup 3s | tee "$work/out"
  cpu_after=$(server_cpu)
  ops=$(grep -o 'ops=[0-9]*' "$work/out" | cut -d= -f2)
  echo "server CPU per operation, all 3 nodes (warm-up included): $(( (cpu_after - cpu_before) * 10000000 / ops / 1000 )) us"
  echo
}

for workload in ${WORKLOADS:-put get mixed batch}; do
  start_shoal
  run shoal "$shoal_endpoints" "$workload"
  # A batch goes to one node, which splits it by shard: the smart client has no batch.
  [ "$workload" = batch ] || run shoal-smart "$shoal_endpoints" "$workload"
  stop
  if command -v etcd >/dev/null; then
    start_etcd
    run etcd "$etcd_endpoints" "$workload"
    stop
  fi
done
