#!/usr/bin/env bash
# Reproduces the single-node figures of docs/benchmarks.md: builds the release binary, then,
# for every workload, runs the same `shoal bench` client against a fresh shoal node and
# (when etcd is installed: apt-get install etcd-server) a fresh single-member etcd, one
# after the other, each in a temporary directory.
#
#   scripts/bench-single-node.sh [duration]     (default 10s per workload and system)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
cargo build --release -p shoal-node --bin shoal
shoal=$PWD/target/release/shoal
work=$(mktemp -d)
server=
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=
}
trap 'stop; rm -rf "$work"' EXIT

start_shoal() {
  rm -rf "$work/shoal"
  "$shoal" start --data-dir "$work/shoal" --client-listen 127.0.0.1:15344 \
    --admin-listen 127.0.0.1:19343 --cluster-listen 127.0.0.1:15343 >"$work/shoal.log" 2>&1 &
  server=$!
  for _ in $(seq 1 500); do curl -sf http://127.0.0.1:19343/readyz >/dev/null && return; sleep 0.02; done
  echo "shoal did not become ready" >&2; exit 1
}

start_etcd() {
  rm -rf "$work/etcd"
  etcd --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:12379 \
    --advertise-client-urls http://127.0.0.1:12379 --listen-peer-urls http://127.0.0.1:12380 \
    >"$work/etcd.log" 2>&1 &
  server=$!
  for _ in $(seq 1 500); do curl -sf http://127.0.0.1:12379/health >/dev/null && return; sleep 0.02; done
  echo "etcd did not become ready" >&2; exit 1
}

run() { # target endpoint workload
  local cpu_before cpu_after
  cpu_before=$(awk '{print $14 + $15}' "/proc/$server/stat")
  "$shoal" bench --target "$1" --endpoint "$2" --workload "$3" --clients 64 --connections 4 \
    --keys 100000 --value-size 256 --duration "$duration" --warmup 2s | tee "$work/out"
  cpu_after=$(awk '{print $14 + $15}' "/proc/$server/stat")
  ops=$(grep -o 'ops=[0-9]*' "$work/out" | cut -d= -f2)
  echo "server CPU per operation (warm-up included): $(( (cpu_after - cpu_before) * 10000000 / ops / 1000 )) us"
  echo
}

for workload in put get get-stale mixed; do
  start_shoal
  run shoal 127.0.0.1:15344 "$workload"
  [ "$workload" = mixed ] && "$shoal" cluster status --endpoint 127.0.0.1:15344 | tail -2
  [ "$workload" = mixed ] && echo "shoal RSS: $(grep VmRSS /proc/$server/status | awk '{print $2, $3}')"
  stop
  if command -v etcd >/dev/null; then
    start_etcd
    run etcd 127.0.0.1:12379 "$workload"
    stop
  fi
done
