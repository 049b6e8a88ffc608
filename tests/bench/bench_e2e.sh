#!/usr/bin/env bash
# tests/bench/bench_e2e.sh - the end-to-end benchmark, and the one command
# that runs every benchmark.
#
# In one run, on this machine, against real peers only:
#   1. builds build-bench/ (Release, no sanitizers): the four daemons, the
#      CLI, loadgen, alert_feed, http_receiver and the other bench tools;
#      installs gnuplot-nox when it is missing (as root, with apt-get);
#   2. starts a private durable PostgreSQL (as bench_ingest.sh does), an
#      http_receiver as the page target, and the quickstart-like stack:
#      alertdesk-ingest, -correlator, -ticketer and -notifier, one queue,
#      one on-call user paged by webhook at level 1;
#   3. for each offered load of E2E_LOADS alerts/s: loadgen sends that load
#      open loop over HTTP (LinkDown storms grouped into a few incidents by
#      site: the background), while alert_feed sends E2E_PROBE_RATE probes/s,
#      each a new resource that opens its own incident, ticket and page, and
#      records when each probe was sent. After the run, and once everything
#      has drained, the latencies come from the database and the receiver:
#        alert -> ticket: probe sent -> ticket_events 'opened' committed_at
#        alert -> page:   probe sent -> the page's arrival at the receiver
#      (p50/p99/max), with loadgen's achieved rate, the correlator's lag at
#      the end of the run and the CPU taken by other processes;
#   4. resident memory (VmRSS and peak VmHWM) of each daemon at the end;
#   5. unless --only e2e: bench_ingest.sh (alertdesk vs Alertmanager's
#      POST /api/v2/alerts on the same alerts, and raw PostgreSQL; it writes
#      the top of RESULTS.md) and bench_storm.sh (1M alerts through every
#      daemon; STORM_RESULTS.md), with --no-build;
#   6. plots latency against offered load with gnuplot into
#      tests/bench/e2e_latency.svg and .png, and writes the figures below
#      the marker line in tests/bench/RESULTS.md with the date and machine.
# Figures are printed, never asserted: the exit status is 0 when every step
# ran, whatever the figures; non-zero when a step could not run.
#
# Usage: tests/bench/bench_e2e.sh [--no-build] [--no-results] [--keep] [--only e2e]
#   --no-build     use the build dir as it is
#   --no-results   print only; leave RESULTS.md, STORM_RESULTS.md and the plot alone
#   --keep         keep the temp dir (PostgreSQL data, logs, raw outputs)
#   --only e2e     skip bench_ingest.sh and bench_storm.sh
# Environment (defaults in brackets):
#   E2E_LOADS ["0 1000 5000 10000"]  offered background loads, alerts/s
#   E2E_SECONDS [20]        each load runs this long
#   E2E_PROBE_RATE [20]     probes (new incidents) per second at every load
#   E2E_DRAIN_TIMEOUT [120] seconds to wait for the pipeline after a run
#   BENCH_SMOKE [0]         1: a few seconds (loads "0 500", 3 s, --only e2e,
#                           --no-results): proves the script still runs
#   BENCH_BUILD [build-bench] build dir
#   BENCH_QUIET_WAIT [60]   seconds to wait for an idle machine before a run
#   PG_BIN [/usr/lib/postgresql/15/bin]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

BUILD_IT=1
WRITE_RESULTS=1
KEEP=0
ONLY=""
while (($#)); do
    case "$1" in
    --no-build) BUILD_IT=0 ;;
    --no-results) WRITE_RESULTS=0 ;;
    --keep) KEEP=1 ;;
    --only)
        ONLY=${2:-}
        [[ "$ONLY" == e2e ]] || { echo "bench_e2e.sh: --only takes e2e" >&2; exit 2; }
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench_e2e.sh: unknown argument: $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

SMOKE=${BENCH_SMOKE:-0}
LOADS=${E2E_LOADS:-0 1000 5000 10000}
SECS=${E2E_SECONDS:-20}
PROBE_RATE=${E2E_PROBE_RATE:-20}
DRAIN_TIMEOUT=${E2E_DRAIN_TIMEOUT:-120}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
if ((SMOKE)); then
    LOADS="0 500"
    SECS=3
    PROBE_RATE=10
    DRAIN_TIMEOUT=60
    QUIET_WAIT=0
    ONLY=e2e
    WRITE_RESULTS=0
fi
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
RESULTS_MD=$ROOT/tests/bench/RESULTS.md
PLOT=$ROOT/tests/bench/e2e_latency
MARKER='<!-- bench_e2e.sh: everything below is written by tests/bench/bench_e2e.sh -->'
JOBS=$(nproc 2>/dev/null || echo 2)


# free_port, pg_private_start, pg_private_stop (shared with tests/run.sh).
# shellcheck source=tests/lib/private_pg.sh
source "$ROOT/tests/lib/private_pg.sh"
# shellcheck source=tests/lib/bench_common.sh
source "$ROOT/tests/lib/bench_common.sh"

wait_http() { # URL SECONDS - until URL answers 200
    local end=$((SECONDS + $2))
    while ((SECONDS < end)); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null)" == 200 ]] && return 0
        sleep 0.2
    done
    return 1
}
kv() { # LINE KEY - the value of KEY in a key=value line
    local w
    for w in $1; do
        [[ "$w" == "$2="* ]] && { echo "${w#*=}"; return 0; }
    done
    echo ""
}
CLK_TCK=$(getconf CLK_TCK)
proc_ticks() { # PID... - user+system ticks used so far
    local pid sum=0 stat
    local -a f
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -ra f <<<"${stat##*) }"
        sum=$((sum + f[11] + f[12]))
    done
    echo "$sum"
}
busy_ticks() { # ticks all CPUs spent in user, nice and system
    local _cpu u n s _rest
    read -r _cpu u n s _rest </proc/stat
    echo $((u + n + s))
}
wait_quiet() { # up to QUIET_WAIT s until under a quarter of one CPU is busy
    local end=$((SECONDS + QUIET_WAIT)) b0 b1
    while ((QUIET_WAIT > 0)); do
        b0=$(busy_ticks)
        sleep 1
        b1=$(busy_ticks)
        (((b1 - b0) * 4 < CLK_TCK)) && return 0
        if ((SECONDS >= end)); then
            warn "machine still busy ($(((b1 - b0) * 100 / CLK_TCK))% of one CPU by others); running anyway"
            return 0
        fi
    done
}
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- cleanup --
TMP=""
declare -A PIDS=() # name -> pid of what we started

stop_stack() {
    local n
    for n in loadgen feed notifier ticketer correlator ingest receiver; do
        [[ -n "${PIDS[$n]:-}" ]] && stop_pid "${PIDS[$n]}" "$n"
        unset "PIDS[$n]"
    done
    pg_private_stop
}
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_stack
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
INGEST=$BUILD/ingest/alertdesk-ingest
CORR=$BUILD/correlator/alertdesk-correlator
TICK=$BUILD/ticketer/alertdesk-ticketer
NOTE=$BUILD/notifier/alertdesk-notifier
CLI=$BUILD/cli/alertdesk
LOADGEN=$BUILD/tests/bench/loadgen
FEED=$BUILD/tests/tools/alert_feed
RECEIVER=$BUILD/tests/tools/http_receiver
if ((BUILD_IT)); then
    say "building $BUILD (Release)"
    mkdir -p "$BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$BUILD/configure.log" 2>&1 ||
        { tail -n 30 "$BUILD/configure.log"; die "cmake configure failed"; }
    cmake --build "$BUILD" -j "$JOBS" --target alertdesk-ingest alertdesk-correlator \
        alertdesk-ticketer alertdesk-notifier alertdesk loadgen alert_feed http_receiver \
        pg_insert_baseline bench_corr_engine >"$BUILD/build.log" 2>&1 ||
        { grep -E 'error|undefined' "$BUILD/build.log" | head -n 30; die "build failed"; }
fi
if ((SMOKE)) && [[ ! -x "$PG_BIN/initdb" ]] && ! find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | grep -q .; then
    echo "SKIP: bench_e2e.sh smoke needs the PostgreSQL server binaries (initdb)"
    exit 77
fi
for b in "$INGEST" "$CORR" "$TICK" "$NOTE" "$CLI" "$LOADGEN" "$FEED" "$RECEIVER"; do
    [[ -x "$b" ]] || die "missing $b (build first, or drop --no-build)"
done
command -v jq >/dev/null || die "no jq (apt-get install jq)"
if ! command -v gnuplot >/dev/null && ((!SMOKE)); then
    if ((EUID == 0)) && command -v apt-get >/dev/null; then
        say "installing gnuplot-nox (for the plot)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >"$BUILD/gnuplot-install.log" 2>&1 ||
            warn "could not install gnuplot-nox: no plot (see $BUILD/gnuplot-install.log)"
    else
        warn "no gnuplot (apt-get install gnuplot-nox): no plot"
    fi
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/alertdesk-e2e.XXXXXX)
chmod 0755 "$TMP"

# --------------------------------------------------------------- postgres --
say "starting a private PostgreSQL"
pg_private_start "$TMP/pg" tests/bench/bench_e2e.sh || die "postgres did not start"
export PGDATABASE=alertdesk_e2e
createdb -T template0 -E UTF8 alertdesk_e2e
psql_q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
PG_VERSION=$(psql_q "SHOW server_version" | cut -d' ' -f1)

# ----------------------------------------------------------------- config --
HTTP_PORT=$(free_port)
ZMQ_PORT=$(free_port)
PUB_PORT=$(free_port)
CORR_HTTP=$(free_port)
CORR_PUB=$(free_port)
TICK_HTTP=$(free_port)
TICK_PUB=$(free_port)
NOTE_HTTP=$(free_port)
HP=$(free_port)
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CFG=$TMP/alertdesk.yml
cat >"$TMP/rules.yml" <<'EOF'
# loadgen's LinkDown storm groups by site; every probe is an incident of its own.
domain_key: site
unmatched: per_fingerprint
rules:
  - name: linkdown-by-site
    match: ["check = LinkDown"]
    group_by: [site]
EOF
cat >"$TMP/routing.yml" <<'EOF'
queues:
  - {name: NOC, key_prefix: NOC, auto_resolve: true, auto_close_after: 24h}
EOF
cat >"$TMP/people.yml" <<EOF
users:
  - {name: oncall, contacts: [{type: webhook, address: "http://127.0.0.1:$HP/page"}]}
teams:
  - {name: noc, members: [oncall], escalation_policy: page-now, queues: [NOC]}
escalation_policies:
  - name: page-now
    levels:
      - {delay: 30m, targets: ["user:oncall"]}
EOF
cat >"$CFG" <<EOF
# written by tests/bench/bench_e2e.sh
log:
  level: warn
database:
  url: "postgresql://alertdesk@127.0.0.1:$PG_PORT/alertdesk_e2e"
ingest:
  stream: e2e-ingest
  http:
    listen: "127.0.0.1:$HTTP_PORT"
  zmq:
    listen: "tcp://127.0.0.1:$ZMQ_PORT"
  publish: "tcp://127.0.0.1:$PUB_PORT"
auth:
  required: true
  tokens:
    - {name: bench, role: ingest, token: "$TOKEN"}
correlator:
  stream: e2e-corr
  rules: "$TMP/rules.yml"
  http:
    listen: "127.0.0.1:$CORR_HTTP"
  publish: "tcp://127.0.0.1:$CORR_PUB"
  events: "tcp://127.0.0.1:$PUB_PORT"
ticketer:
  stream: e2e-tick
  routing: "$TMP/routing.yml"
  http:
    listen: "127.0.0.1:$TICK_HTTP"
  publish: "tcp://127.0.0.1:$TICK_PUB"
  incidents: "tcp://127.0.0.1:$CORR_PUB"
notifier:
  stream: e2e-notifier
  people: "$TMP/people.yml"
  http:
    listen: "127.0.0.1:$NOTE_HTTP"
  tickets: "tcp://127.0.0.1:$TICK_PUB"
  public_url: "http://127.0.0.1:$NOTE_HTTP"
  ack_secret: bench-ack-secret-0123456789
  allowed_url_prefixes: ["http://127.0.0.1:$HP/"]
  rate_limit_per_minute: 100000
EOF
say "migrating"
"$CLI" migrate --config "$CFG" >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log" >&2; die "migrate failed"; }

say "starting http_receiver (page target) and the four daemons"
"$RECEIVER" --port "$HP" --log "$TMP/pages.jsonl" /page=200 >"$TMP/receiver.log" 2>&1 &
PIDS[receiver]=$!
start_daemon() { # NAME BINARY HEALTH_PORT
    "$2" --config "$CFG" >"$TMP/$1.log" 2>&1 &
    PIDS[$1]=$!
    wait_http "http://127.0.0.1:$3/healthz" 30 || { tail -n 20 "$TMP/$1.log" >&2; die "$1 did not become healthy"; }
}
start_daemon ingest "$INGEST" "$HTTP_PORT"
start_daemon correlator "$CORR" "$CORR_HTTP"
start_daemon ticketer "$TICK" "$TICK_HTTP"
start_daemon notifier "$NOTE" "$NOTE_HTTP"
sleep 1 # the SUB sockets connect

head_of() { psql_q "SELECT coalesce((SELECT last_seq FROM stream_heads WHERE stream = '$1'), 0)"; }
offset_of() { psql_q "SELECT coalesce((SELECT last_seq FROM consumer_offsets WHERE consumer = '$1' AND stream = '$2'), 0)"; }
drained() { # every stream applied, no page waiting, every probe's page delivered
    [[ "$(head_of e2e-ingest)" == "$(offset_of e2e-corr e2e-ingest)" &&
        "$(head_of e2e-corr)" == "$(offset_of e2e-tick e2e-corr)" &&
        "$(head_of e2e-tick)" == "$(offset_of e2e-notifier e2e-tick)" &&
        "$(psql_q "SELECT count(*) FROM notifications WHERE state IN ('pending', 'sending')")" == 0 ]]
}
probes_paged() { # LOAD N - the N acknowledged probes of this run all have their page sent
    [[ "$(psql_q "SELECT count(DISTINCT t.id) FROM tickets t JOIN notifications n ON n.ticket_id = t.id
                   WHERE t.cause_resource LIKE 'p$1-probe-%' AND n.kind = 'page' AND n.state = 'sent'")" -ge "$2" ]]
}
psql_q "CREATE TABLE bench_probe (id text, resource text, chk text, status text, sent_us bigint,
                                  acked_us bigint, load integer)"
psql_q "CREATE TABLE bench_page (key text, unix_us bigint, status integer)"

# ------------------------------------------------------------------- runs --
declare -A RUN=() # load -> summary
# shellcheck disable=SC2206
LOAD_LIST=($LOADS)
for load in "${LOAD_LIST[@]}"; do
    wait_quiet
    say "offered load $load alerts/s + $PROBE_RATE probes/s for ${SECS}s"
    # shellcheck disable=SC2046
    srv0=$(proc_ticks "${PIDS[ingest]}" "${PIDS[correlator]}" "${PIDS[ticketer]}" "${PIDS[notifier]}" \
        $(ps -o pid= --ppid "$(head -n 1 "$PG_DATA/postmaster.pid")") "$(head -n 1 "$PG_DATA/postmaster.pid")")
    busy0=$(busy_ticks)
    if ((load > 0)); then
        batch=$((load >= 2000 ? 100 : 10))
        # loadgen leaves its pool to the exit; an ASan build (the smoke test
        # runs in the test build) would count that as a leak and fail it.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$LOADGEN" --target http --url "http://127.0.0.1:$HTTP_PORT/api/v1/events" --token "$TOKEN" \
            --batch "$batch" --connections 16 --rate "$((load / batch))" --duration "$SECS" \
            --timeout 10 --resources 5000 >"$TMP/loadgen-$load.out" 2>"$TMP/loadgen-$load.err" &
        PIDS[loadgen]=$!
    fi
    "$FEED" --url "http://127.0.0.1:$HTTP_PORT/api/v1/events" --token "$TOKEN" --mode probe \
        --rate "$PROBE_RATE" --batch 1 --duration "$SECS" --id-prefix "p$load" \
        --record "$TMP/probes-$load.txt" >"$TMP/feed-$load.out" 2>"$TMP/feed-$load.err" &
    PIDS[feed]=$!
    wait "${PIDS[feed]}" || die "alert_feed failed: $(tail -n 3 "$TMP/feed-$load.err")"
    unset "PIDS[feed]"
    lg=""
    if [[ -n "${PIDS[loadgen]:-}" ]]; then
        wait "${PIDS[loadgen]}" || die "loadgen failed: $(tail -n 3 "$TMP/loadgen-$load.err")"
        unset "PIDS[loadgen]"
        lg=$(tail -n 1 "$TMP/loadgen-$load.out")
    fi
    t_end=$SECONDS
    lag=$(($(head_of e2e-ingest) - $(offset_of e2e-corr e2e-ingest)))
    nprobes=$(wc -l <"$TMP/probes-$load.txt")
    while ! { probes_paged "$load" "$nprobes" && drained; } && ((SECONDS - t_end < DRAIN_TIMEOUT)); do
        sleep 0.5
    done
    drain_s=$((SECONDS - t_end))
    { probes_paged "$load" "$nprobes" && drained; } ||
        warn "not drained ${DRAIN_TIMEOUT}s after the run at $load alerts/s"
    # shellcheck disable=SC2046
    srv1=$(proc_ticks "${PIDS[ingest]}" "${PIDS[correlator]}" "${PIDS[ticketer]}" "${PIDS[notifier]}" \
        $(ps -o pid= --ppid "$(head -n 1 "$PG_DATA/postmaster.pid")") "$(head -n 1 "$PG_DATA/postmaster.pid")")
    busy1=$(busy_ticks)
    lg_cpu=$(kv "$lg" loadgen_cpu_s)
    other=$(awk -v s=$((srv1 - srv0)) -v b=$((busy1 - busy0)) -v t="$CLK_TCK" -v l="${lg_cpu:-0}" \
        'BEGIN { o = b / t - s / t - l; if (o < 0) o = 0; printf "%.1f", o }')
    awk -v l="$load" '{print $0 " " l}' "$TMP/probes-$load.txt" >"$TMP/probes-$load.load"
    psql -XAtq -v ON_ERROR_STOP=1 -c "\\copy bench_probe FROM '$TMP/probes-$load.load' WITH (DELIMITER ' ')"
    RUN[$load]="achieved=$(kv "$lg" events_per_s) lg_errors=$(kv "$lg" errors) late=$(kv "$lg" late) lag_at_end=$lag drain_s=$drain_s server_cpu_s=$(awk -v s=$((srv1 - srv0)) -v t="$CLK_TCK" 'BEGIN {printf "%.1f", s / t}') other_cpu_s=$other probes=$nprobes ingest_ack_p99_ms=$(kv "$(cat "$TMP/feed-$load.out")" ack_p99_ms)"
    printf '   %s\n' "${RUN[$load]}"
done

# ----------------------------------------------------------------- memory --
declare -A RSS=() HWM=()
for n in ingest correlator ticketer notifier; do
    RSS[$n]=$(status_kb "${PIDS[$n]}" VmRSS)
    HWM[$n]=$(status_kb "${PIDS[$n]}" VmHWM)
done

# -------------------------------------------------------------- latencies --
jq -r 'select(.path == "/page") | [.headers["idempotency-key"], .unix_us, .status] | @tsv' \
    "$TMP/pages.jsonl" >"$TMP/pages.tsv"
psql -XAtq -v ON_ERROR_STOP=1 -c "\\copy bench_page FROM '$TMP/pages.tsv'"
psql_q "CREATE TABLE bench_lat AS
        SELECT p.load, p.id,
               (extract(epoch FROM te.committed_at) * 1e6 - p.sent_us) / 1000.0 AS ticket_ms,
               (SELECT min(g.unix_us) FROM notifications n JOIN bench_page g ON g.key = n.idempotency_key
                 WHERE n.ticket_id = t.id AND n.kind = 'page' AND g.status = 200) AS page_us,
               p.sent_us
          FROM bench_probe p
          LEFT JOIN tickets t ON t.cause_resource = p.resource
          LEFT JOIN ticket_events te ON te.ticket_id = t.id AND te.kind = 'opened'"
LAT=$(psql -XAt -F ' ' -v ON_ERROR_STOP=1 -c "
        SELECT load, count(*), count(ticket_ms), count(page_us),
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ticket_ms)::numeric, 1),
               round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ticket_ms)::numeric, 1),
               round(max(ticket_ms)::numeric, 1),
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY (page_us - sent_us) / 1000.0)::numeric, 1),
               round(percentile_cont(0.99) WITHIN GROUP (ORDER BY (page_us - sent_us) / 1000.0)::numeric, 1),
               round(max((page_us - sent_us) / 1000.0)::numeric, 1)
          FROM bench_lat GROUP BY load ORDER BY load")
echo "$LAT" >"$TMP/latency.dat"

stop_stack

# ------------------------------------------------------------------ table --
CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
NPROC=$(nproc)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=""
git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . &&
    DIRTY=" (with uncommitted changes in the checkout)"
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'; }
BASE_T50=$(awk 'NR == 1 {print $5}' "$TMP/latency.dat")
BASE_P50=$(awk 'NR == 1 {print $8}' "$TMP/latency.dat")
TABLE=$(
    printf '| offered alerts/s | achieved (loadgen) | probes sent / ticketed / paged | alert -> ticket p50 / p99 / max ms | alert -> page p50 / p99 / max ms | ticket p50 / idle p50 | correlator lag at end (events) | drain s | server CPU s | other CPU s |\n'
    printf '| ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n'
    while read -r load n nt np t50 t99 tmax p50 p99 pmax; do
        r=${RUN[$load]}
        printf '| %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s | %s | %s | %s | %s |\n' \
            "$load" "$(kv "$r" achieved)" "$n" "$nt" "$np" "$t50" "$t99" "$tmax" "$p50" "$p99" "$pmax" \
            "$(ratio "$t50" "$BASE_T50")" "$(kv "$r" lag_at_end)" "$(kv "$r" drain_s)" \
            "$(kv "$r" server_cpu_s)" "$(kv "$r" other_cpu_s)"
    done <"$TMP/latency.dat"
    echo
    printf '| daemon | VmRSS kB at the end | peak VmHWM kB |\n| --- | ---: | ---: |\n'
    for n in ingest correlator ticketer notifier; do
        printf '| alertdesk-%s | %s | %s |\n' "$n" "${RSS[$n]}" "${HWM[$n]}"
    done
    printf '| all four | %s | %s |\n' "$((RSS[ingest] + RSS[correlator] + RSS[ticketer] + RSS[notifier]))" \
        "$((HWM[ingest] + HWM[correlator] + HWM[ticketer] + HWM[notifier]))"
)
say "end-to-end results (idle p50: ticket ${BASE_T50} ms, page ${BASE_P50} ms)"
echo "$TABLE"

# ------------------------------------------------------------ other benches --
if [[ "$ONLY" != e2e ]]; then
    res_arg=()
    ((WRITE_RESULTS)) || res_arg=(--no-results)
    say "bench_ingest.sh (alertdesk vs Alertmanager, raw PostgreSQL)"
    "$ROOT/tests/bench/bench_ingest.sh" --no-build "${res_arg[@]}" || die "bench_ingest.sh failed"
    say "bench_storm.sh (1M alerts through every daemon)"
    "$ROOT/tests/bench/bench_storm.sh" --no-build "${res_arg[@]}" || die "bench_storm.sh failed"
fi

# ------------------------------------------------------------------- plot --
plot() { # OUT_BASE - SVG and PNG of latency against offered load
    command -v gnuplot >/dev/null || { warn "no gnuplot: no plot"; return 0; }
    local term
    for term in "svg size 800,500 dynamic font 'sans,12'" "png size 800,500"; do
        gnuplot <<EOF || warn "gnuplot ($term) failed"
set terminal $term
set output '$1.${term%% *}'
set title "alertdesk end to end on $NPROC CPUs, $DATE ($PROBE_RATE probes/s on top of the load)"
set xlabel 'offered load (alerts/s)'
set ylabel 'latency (ms)'
set logscale y
set key left top
set grid
plot '$TMP/latency.dat' using 1:5 with linespoints lw 2 title 'alert -> ticket p50', \
     '' using 1:6 with linespoints lw 2 title 'alert -> ticket p99', \
     '' using 1:8 with linespoints lw 2 title 'alert -> page p50', \
     '' using 1:9 with linespoints lw 2 title 'alert -> page p99'
EOF
    done
}
if ((WRITE_RESULTS)); then
    plot "$PLOT"
    [[ -f "$PLOT.svg" ]] && say "plot: ${PLOT#"$ROOT"/}.svg and .png"
    [[ -f "$RESULTS_MD" ]] || : >"$RESULTS_MD"
    if ! grep -qF "$MARKER" "$RESULTS_MD"; then
        printf '\n%s\n' "$MARKER" >>"$RESULTS_MD"
    fi
    sed -i "/^$(printf '%s' "$MARKER" | sed 's/[][\.*^$/]/\\&/g')\$/q" "$RESULTS_MD"
    cat >>"$RESULTS_MD" <<EOF

# End-to-end benchmark results

Written by \`tests/bench/bench_e2e.sh\` (see the "End-to-end benchmark" section of
[README.md](README.md)). Figures are measured, never asserted.

- date: $DATE
- commit: $COMMIT$DIRTY
- machine: $NPROC CPUs, $CPU_MODEL; loadgen, alert_feed, the four daemons, the
  receiver and PostgreSQL share them; load average before the run: $LOAD_BEFORE;
  "other CPU s" is what processes outside this benchmark took during each run
- PostgreSQL $PG_VERSION (private, fsync, synchronous_commit and full_page_writes on)
- each load runs ${SECS} s: loadgen open loop over HTTP (LinkDown alerts over 5000
  ports, 10% resolved, grouped by site into a few incidents) plus $PROBE_RATE probes/s from
  alert_feed, each a new resource opening its own incident, ticket and page
  (one on-call user, webhook to http_receiver on loopback)
- alert -> ticket: probe sent -> \`ticket_events\` 'opened' \`committed_at\` (the
  ticketer's transaction time); alert -> page: probe sent -> the page's arrival
  at the receiver. "ticket p50 / idle p50" is the ratio to the run without load.

$TABLE

![latency against offered load](e2e_latency.svg)
EOF
    say "wrote ${RESULTS_MD#"$ROOT"/}"
fi
