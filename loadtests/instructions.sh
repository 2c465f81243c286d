#!/bin/bash
# Instructions the server executes per relayed message, counted by callgrind: a figure that does
# not move with the machine's load, for A/B comparisons the ±10-15 % spread of timed runs on a
# shared 2-core VM hides (docs/performance.md, "Instructions per message").
#
# usage: loadtests/instructions.sh LABEL [PAIRS]
# Starts a throwaway redis-server and `peerline serve` under valgrind (instrumentation off), runs
# the closed-loop relay with PAIRS pairs (default 40) against it, counts the server's instructions
# for 30 s of the measured phase, and prints them divided by the frames the server received in
# that window (its peerline_frames_in_total counter). The callgrind file is left in
# ${TMPDIR:-/tmp}/peerline-callgrind/LABEL.out.1 for callgrind_annotate. Takes about 90 s.
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
"$(python -c 'from loadtests.launch import redis_server_path; print(redis_server_path())')" \
    --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$rdir" >/dev/null 2>&1 &
rpid=$!
export PEERLINE_RATE_PER_S=2000 PEERLINE_RATE_BURST=4000
# The real interpreter, not a pyenv shim (valgrind would trace the shell script instead).
python_bin=$(python -c 'import sys; print(sys.executable)')
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/$label.out" \
    "$python_bin" -c "import sys; from server.cli import main; sys.exit(main())" \
    serve --host 127.0.0.1 --port "$port" --redis-url "redis://127.0.0.1:$rport/0" \
    --log-level warning >"$work/$label.server.log" 2>&1 &
vpid=$!
cleanup() { kill "${gpid:-0}" "$vpid" "$rpid" 2>/dev/null || true; rm -rf "$rdir"; }
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
    curl -s "http://127.0.0.1:$port/metrics" | awk '/^peerline_frames_in_total /{print $2}'
}
before=$(frames_in)
callgrind_control -i on "$vpid" >/dev/null 2>&1
sleep 30
callgrind_control -i off "$vpid" >/dev/null 2>&1
after=$(frames_in)
callgrind_control -d "$vpid" >/dev/null 2>&1
sleep 1
total=$(callgrind_annotate "$work/$label.out.1" 2>/dev/null \
    | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
python -c "
frames = float('$after') - float('$before')
print(f'$label: {frames:.0f} frames in, {$total:,} instructions, '
      f'{$total / frames:,.0f} instructions per frame')"
