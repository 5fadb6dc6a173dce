#!/usr/bin/env bash
# Reproduces the single-node figures of docs/benchmarks.md: builds the release binary,
# starts a fresh node in a temporary directory, runs every workload, stops the node.
#
#   scripts/bench-single-node.sh [duration]     (default 10s per workload)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
cargo build --release -p shoal-node --bin shoal
shoal=$PWD/target/release/shoal
work=$(mktemp -d)
trap 'kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; rm -rf "$work"' EXIT
"$shoal" start --data-dir "$work/data" --client-listen 127.0.0.1:15344 --admin-listen 127.0.0.1:19343 \
  --cluster-listen 127.0.0.1:15343 >"$work/node.log" 2>&1 &
node=$!
for _ in $(seq 1 500); do
  curl -sf http://127.0.0.1:19343/readyz >/dev/null && break
  sleep 0.02
done
for workload in put get get-stale mixed; do
  "$shoal" bench --endpoint 127.0.0.1:15344 --workload "$workload" --clients 64 --connections 4 \
    --keys 100000 --value-size 256 --duration "$duration" --warmup 2s
  echo
done
"$shoal" cluster status --endpoint 127.0.0.1:15344 | tail -1
echo "server RSS: $(grep VmRSS /proc/$node/status | awk '{print $2, $3}')"
