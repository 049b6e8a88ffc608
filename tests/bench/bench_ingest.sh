#!/usr/bin/env bash
# tests/bench/bench_ingest.sh - the ingest benchmark in one command.
#
# In one run, on this machine, against real peers only:
#   1. builds build-bench/ (Release, no sanitizers): alertdesk-ingest, the
#      alertdesk CLI, loadgen and pg_insert_baseline;
#   2. starts a private PostgreSQL (initdb in a temp dir, as a non-root user,
#      as tests/run.sh does), creates a database and migrates it with
#      `alertdesk migrate`;
#   3. pg_insert_baseline: the raw durable insert rate of the same rows;
#   4. starts alertdesk-ingest and runs loadgen against it: HTTP batch 1 and
#      batch 100, ZeroMQ batch 1 and batch 100; after each run checks that the
#      rows added to `events` equal the events loadgen saw acknowledged;
#   5. stops ingest and PostgreSQL, starts prometheus-alertmanager (memory
#      only, no cluster) and runs loadgen batch 1 and batch 100 on
#      POST /api/v2/alerts with the same alerts;
#   6. prints a table with the ratios alertdesk/Alertmanager (target >= 1.5x
#      at both batch sizes) and alertdesk/raw PostgreSQL (target >= 0.6), and
#      writes it with the date and the machine to tests/bench/RESULTS.md.
# Figures are printed, never asserted: the exit status is 0 when every step
# ran, whatever the figures; non-zero when a step could not run.
#
# Usage: tests/bench/bench_ingest.sh [--no-build] [--no-results] [--keep]
#   --no-build     use build-bench/ as it is
#   --no-results   print only; leave tests/bench/RESULTS.md alone
#   --keep         keep the temp dir (PostgreSQL data, logs, raw outputs)
# Environment (defaults in brackets):
#   BENCH_SECONDS [20]       each load run stops after this many seconds
#   BENCH_BUILD [build-bench] build dir
#   BENCH_RESOURCES [5000]   distinct resources (fingerprints) in the alerts
#   BENCH_CONN_B1 [64]       HTTP connections for batch 1 (both servers)
#   BENCH_CONN_B100 [16]     HTTP connections for batch 100 (both servers)
#   BENCH_ZMQ_B1 ["8 16"]    ZeroMQ sockets and requests in flight, batch 1
#   BENCH_ZMQ_B100 ["4 4"]   the same for batch 100
#   BENCH_PG_ROWS [200000]   rows per pg_insert_baseline method
#   BENCH_KEEP_RAW [0]       1: ingest.keep_raw true and the baseline with --raw
#   BENCH_QUIET_WAIT [60]    seconds to wait for an idle machine before each run
#   PG_BIN [/usr/lib/postgresql/15/bin], ALERTMANAGER [prometheus-alertmanager]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

BUILD_IT=1
WRITE_RESULTS=1
KEEP=0
while (($#)); do
    case "$1" in
    --no-build) BUILD_IT=0 ;;
    --no-results) WRITE_RESULTS=0 ;;
    --keep) KEEP=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench_ingest.sh: unknown argument: $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

BENCH_SECONDS=${BENCH_SECONDS:-20}
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
RESOURCES=${BENCH_RESOURCES:-5000}
CONN_B1=${BENCH_CONN_B1:-64}
CONN_B100=${BENCH_CONN_B100:-16}
read -r ZMQ_B1_SOCKETS ZMQ_B1_INFLIGHT <<<"${BENCH_ZMQ_B1:-8 16}"
read -r ZMQ_B100_SOCKETS ZMQ_B100_INFLIGHT <<<"${BENCH_ZMQ_B100:-4 4}"
PG_ROWS=${BENCH_PG_ROWS:-200000}
KEEP_RAW=${BENCH_KEEP_RAW:-0}
ALERTMANAGER=${ALERTMANAGER:-prometheus-alertmanager}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
RESULTS_MD=$ROOT/tests/bench/RESULTS.md
JOBS=$(nproc 2>/dev/null || echo 2)


# free_port, pg_private_start, pg_private_stop (shared with tests/run.sh).
# shellcheck source=tests/lib/private_pg.sh
source "$ROOT/tests/lib/private_pg.sh"
# shellcheck source=tests/lib/bench_common.sh
source "$ROOT/tests/lib/bench_common.sh"

# wait_http URL SECONDS - until URL answers 200.
wait_http() {
    local end=$((SECONDS + $2))
    while ((SECONDS < end)); do
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null)" == 200 ]]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# kv LINE KEY - the value of KEY in a key=value line.
kv() {
    local w
    for w in $1; do
        if [[ "$w" == "$2="* ]]; then
            echo "${w#*=}"
            return 0
        fi
    done
    echo ""
}

# ------------------------------------------------------------ CPU ledger --
# The machine is shared by the generator, the server and whatever else runs:
# each run records the CPU seconds of the server side, of loadgen and of
# everything else, so that a reader can tell a slow server from a busy box.
CLK_TCK=$(getconf CLK_TCK)
SERVER_KIND="" # alertdesk (ingest + PostgreSQL) or alertmanager

# proc_ticks PID... - user+system clock ticks used so far by these processes.
proc_ticks() {
    local pid sum=0 stat
    local -a f
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -ra f <<<"${stat##*) }" # fields from 3 on: utime is 14, stime 15
        sum=$((sum + f[11] + f[12]))
    done
    echo "$sum"
}

# busy_ticks - ticks all CPUs spent running processes (user, nice, system).
# Interrupt and softirq time are left out: loopback TCP is partly processed
# there, and it belongs to no process, ours or others'.
busy_ticks() {
    local _cpu u n s _rest
    read -r _cpu u n s _rest </proc/stat
    echo $((u + n + s))
}

# wait_quiet - before a run, wait (up to BENCH_QUIET_WAIT seconds) until the
# machine is nearly idle: under a quarter of one CPU busy over a second. Other
# work still running then is counted in the run's "other" CPU.
wait_quiet() {
    local end=$((SECONDS + QUIET_WAIT)) b0 b1
    while :; do
        b0=$(busy_ticks)
        sleep 1
        b1=$(busy_ticks)
        if (((b1 - b0) * 4 < CLK_TCK)); then
            return 0
        fi
        if ((SECONDS >= end)); then
            warn "machine still busy ($(((b1 - b0) * 100 / CLK_TCK))% of one CPU by others); running anyway"
            return 0
        fi
    done
}

# server_pids - the processes that make up the server under test.
server_pids() {
    if [[ "$SERVER_KIND" == alertmanager ]]; then
        echo "$AM_PID"
        return
    fi
    local pm
    echo "$INGEST_PID"
    pm=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
    if [[ "$pm" =~ ^[0-9]+$ ]]; then
        echo "$pm"
        ps -o pid= --ppid "$pm" 2>/dev/null || true
    fi
}

# ---------------------------------------------------------------- cleanup --
TMP=""
INGEST_PID=""
AM_PID=""


stop_postgres() {
    pg_private_stop
}

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$INGEST_PID" alertdesk-ingest
    stop_pid "$AM_PID" alertmanager
    stop_postgres
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        if ((KEEP || rc != 0)); then
            say "kept $TMP (logs, raw outputs)"
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'warn "interrupted"; exit 130' INT
trap 'warn "terminated"; exit 143' TERM

# ------------------------------------------------------------------ build --
LOADGEN=$BUILD/tests/bench/loadgen
PGBASE=$BUILD/tests/bench/pg_insert_baseline
INGEST=$BUILD/ingest/alertdesk-ingest
CLI=$BUILD/cli/alertdesk
if ((BUILD_IT)); then
    say "building $BUILD (Release)"
    mkdir -p "$BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$BUILD/configure.log" 2>&1 ||
        { tail -n 30 "$BUILD/configure.log"; die "cmake configure failed"; }
    cmake --build "$BUILD" -j "$JOBS" --target alertdesk-ingest alertdesk loadgen \
        pg_insert_baseline >"$BUILD/build.log" 2>&1 ||
        { grep -E 'error|undefined' "$BUILD/build.log" | head -n 30; die "build failed"; }
fi
for b in "$LOADGEN" "$PGBASE" "$INGEST" "$CLI"; do
    [[ -x "$b" ]] || die "missing $b (build first, or drop --no-build)"
done
command -v "$ALERTMANAGER" >/dev/null || die "no $ALERTMANAGER (apt-get install prometheus-alertmanager)"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/alertdesk-bench.XXXXXX)
chmod 0755 "$TMP"
RAW=$TMP/raw.txt # every summary line of the run, for RESULTS.md
: >"$RAW"

# --------------------------------------------------------------- postgres --
say "starting a private PostgreSQL"
# Durable like production: fsync and synchronous_commit on; the rest is
# PostgreSQL's defaults, as a stock server would have them.
pg_private_start "$TMP/pg" tests/bench/bench_ingest.sh || die "postgres did not start"
export PGDATABASE=alertdesk_bench
createdb -T template0 -E UTF8 alertdesk_bench
DATABASE_URL="postgresql://alertdesk@127.0.0.1:$PG_PORT/alertdesk_bench"
psql_q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
PG_VERSION=$(psql_q "SHOW server_version" | cut -d' ' -f1)

# ----------------------------------------------------------------- config --
HTTP_PORT=$(free_port)
ZMQ_PORT=$(free_port)
PUB_PORT=$(free_port)
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CFG=$TMP/alertdesk.yml
keep_raw=false
((KEEP_RAW)) && keep_raw=true
cat >"$CFG" <<EOF
# written by tests/bench/bench_ingest.sh
log:
  level: warn
database:
  url: "$DATABASE_URL"
ingest:
  stream: bench-ingest-1
  http:
    listen: "127.0.0.1:$HTTP_PORT"
  zmq:
    listen: "tcp://127.0.0.1:$ZMQ_PORT"
  publish: "tcp://127.0.0.1:$PUB_PORT"
  keep_raw: $keep_raw
auth:
  required: true
  tokens:
    - {name: bench, role: ingest, token: "$TOKEN"}
EOF

say "migrating"
"$CLI" migrate --config "$CFG" >"$TMP/migrate.log" 2>&1 ||
    { cat "$TMP/migrate.log" >&2; die "alertdesk migrate failed"; }

# ------------------------------------------------------------ pg baseline --
raw_args=()
((KEEP_RAW)) && raw_args=(--raw)
wait_quiet
say "raw PostgreSQL: pg_insert_baseline, $PG_ROWS rows per method, batches of 1000, 1 connection"
"$PGBASE" --dsn "$DATABASE_URL" --count "$PG_ROWS" --batch 1000 --resources "$RESOURCES" \
    "${raw_args[@]}" >"$TMP/pg1.out" 2>"$TMP/pg1.err" || { cat "$TMP/pg1.err" >&2; die "pg_insert_baseline failed"; }
tee -a "$RAW" <"$TMP/pg1.out"
say "raw PostgreSQL: copy_binary over 2 connections (for reference)"
"$PGBASE" --dsn "$DATABASE_URL" --count "$PG_ROWS" --batch 1000 --resources "$RESOURCES" \
    --connections 2 --methods copy_binary "${raw_args[@]}" >"$TMP/pg2.out" 2>"$TMP/pg2.err" ||
    { cat "$TMP/pg2.err" >&2; die "pg_insert_baseline failed"; }
grep '^method=' "$TMP/pg2.out" | tee -a "$RAW"
PG_BEST_LINE=$(grep '^best_method=' "$TMP/pg1.out")
PG_BEST=$(kv "$PG_BEST_LINE" best_rows_per_s)
PG_BEST_METHOD=$(kv "$PG_BEST_LINE" best_method)
PG_2CONN=$(kv "$(grep '^method=copy_binary ' "$TMP/pg2.out")" rows_per_s)
PG_SETTINGS=$(head -n 1 "$TMP/pg1.out")

# ----------------------------------------------------------------- ingest --
say "starting alertdesk-ingest (http 127.0.0.1:$HTTP_PORT, zmq tcp://127.0.0.1:$ZMQ_PORT)"
"$INGEST" --config "$CFG" >"$TMP/ingest.log" 2>&1 &
INGEST_PID=$!
wait_http "http://127.0.0.1:$HTTP_PORT/healthz" 30 ||
    { tail -n 30 "$TMP/ingest.log" >&2; die "alertdesk-ingest did not become healthy"; }

declare -A RES=() # run name -> loadgen summary line
declare -A STORED=() # run name -> "rows_added=N check=ok|MISMATCH"
declare -A CPU=()    # run name -> "server_cpu_s=.. loadgen_cpu_s=.. other_cpu_s=.. wall_s=.."
SERVER_KIND=alertdesk

events_rows() { psql_q "SELECT count(*) FROM events"; }

# run_loadgen NAME ARGS... - one load run; its summary line lands in RES.
run_loadgen() {
    local name=$1 out line
    shift
    out=$TMP/$name.out
    local srv0 busy0 srv1 busy1
    wait_quiet
    # shellcheck disable=SC2046 # one pid per word
    srv0=$(proc_ticks $(server_pids))
    busy0=$(busy_ticks)
    "$LOADGEN" --duration "$BENCH_SECONDS" --timeout 10 --resources "$RESOURCES" "$@" \
        >"$out" 2>"$TMP/$name.err" || { tail -n 5 "$TMP/$name.err" >&2; die "loadgen $name failed"; }
    # Progress, one line per second, shown as it was.
    grep '^loadgen: t=' "$TMP/$name.err" | sed 's/^/   /' | tail -n 3
    # shellcheck disable=SC2046
    srv1=$(proc_ticks $(server_pids))
    busy1=$(busy_ticks)
    line=$(tail -n 1 "$out")
    RES[$name]=$line
    CPU[$name]=$(awk -v s=$((srv1 - srv0)) -v b=$((busy1 - busy0)) -v t="$CLK_TCK" \
        -v l="$(kv "$line" loadgen_cpu_s)" -v w="$(kv "$line" elapsed_s)" \
        -v e="$(kv "$line" events_acked)" 'BEGIN {
        o = b / t - s / t - l; if (o < 0) o = 0
        printf "server_cpu_s=%.1f loadgen_cpu_s=%.1f other_cpu_s=%.1f wall_s=%.1f", s / t, l, o, w
        printf " server_cpu_us_per_event=%.1f", (e > 0 ? s / t * 1e6 / e : 0) }')
    printf '%s %s\n' "$name" "$line" >>"$RAW"
    printf '%s cpu %s\n' "$name" "${CPU[$name]}" >>"$RAW"
    printf '   events_per_s=%s ack_latency_p50_ms=%s p99_ms=%s errors=%s (%s)\n' \
        "$(kv "$line" events_per_s)" "$(kv "$line" ack_latency_p50_ms)" \
        "$(kv "$line" ack_latency_p99_ms)" "$(kv "$line" errors)" "$(kv "$line" errors_by_status)"
    printf '   CPU seconds: %s\n' "${CPU[$name]}"
}

# run_alertdesk NAME ARGS... - a load run against ingest, then the
# accepted-and-stored check: rows added to events == events acked.
run_alertdesk() {
    local name=$1 before after acked added check
    shift
    before=$(events_rows)
    run_loadgen "$name" "$@"
    # A request that timed out on our side may still commit a moment later.
    sleep 1
    after=$(events_rows)
    acked=$(kv "${RES[$name]}" events_acked)
    added=$((after - before))
    check=ok
    [[ "$added" == "$acked" ]] || check=MISMATCH
    STORED[$name]="rows_added=$added acked=$acked check=$check"
    printf '%s stored %s\n' "$name" "${STORED[$name]}" >>"$RAW"
    printf '   accepted-and-stored: %s rows added to events, %s acked: %s\n' "$added" "$acked" "$check"
}

HTTP_URL="http://127.0.0.1:$HTTP_PORT/api/v1/events"
ZMQ_URL="tcp://127.0.0.1:$ZMQ_PORT"
say "alertdesk http batch 1 ($CONN_B1 connections, ${BENCH_SECONDS}s)"
run_alertdesk ad_http_b1 --target http --url "$HTTP_URL" --token "$TOKEN" --batch 1 \
    --connections "$CONN_B1"
say "alertdesk http batch 100 ($CONN_B100 connections, ${BENCH_SECONDS}s)"
run_alertdesk ad_http_b100 --target http --url "$HTTP_URL" --token "$TOKEN" --batch 100 \
    --connections "$CONN_B100"
say "alertdesk zmq batch 1 ($ZMQ_B1_SOCKETS sockets x $ZMQ_B1_INFLIGHT in flight, ${BENCH_SECONDS}s)"
run_alertdesk ad_zmq_b1 --target zmq --url "$ZMQ_URL" --batch 1 --connections "$ZMQ_B1_SOCKETS" \
    --inflight "$ZMQ_B1_INFLIGHT"
say "alertdesk zmq batch 100 ($ZMQ_B100_SOCKETS sockets x $ZMQ_B100_INFLIGHT in flight, ${BENCH_SECONDS}s)"
run_alertdesk ad_zmq_b100 --target zmq --url "$ZMQ_URL" --batch 100 \
    --connections "$ZMQ_B100_SOCKETS" --inflight "$ZMQ_B100_INFLIGHT"
EVENTS_BYTES=$(psql_q "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
                       WHERE inhparent = 'events'::regclass" 2>/dev/null || echo "")
EVENTS_ROWS=$(events_rows)

# Alertmanager gets the two cores to itself, as alertdesk had them (with
# PostgreSQL, which is part of alertdesk's cost).
say "stopping alertdesk-ingest and PostgreSQL"
stop_pid "$INGEST_PID" alertdesk-ingest
INGEST_PID=""
stop_postgres

# ----------------------------------------------------------- alertmanager --
AM_PORT=$(free_port)
AM_CLUSTER_OFF=--cluster.listen-address=
mkdir -p "$TMP/am"
cat >"$TMP/am/alertmanager.yml" <<'EOF'
# One route to a receiver without integrations: alerts are taken, stored in
# memory, grouped and dropped at notification time.
route:
  receiver: blackhole
  group_by: ['alertname', 'site']
receivers:
  - name: blackhole
EOF
AM_VERSION=$("$ALERTMANAGER" --version 2>&1 | head -n 1 | awk '{print $3}')
say "starting Alertmanager $AM_VERSION on 127.0.0.1:$AM_PORT (memory only, no cluster)"
"$ALERTMANAGER" --config.file="$TMP/am/alertmanager.yml" --storage.path="$TMP/am/data" \
    --web.listen-address="127.0.0.1:$AM_PORT" "$AM_CLUSTER_OFF" >"$TMP/am.log" 2>&1 &
AM_PID=$!
SERVER_KIND=alertmanager
wait_http "http://127.0.0.1:$AM_PORT/-/ready" 30 ||
    { tail -n 30 "$TMP/am.log" >&2; die "alertmanager did not become ready"; }
AM_URL="http://127.0.0.1:$AM_PORT/api/v2/alerts"
say "alertmanager batch 1 ($CONN_B1 connections, ${BENCH_SECONDS}s)"
run_loadgen am_b1 --target alertmanager --url "$AM_URL" --batch 1 --connections "$CONN_B1"
say "alertmanager batch 100 ($CONN_B100 connections, ${BENCH_SECONDS}s)"
run_loadgen am_b100 --target alertmanager --url "$AM_URL" --batch 100 --connections "$CONN_B100"
AM_RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$AM_PID/status" 2>/dev/null || echo "")
stop_pid "$AM_PID" alertmanager
AM_PID=""

# ------------------------------------------------------------------ table --
ratio() { # ratio A B - A/B with two decimals, "n/a" when B is 0 or empty
    awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'
}
meets() { # meets RATIO TARGET
    awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "n/a"; else if (r + 0 >= t + 0) print "yes"; else print "NO" }'
}
eps() { kv "${RES[$1]}" events_per_s; }

CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
NPROC=$(nproc)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=""
if git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q .; then
    DIRTY=" (with uncommitted changes)"
fi

table() {
    local name label line
    printf '| run | events/s | requests/s | ack p50 ms | ack p99 ms | ack max ms | errors | stored = acked | server CPU µs/event | CPU s server / loadgen / other |\n'
    printf '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |\n'
    for name in ad_http_b1 ad_http_b100 ad_zmq_b1 ad_zmq_b100 am_b1 am_b100; do
        line=${RES[$name]:-}
        case $name in
        ad_http_b1) label="alertdesk HTTP, batch 1, $CONN_B1 conns" ;;
        ad_http_b100) label="alertdesk HTTP, batch 100, $CONN_B100 conns" ;;
        ad_zmq_b1) label="alertdesk ZeroMQ, batch 1, ${ZMQ_B1_SOCKETS}x${ZMQ_B1_INFLIGHT} in flight" ;;
        ad_zmq_b100) label="alertdesk ZeroMQ, batch 100, ${ZMQ_B100_SOCKETS}x${ZMQ_B100_INFLIGHT} in flight" ;;
        am_b1) label="Alertmanager $AM_VERSION, batch 1, $CONN_B1 conns" ;;
        am_b100) label="Alertmanager $AM_VERSION, batch 100, $CONN_B100 conns" ;;
        esac
        local err stored
        err=$(kv "$line" errors)
        [[ "$err" != 0 && -n "$err" ]] && err="$err ($(kv "$line" errors_by_status))"
        stored=$(kv "${STORED[$name]:-}" check)
        [[ -n "$stored" ]] && stored="$stored ($(kv "${STORED[$name]}" rows_added) rows)"
        local cpu=${CPU[$name]:-}
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s of %s s wall |\n' \
            "$label" "$(kv "$line" events_per_s)" "$(kv "$line" requests_per_s)" \
            "$(kv "$line" ack_latency_p50_ms)" "$(kv "$line" ack_latency_p99_ms)" \
            "$(kv "$line" ack_latency_max_ms)" "${err:-}" "${stored:-n/a (memory only)}" \
            "$(kv "$cpu" server_cpu_us_per_event)" \
            "$(kv "$cpu" server_cpu_s)" "$(kv "$cpu" loadgen_cpu_s)" "$(kv "$cpu" other_cpu_s)" \
            "$(kv "$cpu" wall_s)"
    done
    printf '| raw PostgreSQL, %s, batch 1000, 1 connection | %s | | | | | | | | |\n' "$PG_BEST_METHOD" "$PG_BEST"
    printf '| raw PostgreSQL, copy_binary, batch 1000, 2 connections | %s | | | | | | | | |\n' "$PG_2CONN"
    local busy_runs="" o w
    for name in ad_http_b1 ad_http_b100 ad_zmq_b1 ad_zmq_b100 am_b1 am_b100; do
        o=$(kv "${CPU[$name]:-}" other_cpu_s)
        w=$(kv "${CPU[$name]:-}" wall_s)
        if awk -v o="${o:-0}" -v w="${w:-0}" -v n="$NPROC" 'BEGIN { exit !(o > 0.1 * n * w) }'; then
            busy_runs+=" $name"
        fi
    done
    echo
    if [[ -n "$busy_runs" ]]; then
        printf 'Other processes took more than 10%% of the machine during:%s. Those figures are\n' "$busy_runs"
        printf 'lower than this machine gives when idle; server CPU µs/event is the steadier figure.\n'
    else
        printf 'No run had more than 10%% of the machine taken by other processes.\n'
    fi
    echo
    local best_ad r
    best_ad=$(printf '%s\n%s\n' "$(eps ad_http_b100)" "$(eps ad_zmq_b100)" | sort -n | tail -n 1)
    printf '| ratio | value | target | met |\n| --- | ---: | ---: | --- |\n'
    r=$(ratio "$(eps ad_http_b1)" "$(eps am_b1)")
    printf '| alertdesk HTTP / Alertmanager, batch 1 | %s | 1.5 | %s |\n' "$r" "$(meets "$r" 1.5)"
    r=$(ratio "$(eps ad_http_b100)" "$(eps am_b100)")
    printf '| alertdesk HTTP / Alertmanager, batch 100 | %s | 1.5 | %s |\n' "$r" "$(meets "$r" 1.5)"
    r=$(ratio "$(eps ad_zmq_b1)" "$(eps am_b1)")
    printf '| alertdesk ZeroMQ / Alertmanager, batch 1 | %s | 1.5 | %s |\n' "$r" "$(meets "$r" 1.5)"
    r=$(ratio "$(eps ad_zmq_b100)" "$(eps am_b100)")
    printf '| alertdesk ZeroMQ / Alertmanager, batch 100 | %s | 1.5 | %s |\n' "$r" "$(meets "$r" 1.5)"
    r=$(ratio "$best_ad" "$PG_BEST")
    printf '| alertdesk best batch-100 / raw PostgreSQL (1 connection) | %s | 0.6 | %s |\n' "$r" "$(meets "$r" 0.6)"
}

TABLE=$(table)
say "results"
echo "$TABLE"

if ((WRITE_RESULTS)); then
    # bench_e2e.sh keeps its figures below a marker line in the same file:
    # they survive this rewrite.
    E2E_MARKER='<!-- bench_e2e.sh: everything below is written by tests/bench/bench_e2e.sh -->'
    E2E_PART=""
    if [[ -f "$RESULTS_MD" ]] && grep -qF "$E2E_MARKER" "$RESULTS_MD"; then
        E2E_PART=$(sed -n '/^<!-- bench_e2e.sh: /,$p' "$RESULTS_MD")
    fi
    {
        cat <<EOF
# Ingest benchmark results

Written by \`tests/bench/bench_ingest.sh\` (see [README.md](README.md) for what
each figure means and the caveats). Re-running the script overwrites this file.

- date: $DATE
- commit: $COMMIT$DIRTY
- machine: $NPROC CPUs, $CPU_MODEL; load generator, server and PostgreSQL share them;
  load average before the run: $LOAD_BEFORE (other work on the machine shows as "other" CPU below)
- PostgreSQL $PG_VERSION (private, durable: \`$(echo "$PG_SETTINGS" | sed 's/avg_event_bytes=[0-9]*//; s/ *$//')\`)
- Alertmanager $AM_VERSION, memory only, no cluster; resident memory after the runs: ${AM_RSS_KB:-?} kB
- each run ${BENCH_SECONDS} s, closed loop, $RESOURCES distinct resources, ~$(kv "${RES[ad_http_b1]:-}" event_bytes)-byte events, ingest.keep_raw $keep_raw
- events table after the runs: $EVENTS_ROWS rows${EVENTS_BYTES:+, $EVENTS_BYTES bytes with indexes}

$TABLE

<details><summary>Raw summary lines</summary>

\`\`\`
$(cat "$RAW")
\`\`\`
</details>
EOF
        if [[ -n "$E2E_PART" ]]; then
            printf '\n%s\n' "$E2E_PART"
        fi
    } >"$RESULTS_MD"
    say "wrote ${RESULTS_MD#"$ROOT"/}"
fi
