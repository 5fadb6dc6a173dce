#!/usr/bin/env bash
# The cost of the cross-replica consistency check (docs/benchmarks.md, "Consistency
# check"): a fresh 3-node cluster (`shoal dev`, RF 3, 16 shards, so every node holds all
# the data) is loaded with 64 KiB values over GIB × 16384 keys (about GIB GiB per node once
# most keys are written), then
#   1. `shoal cluster check` alone: how long checking every shard takes (each replica reads
#      its state at 64 MiB/s);
#   2. a 256-byte put workload, alone and then with `shoal cluster check` running back to
#      back beside it: the foreground's throughput and p99, same cluster, same run.
#
#   scripts/bench-check.sh [duration]        (default 20s per foreground run)
#   SHOAL=path/to/shoal GIB=1 LOAD=120s scripts/bench-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20s}
gib=${GIB:-1}
load=${LOAD:-120s}
if [ -z "${SHOAL:-}" ]; then
  cargo build --release -p shoal-node --bin shoal
  SHOAL=$PWD/target/release/shoal
fi
shoal=$SHOAL
work=$(mktemp -d)
server=
checker=
stop() {
  [ -n "$checker" ] && kill "$checker" 2>/dev/null || true
  [ -n "$server" ] && { kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
}
trap 'stop; rm -rf "$work"' EXIT

wait_http() { # url
  for _ in $(seq 1 1500); do curl -sf "$1" >/dev/null && return; sleep 0.02; done
  echo "$1 never answered" >&2; exit 1
}

endpoints=127.0.0.1:15444,127.0.0.1:15544,127.0.0.1:15644
"$shoal" dev --insecure --nodes 3 --data-dir "$work/shoal" --port-offset 10000 >"$work/dev.log" 2>&1 &
server=$!
for i in 4 5 6; do wait_http "http://127.0.0.1:19${i}43/readyz"; done
for _ in $(seq 1 500); do
  "$shoal" cluster status --endpoint 127.0.0.1:15444 --json | grep -q '"leaderId": "0"' || break
  sleep 0.1
done

echo "== loading: 64 KiB values over $((gib * 16384)) keys for $load"
"$shoal" bench --endpoint "$endpoints" --workload put --clients 16 --connections 6 \
  --keys $((gib * 16384)) --value-size 65536 --duration "$load" --warmup 0s | tail -3
du -sh "$work"/shoal/node-*/state.redb 2>/dev/null || du -sh "$work"/shoal/*/ 2>/dev/null

echo "== the check alone"
started=$(date +%s.%N)
"$shoal" cluster check --endpoint 127.0.0.1:15444 | tee "$work/check" | head -4
echo "all 16 shards checked in $(echo "$(date +%s.%N) - $started" | bc) s"

bench() {
  "$shoal" bench --endpoint "$endpoints" --workload put --clients 64 --connections 12 \
    --keys 100000 --value-size 256 --duration "$duration" --warmup 3s | tail -3
}
echo "== foreground puts alone"
bench
echo "== foreground puts with the check running back to back"
( while true; do "$shoal" cluster check --endpoint 127.0.0.1:15544 >/dev/null 2>&1 || true; done ) &
checker=$!
bench
kill "$checker" 2>/dev/null || true
checker=
