#!/usr/bin/env bash
# The cost of trace export, for docs/benchmarks.md: one bench run against a fresh single
# node (MODE=single) or 3-node insecure dev cluster (MODE=dev) with traces off, or exported
# to a local OTLP sink at 100% or 1% sampling. Run the modes alternately:
#   scripts/bench-telemetry.sh BIN SINK WORKLOAD MODE off|all|1pct
# BIN is a release `shoal`, SINK the release `otlp_sink` example
# (cargo build --release -p shoal-node --example otlp_sink). Prints
# "workload mode tracing throughput= server_cpu_us_per_op= spans=".
set -euo pipefail
bin=$1; sink=$2; workload=$3; mode=$4; tracing=$5
work=$(mktemp -d)
for v in $(env | grep -o '^SHOAL_[A-Z_]*'); do unset "$v"; done
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG
sink_pid=
case $tracing in
  off) ;;
  all|1pct)
    "$sink" 127.0.0.1:34317 >"$work/sink" 2>&1 &
    sink_pid=$!
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:34317
    if [ "$tracing" = 1pct ]; then
      export OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01
    else
      export OTEL_TRACES_SAMPLER=always_on
    fi ;;
  *) echo "tracing must be off, all or 1pct" >&2; exit 2 ;;
esac
if [ "$mode" = single ]; then
  "$bin" start --data-dir "$work/d" --client-listen 127.0.0.1:35344 --admin-listen 127.0.0.1:39343 --cluster-listen 127.0.0.1:35343 >"$work/log" 2>&1 &
  pid=$!; ep=127.0.0.1:35344
  until curl -sf http://127.0.0.1:39343/readyz >/dev/null; do sleep 0.05; done
else
  otlp=()
  [ "$tracing" != off ] && otlp=(--otlp-endpoint "$OTEL_EXPORTER_OTLP_ENDPOINT")
  "$bin" dev --insecure --nodes 3 --data-dir "$work/d" --port-offset 30000 --shards 16 "${otlp[@]}" >"$work/log" 2>&1 &
  pid=$!; ep=127.0.0.1:35444,127.0.0.1:35544,127.0.0.1:35644
  until grep -q "ready in" "$work/log"; do sleep 0.1; done
  sleep 2
fi
ticks() { local t=0; for p in $pid $(pgrep -P $pid || true); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
t0=$(ticks)
out=$(env -u OTEL_EXPORTER_OTLP_ENDPOINT "$bin" bench --workload "$workload" --endpoint "$ep" --clients 64 --connections 4 --keys 10000 --duration 8s --warmup 1s 2>&1)
t1=$(ticks)
ops=$(echo "$out" | grep -o 'ops=[0-9]*' | head -1 | cut -d= -f2)
tput=$(echo "$out" | grep -o 'throughput=[0-9]*' | cut -d= -f2)
kill -INT $pid; wait $pid 2>/dev/null || true
spans=0
if [ -n "$sink_pid" ]; then
  sleep 1; kill -INT "$sink_pid"; wait "$sink_pid" 2>/dev/null || true
  spans=$(grep -o 'total spans=[0-9]*' "$work/sink" | cut -d= -f2 || echo 0)
fi
echo "$workload $mode $tracing throughput=$tput server_cpu_us_per_op=$(( (t1 - t0) * 10000 / ops )) spans=${spans:-0}"
rm -rf "$work"
