#!/bin/bash
# Instructions executed per relayed message, counted by callgrind: a figure that does not move
# with the machine's load, for A/B comparisons the ±15-30 % spread of timed runs on a shared
# 2-core VM hides (docs/performance.md, "Instructions per message").
#
# usage: loadtests/instructions.sh [--redis] LABEL [PAIRS]
# Starts a throwaway redis-server and `peerline serve`, one of them under valgrind
# (instrumentation off): the server by default, redis-server with --redis. Runs the closed-loop
# relay with PAIRS pairs (default 40) against them, counts that process's instructions for 30 s
# of the measured phase, and prints them divided by the frames the server received in that
# window (its peerline_frames_in_total counter) or, with --redis, by the EVALSHA calls Redis
# served (INFO commandstats; almost all are say.lua). The callgrind file is left in
# ${TMPDIR:-/tmp}/peerline-callgrind/LABEL.out.1 (redis-LABEL.out.1) for callgrind_annotate.
# Takes about 90 s.
set -euo pipefail
target=server
if [ "${1:-}" = "--redis" ]; then
    target=redis
    shift
fi
label=$1
pairs=${2:-40}
[ "$target" = redis ] && label="redis-$label"
work=${TMPDIR:-/tmp}/peerline-callgrind
mkdir -p "$work"
cd "$(dirname "$0")/.."
free_port() { python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
rport=$(free_port)
port=$(free_port)
rdir=$(mktemp -d)
redis_server=$(python -c 'from loadtests.launch import redis_server_path; print(redis_server_path())')
redis_cli=$(dirname "$redis_server")/redis-cli
# The real interpreter, not a pyenv shim (valgrind would trace the shell script instead).
python_bin=$(python -c 'import sys; print(sys.executable)')
callgrind=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/$label.out")
redis_cmd=("$redis_server" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$rdir")
server_cmd=("$python_bin" -c "import sys; from server.cli import main; sys.exit(main())"
    serve --host 127.0.0.1 --port "$port" --redis-url "redis://127.0.0.1:$rport/0"
    --log-level warning)
export PEERLINE_RATE_PER_S=2000 PEERLINE_RATE_BURST=4000
# /metrics needs a bearer token; this run's own, thrown away with it.
PEERLINE_METRICS_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
export PEERLINE_METRICS_TOKEN
if [ "$target" = redis ]; then
    "${callgrind[@]}" "${redis_cmd[@]}" >/dev/null 2>&1 &
    vpid=$!
    for _ in $(seq 1 100); do
        "$redis_cli" -p "$rport" ping >/dev/null 2>&1 && break
        sleep 0.3
    done
    "${server_cmd[@]}" >"$work/$label.server.log" 2>&1 &
    spid=$!
else
    "${redis_cmd[@]}" >/dev/null 2>&1 &
    spid=$!  # (here the process not under valgrind is Redis)
    "${callgrind[@]}" "${server_cmd[@]}" >"$work/$label.server.log" 2>&1 &
    vpid=$!
fi
cleanup() { kill "${gpid:-0}" "$vpid" "$spid" 2>/dev/null || true; rm -rf "$rdir"; }
trap cleanup EXIT
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 1
done
python -m loadtests run --url "ws://127.0.0.1:$port/ws" --redis-url "redis://127.0.0.1:$rport/0" \
    --scenario relay --pairs "$pairs" --capacity 10 --conn-rate 0 --warmup 20 --duration 60 \
    --report "$work/$label.json" --no-plot >"$work/$label.generator.log" 2>&1 &
gpid=$!
for _ in $(seq 1 600); do
    grep -q measure "$work/$label.generator.log" && break
    sleep 1
done
sleep 3
frames_in() {
    curl -s -H "Authorization: Bearer $PEERLINE_METRICS_TOKEN" "http://127.0.0.1:$port/metrics" | awk '/^peerline_frames_in_total /{print $2}'
}
evalsha_calls() {
    "$redis_cli" -p "$rport" info commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p'
}
if [ "$target" = redis ]; then
    "$redis_cli" -p "$rport" config resetstat >/dev/null
    before=0
else
    before=$(frames_in)
fi
callgrind_control -i on "$vpid" >/dev/null 2>&1
sleep 30
callgrind_control -i off "$vpid" >/dev/null 2>&1
if [ "$target" = redis ]; then
    after=$(evalsha_calls)
    unit="say.lua call"
else
    after=$(frames_in)
    unit="frame"
fi
callgrind_control -d "$vpid" >/dev/null 2>&1
sleep 1
total=$(callgrind_annotate "$work/$label.out.1" 2>/dev/null \
    | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
python -c "
count = float('$after') - float('$before')
print(f'$label: {count:.0f} ($unit), {$total:,} instructions, '
      f'{$total / count:,.0f} instructions per $unit')"
