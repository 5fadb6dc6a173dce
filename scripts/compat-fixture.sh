#!/usr/bin/env bash
# Writes the data dir of crates/shoal-node/tests/it/fixtures/<name>: a single node run by
# an older shoal binary (one that used the on-disk formats to keep readable), with keys
# written, overwritten, compared-and-set, deleted and given a long TTL, and a log small
# enough to have been snapshotted and purged. tests/it/compatibility.rs starts the current
# code on a copy of it.
#
#   scripts/compat-fixture.sh OLD_SHOAL_BINARY NAME
#
# The fixture in the tree was made from commit f665246:
#   git worktree add /tmp/old f665246
#   (cd /tmp/old && CARGO_TARGET_DIR=/tmp/old-target cargo build --release -p shoal-node --bin shoal)
#   scripts/compat-fixture.sh /tmp/old-target/release/shoal f665246-single-node
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1
name=$2
out=crates/shoal-node/tests/it/fixtures/$name
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"
cat >"$work/shoal.toml" <<EOF
[server]
data_dir = "$PWD/$out"
client_listen = "127.0.0.1:17344"
admin_listen = "127.0.0.1:17343"

[cluster]
node_id = 4242
listen_address = "127.0.0.1:17345"

[cluster.data]
shards = 4

[cluster.raft]
snapshot_threshold = 50
trailing_logs = 10
EOF
env -u SHOAL_LOG "$old" start --config "$work/shoal.toml" >"$work/node.log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do curl -sf http://127.0.0.1:17343/readyz >/dev/null && break; sleep 0.02; done
kv() { "$old" kv "$@" --endpoint 127.0.0.1:17344 >/dev/null; }
for i in $(seq 0 199); do kv put "key-$i" "value-$i"; done
for i in $(seq 0 49); do kv put "key-$i" "second-$i"; done
for i in $(seq 150 199); do kv delete "key-$i"; done
kv put cas-key first --if-version 0
kv put long-ttl lives --ttl 8760h
kill -TERM "$pid"
wait "$pid" || true
ls -la "$out" "$out/snapshots" 2>/dev/null || true
