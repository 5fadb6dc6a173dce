#!/usr/bin/env bash
# Used for the checksum cost in docs/benchmarks.md: run it alternately with two builds
# (scripts/bench-ab.sh OLD put single; scripts/bench-ab.sh NEW put single; ...).
# ab.sh BINARY WORKLOAD MODE: one bench run against a fresh node (MODE=single) or a fresh
# 3-node insecure dev cluster (MODE=dev), printing "ops/s cpu_us_per_op".
set -euo pipefail
bin=$1; workload=$2; mode=$3
work=$(mktemp -d)
for v in $(env | grep -o '^SHOAL_[A-Z_]*'); do unset "$v"; done
if [ "$mode" = single ]; then
  "$bin" start --data-dir "$work/d" --client-listen 127.0.0.1:35344 --admin-listen 127.0.0.1:39343 --cluster-listen 127.0.0.1:35343 >"$work/log" 2>&1 &
  pid=$!; ep=127.0.0.1:35344
  until curl -sf http://127.0.0.1:39343/readyz >/dev/null; do sleep 0.05; done
else
  "$bin" dev --insecure --nodes 3 --data-dir "$work/d" --port-offset 30000 --shards 16 >"$work/log" 2>&1 &
  pid=$!; ep=127.0.0.1:35444,127.0.0.1:35544,127.0.0.1:35644
  until grep -q "ready in" "$work/log"; do sleep 0.1; done
  sleep 2
fi
ticks() { local t=0; for p in $pid $(pgrep -P $pid || true); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
t0=$(ticks)
out=$("$bin" bench --workload "$workload" --endpoint "$ep" --clients 64 --connections 4 --keys 10000 --duration 8s --warmup 1s 2>&1)
t1=$(ticks)
ops=$(echo "$out" | grep -o 'ops=[0-9]*' | head -1 | cut -d= -f2)
tput=$(echo "$out" | grep -o 'throughput=[0-9]*' | cut -d= -f2)
echo "$workload $mode throughput=$tput server_cpu_us_per_op=$(( (t1 - t0) * 10000 / ops ))"
kill -INT $pid; wait $pid 2>/dev/null || true
rm -rf "$work"
