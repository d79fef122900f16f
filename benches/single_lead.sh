#!/bin/bash
# Single-lead scoring requests per second, and the server's CPU time per request.
# usage: benches/single_lead.sh BINARY DATABASE_URL KEY BODY [RUST_LOG] [explain] [seconds]
#   BINARY: a release `revcast`; DATABASE_URL: a database with an active lead model (e.g. X Education,
#   imported with `revcast import leads` and trained with `revcast train lead --spec
#   training/lead-xeducation.toml`); KEY: an API key with the score scope; BODY: a JSON array of one lead.
# Starts `revcast serve` on 127.0.0.1:8802 (stderr to a file, as a service's log), warms up 2 s, runs
# `wrk -t1 -c32` with benches/peers/post.lua for the given seconds (default 8), stops the server.
set -euo pipefail
B=$1; DB=$2; KEY=$3; BODY=$4; LOG=${5:-info}; EX=${6:-}; S=${7:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
ERR=$(mktemp)
REVCAST_DATABASE_URL=$DB RUST_LOG=$LOG "$B" serve --bind 127.0.0.1:8802 2> "$ERR" &
P=$!
trap 'kill $P 2>/dev/null || true; rm -f "$ERR"' EXIT
for _ in $(seq 100); do curl -sf 127.0.0.1:8802/healthz > /dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:8802/v1/score/leads${EX:+?explain=$EX}
export BODY KEY
wrk -t1 -c32 -d2s -s "$HERE/peers/post.lua" "$URL" > /dev/null
T0=$(awk '{print $14 + $15}' /proc/$P/stat)
R=$(wrk -t1 -c32 -d${S}s -s "$HERE/peers/post.lua" "$URL" | grep '"step"')
T1=$(awk '{print $14 + $15}' /proc/$P/stat)
N=$(echo "$R" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
TICK=$(getconf CLK_TCK)
echo "$R" | python3 -c "
import json, sys
r = json.load(sys.stdin)
r['rust_log'] = '$LOG'; r['explain'] = '$EX' or 'default'
r['server_cpu_us_per_request'] = round(($T1 - $T0) * 1e6 / $TICK / $N, 2)
r['log_lines'] = sum(1 for _ in open('$ERR'))
print(json.dumps(r))"
