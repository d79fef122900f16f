#!/usr/bin/env bash
# revcast beside its peers: HTTP scoring (revcast vs FastAPI + scikit-learn), training (revcast vs
# LightGBM) and server memory while training. Prints a Markdown table of medians; see RESULTS.md.
#
# From the repository root:
#     python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install -r benches/peer_fastapi/requirements.txt
#     PYTHON=/tmp/peer-venv/bin/python benches/run_peers.sh [REPEATS]
# Needs `wrk` (Debian package wrk) and curl. Loopback only: ports 18080 (revcast), 18081 (peer).
set -euo pipefail

REPEATS=${1:-3}
PY=${PYTHON:-python3}
WORK=${WORK:-$(mktemp -d)}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$WORK/results.jsonl
RC=http://127.0.0.1:18080
PEER=http://127.0.0.1:18081
LEADS=${LEADS:-100000}
export REVCAST_DATABASE_URL="sqlite://$WORK/revcast.db"
echo "work dir: $WORK" >&2

# Copies: the shared target dir may be rebuilt by someone else during the run.
cargo build --release --bin revcast >&2
cp "$TARGET/release/revcast" "$WORK/revcast"
exe=$(cargo bench --bench peers --no-run 2>&1 | tee /dev/stderr | sed -n 's/.*Executable .*(\(.*\))$/\1/p')
cp "$exe" "$WORK/peers"
REVCAST=$WORK/revcast
peers() { "$WORK/peers" "$@"; }
tag() { sed -u "s/^{/{\"who\": \"$1\", \"what\": \"$2\", /" | tee -a "$OUT"; }
SERVER=
start_revcast() {
  "$REVCAST" serve --bind 127.0.0.1:18080 >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  until curl -sf "$RC/healthz" >/dev/null; do sleep 0.2; done
}
stop_revcast() { kill "$SERVER"; wait "$SERVER" || true; }
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER/status"; }
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
  [ -n "${PEER_PID:-}" ] && kill "$PEER_PID" 2>/dev/null || true
}
trap cleanup EXIT

# 1. A database with 100,000 synthetic leads, and the scoring bodies.
KEY=$("$REVCAST" keys create --name bench --scopes admin,ingest,score,read | tail -1)
start_revcast
peers ingest "$RC" "$KEY" "$LEADS" "$WORK/leads.csv" | tag "" ingest
peers bodies "$WORK" | tag "" bodies
stop_revcast

# 2. Memory: a fresh server trains the lead model (all candidates) through the API, with the
# shipped pipeline on the fields the synthetic leads carry (benches/peers/lead-memory.toml).
start_revcast
before=$(kb VmRSS)
train_body=$("$PY" -c 'import json,sys; print(json.dumps({"spec": open(sys.argv[1]).read()}))' \
  benches/peers/lead-memory.toml)
t0=$(date +%s.%N)
job=$(curl -sf -X POST -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d "$train_body" "$RC/v1/models/lead/train" |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
while :; do
  status=$(curl -sf -H "Authorization: Bearer $KEY" "$RC/v1/jobs/$job" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [ "$status" != running ] && break
  sleep 0.5
done
t1=$(date +%s.%N)
echo "{\"step\": \"memory\", \"leads\": $LEADS, \"hwm_mb\": $(( $(kb VmHWM) / 1024 )), \"rss_before_mb\": $(( before / 1024 )), \"train_s\": $(echo "$t1 - $t0" | bc), \"status\": \"$status\"}" | tag "" memory
stop_revcast

# 3. Serve a logistic-regression lead model, the peer's kind of model.
version=$("$REVCAST" train lead --spec benches/peers/lead-logistic.toml 2>/dev/null | awk '/^version:/ {print $2}')
"$REVCAST" models promote "$version" >&2
start_revcast
PEER_LEADS_CSV=$WORK/leads.csv "$PY" -m uvicorn --app-dir benches/peer_fastapi app:app \
  --workers 2 --port 18081 --log-level warning >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
until curl -s -o /dev/null -X POST -H 'content-type: application/json' -d @"$WORK/one.json" \
  "$PEER/v1/score/leads"; do sleep 0.5; done

# 4. Scoring, alternating revcast and the peer in each round.
for round in $(seq "$REPEATS"); do
  echo "round $round/$REPEATS" >&2
  for who in revcast peer; do
    url=$RC; [ "$who" = peer ] && url=$PEER
    BODY=$WORK/one.json KEY=$KEY wrk -t1 -c32 -d10s -s benches/peers/post.lua \
      "$url/v1/score/leads" | grep '^{' | tag "$who" wrk_one
    peers openloop "$url/v1/score/leads" "$KEY" "$WORK/one.json" 1000 10 | tag "$who" open_1000
    peers batch "$url/v1/score/leads" "$KEY" "$WORK/batch.json" 10 | tag "$who" batch_10k
    for e in none top3; do
      peers closed "$url/v1/score/leads?explain=$e" "$KEY" "$WORK/thousand.json" 8 10 |
        tag "$who" "closed_1000_$e"
    done
  done
  # NDJSON, one request of a million leads (revcast only: the peer has no streaming endpoint).
  peers ndjson "$RC/v1/score/leads/ndjson?explain=none" "$KEY" 1000000 "$SERVER" |
    tag revcast ndjson_1m
done
stop_revcast
kill "$PEER_PID"; wait "$PEER_PID" || true

# 5. Training: the whole pipeline and the boosted trees alone, then LightGBM on the same rows.
for round in $(seq "$REPEATS"); do
  peers train "$LEADS" "$WORK/encoded.csv" | tag "" train
done
"$PY" benches/peer_fastapi/lightgbm_peer.py "$WORK/encoded.csv" "$REPEATS" | tag "" lightgbm

echo
"$PY" benches/peers/table.py "$OUT"
