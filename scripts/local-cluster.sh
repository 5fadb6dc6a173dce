#!/usr/bin/env bash
# Starts a secure 3-node shoal cluster on loopback by hand: certificates from `shoal certs`
# (made once, in ./local-cluster/certs/), three `shoal start` processes with the config files
# in deploy/examples/, data under ./local-cluster/ (kept between runs; delete it to start
# over). Ctrl-C stops all three gracefully.
#
#   scripts/local-cluster.sh            (builds target/release/shoal first)
#   SHOAL=path/to/shoal scripts/local-cluster.sh
#
# `shoal dev --nodes 3` does the same in one command.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SHOAL:-}" ]; then
  cargo build --release -p shoal-node --bin shoal
  SHOAL=$PWD/target/release/shoal
fi
mkdir -p local-cluster
# The files the configs name: a CA, the gossip key, and one certificate per node naming
# 127.0.0.1.
if [ ! -f local-cluster/certs/ca.crt ]; then
  "$SHOAL" certs ca --dir local-cluster/certs >/dev/null
  "$SHOAL" certs gossip-key --dir local-cluster/certs >/dev/null
  for i in 1 2 3; do
    "$SHOAL" certs node --dir local-cluster/certs --id "$i" --addr 127.0.0.1,localhost >/dev/null
  done
fi
pids=()
stop() {
  echo "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
  echo "stopped"
}
trap 'stop; exit 0' INT TERM
for i in 1 2 3; do
  "$SHOAL" start --config "deploy/examples/node$i.toml" 2>"local-cluster/node-$i.log" >/dev/null &
  pids+=($!)
done
for i in 1 2 3; do
  # The admin ports serve HTTPS (server.tls): `shoal health` asks with each node's config.
  until "$SHOAL" health --config "deploy/examples/node$i.toml" >/dev/null 2>&1; do
    if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then
      echo "node $i exited; see local-cluster/node-$i.log" >&2
      stop
      exit 1
    fi
    sleep 0.2
  done
done
# Auth is on (server.auth): the node that created the cluster wrote the first admin key.
key=""
for _ in $(seq 1 300); do
  key=$(ls local-cluster/node-*/admin.key 2>/dev/null | head -1 || true)
  [ -n "$key" ] && break
  sleep 0.2
done
echo "3 nodes ready:"
for i in 1 2 3; do
  echo "  node $i: client 127.0.0.1:5${i}44  admin https://127.0.0.1:9${i}43  log local-cluster/node-$i.log"
done
echo "try: export SHOAL_CA_FILE=$PWD/local-cluster/certs/ca.crt"
if [ -n "$key" ]; then
  echo "     export SHOAL_API_KEY=\$(cat $PWD/$key)"
else
  echo "     (no node has written admin.key yet: see the logs; a cluster made before keeps its keys)"
fi
echo "     $SHOAL kv put hello world --endpoint 127.0.0.1:5144"
echo "     $SHOAL cluster status --endpoint 127.0.0.1:5244"
echo "Ctrl-C stops every node."
wait
