#!/bin/bash
# Instructions Redis executes per say.lua call, counted by callgrind: the Redis side of the
# message path, as loadtests/instructions.sh counts the server's (docs/performance.md,
# "Instructions per message").
#
# usage: loadtests/redis-instructions.sh LABEL [PAIRS]
# Starts a throwaway redis-server under valgrind (instrumentation off) and `peerline serve`
# beside it, runs the closed-loop relay with PAIRS pairs (default 40), counts Redis's
# instructions for 20 s of the measured phase, and prints them divided by the EVALSHA calls
# Redis served in that window (INFO commandstats; almost all are say.lua). The callgrind file is
# left in ${TMPDIR:-/tmp}/peerline-callgrind/redis-LABEL.out.1. Takes about 60 s.
set -euo pipefail
label=$1
pairs=${2:-40}
work=${TMPDIR:-/tmp}/peerline-callgrind
mkdir -p "$work"
cd "$(dirname "$0")/.."
free_port() { python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
rport=$(free_port)
port=$(free_port)
rdir=$(mktemp -d)
redis_server=$(python -c 'from loadtests.launch import redis_server_path; print(redis_server_path())')
redis_cli=$(dirname "$redis_server")/redis-cli
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/redis-$label.out" \
    "$redis_server" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$rdir" \
    >/dev/null 2>&1 &
vpid=$!
for _ in $(seq 1 100); do
    "$redis_cli" -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.3
done
export PEERLINE_RATE_PER_S=2000 PEERLINE_RATE_BURST=4000
python -c "import sys; from server.cli import main; sys.exit(main())" \
    serve --host 127.0.0.1 --port "$port" --redis-url "redis://127.0.0.1:$rport/0" \
    --log-level warning >"$work/redis-$label.server.log" 2>&1 &
spid=$!
cleanup() { kill "${gpid:-0}" "$spid" "$vpid" 2>/dev/null || true; rm -rf "$rdir"; }
trap cleanup EXIT
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.3
done
python -m loadtests run --url "ws://127.0.0.1:$port/ws" --redis-url "redis://127.0.0.1:$rport/0" \
    --scenario relay --pairs "$pairs" --capacity 10 --conn-rate 0 --warmup 5 --duration 40 \
    --report "$work/redis-$label.json" --no-plot >"$work/redis-$label.generator.log" 2>&1 &
gpid=$!
for _ in $(seq 1 600); do
    grep -q measure "$work/redis-$label.generator.log" && break
    sleep 0.5
done
sleep 2
"$redis_cli" -p "$rport" config resetstat >/dev/null
callgrind_control -i on "$vpid" >/dev/null 2>&1
sleep 20
callgrind_control -i off "$vpid" >/dev/null 2>&1
calls=$("$redis_cli" -p "$rport" info commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p')
callgrind_control -d "$vpid" >/dev/null 2>&1
sleep 1
total=$(callgrind_annotate "$work/redis-$label.out.1" 2>/dev/null \
    | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
python -c "
print(f'$label: {$calls} EVALSHA calls, {$total:,} Redis instructions, '
      f'{$total / $calls:,.0f} instructions per call')"
