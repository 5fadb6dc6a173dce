#!/usr/bin/env bash
# Reproduces the rebalancing figures of docs/benchmarks.md: a 3-node cluster (RF 3, 16
# shards) is loaded with about 1 GiB of live data (64 KiB values), a 4th node joins, and the
# placement driver moves a quarter of the replicas to it; measured: the time until node 4
# holds its 12 replicas and no move is in flight, and the p99 latency of a light foreground
# load (8 clients, mixed 90% linearizable gets / 10% puts, 256-byte values) during the moves
# against the same load before them. Then a rolling restart of nodes 1-3 (SIGTERM, start,
# ready, every shard led) is timed.
#
#   scripts/bench-rebalance.sh [max_rate] [data_mib]   (defaults: 20Mbps, 1024)
#   SHOAL=path/to/shoal scripts/bench-rebalance.sh     (skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-20Mbps}
data_mib=${2:-1024}
if [ -z "${SHOAL:-}" ]; then
  cargo build --release -p shoal-node --bin shoal
  SHOAL=$PWD/target/release/shoal
fi
shoal=$SHOAL
work=$(mktemp -d)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT

now() { date +%s.%N; }
wait_http() { # url
  for _ in $(seq 1 3000); do curl -sf "$1" >/dev/null && return; sleep 0.02; done
  echo "$1 never answered" >&2; exit 1
}
config() { # id
  local id=$1
  cat >"$work/node-$id.toml" <<EOF
[server]
data_dir = "$work/data-$id"
client_listen = "127.0.0.1:2${id}344"
admin_listen = "127.0.0.1:2${id}343"

[cluster]
enabled = true
insecure = true
node_id = $id
node_name = "bench-$id"
listen_address = "127.0.0.1:2${id}353"
advertise_address = "127.0.0.1:2${id}353"
gossip_listen = "127.0.0.1:2${id}345"

[cluster.discovery]
seeds = ["127.0.0.1:21345", "127.0.0.1:22345", "127.0.0.1:23345"]

[cluster.bootstrap]
expect_nodes = 3

[cluster.data]
replication_factor = 3
shards = 16

[cluster.rebalance]
max_rate = "$rate"
EOF
}
declare -A node_pid
start_node() { # id
  SHOAL_LOG=${SHOAL_LOG:-warn} "$shoal" start --config "$work/node-$1.toml" >>"$work/node-$1.log" 2>&1 &
  node_pid[$1]=$!
  pids+=($!)
}
ready() { wait_http "http://127.0.0.1:2${1}343/readyz"; }
all_led() { # every shard has a leader, as node 1 sees it
  for _ in $(seq 1 600); do
    if "$shoal" cluster shards --endpoint 127.0.0.1:21344 2>/dev/null \
      | awk 'NR > 2 && $3 == "-" { missing = 1 } NR > 2 { rows++ } END { exit !(rows > 0 && !missing) }'; then
      return 0
    fi
    sleep 0.05
  done
  echo "some shard has no leader" >&2; exit 1
}
held_by_4() {
  "$shoal" cluster shards --endpoint 127.0.0.1:21344 --json \
    | python3 -c 'import json,sys; m=json.load(sys.stdin); print(sum(1 for s in m["shards"] for r in s["replicas"] if r["nodeId"]=="4"))'
}
in_flight() {
  "$shoal" cluster moves --endpoint 127.0.0.1:21344 --json \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("moves", [])))'
}
foreground() { # duration label
  "$shoal" bench --endpoint 127.0.0.1:21344,127.0.0.1:22344,127.0.0.1:23344 \
    --workload mixed --clients 8 --connections 3 --keys 1000 --value-size 256 \
    --duration "$1" --warmup 1s | tee "$work/fg-$2.txt" | sed "s/^/  [$2] /"
}

for id in 1 2 3 4; do config "$id"; done
for id in 1 2 3; do start_node "$id"; done
for id in 1 2 3; do ready "$id"; done
all_led

keys=$((data_mib * 16))   # 64 KiB each
echo "loading about $data_mib MiB: $keys keys of 64 KiB (RF 3)"
t0=$(now)
"$shoal" bench --endpoint 127.0.0.1:21344,127.0.0.1:22344,127.0.0.1:23344 --workload put \
  --clients 32 --connections 6 --keys "$keys" --value-size 65536 --duration "${LOAD_FOR:-150s}" --warmup 0s \
  | sed 's/^/  [load] /'
live=$("$shoal" cluster status --endpoint 127.0.0.1:21344 --json \
  | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(int(x.get("keys","0")) for x in s["shards"]))')
echo "live keys on node 1's replicas: $live ($(python3 -c "print(round($live*64/1024))") MiB in its 16 replicas) after $(python3 -c "print(round($(now)-$t0))") s"

# Let the nodes finish writing the load back (state-file flushes) before measuring.
for _ in $(seq 1 300); do
  "$shoal" kv put bench-settle x --endpoint 127.0.0.1:21344 >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 10
echo "foreground load, no move:"
foreground 20s before

echo "node 4 joins (max_rate $rate)"
t0=$(now)
start_node 4
ready 4
foreground 30s during &
fg=$!
last=""
while :; do
  held=$(held_by_4); moving=$(in_flight)
  state="node 4 holds $held replica(s), $moving move(s) in flight"
  if [ "$state" != "$last" ]; then
    echo "  $(python3 -c "print(f'{$(now)-$t0:7.1f}')") s: $state"; last=$state
  fi
  if [ "$held" -ge 12 ] && [ "$moving" = 0 ]; then break; fi
  sleep 1
done
rebalance=$(python3 -c "print(round($(now)-$t0, 1))")
wait "$fg" || true
echo "rebalanced in $rebalance s (node 4: $(held_by_4) replicas)"
"$shoal" cluster moves --endpoint 127.0.0.1:21344 | head -1

echo "rolling restart of nodes 1-3:"
t0=$(now)
for id in 1 2 3; do
  kill -TERM "${node_pid[$id]}"; wait "${node_pid[$id]}" 2>/dev/null || true
  start_node "$id"; ready "$id"; all_led
done
echo "rolling restart in $(python3 -c "print(round($(now)-$t0, 2))") s"
grep -h "p99" "$work/fg-before.txt" "$work/fg-during.txt" | sed 's/^/  /'
