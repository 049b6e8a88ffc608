# shellcheck shell=bash
# tests/lib/bench_common.sh - what every benchmark script shares (source it
# after tests/lib/private_pg.sh):
#   say MSG / warn MSG / die MSG   progress on stdout, warnings and the
#                                  fatal reason on stderr (die exits 1)
#   stop_pid PID NAME              TERM, wait up to 20 s, then KILL; reap

say() { printf '== %s\n' "$*"; }
warn() { printf '!! %s\n' "$*" >&2; }
die() {
    warn "$*"
    exit 1
}

stop_pid() {
    local pid=$1 _
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        warn "$2 (pid $pid) ignored SIGTERM for 20 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
