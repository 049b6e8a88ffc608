#!/usr/bin/env bash
# tests/bench/bench_storm.sh - the correlator storm benchmark in one command.
#
# In one run, on this machine, against a real PostgreSQL and the real stream:
#   1. builds build-bench/ (Release): alertdesk-ingest, alertdesk-correlator,
#      the alertdesk CLI and bench_corr_engine; starts a private PostgreSQL
#      (durable, as bench_ingest.sh does) and migrates it;
#   2. runs bench_corr_engine (the in-memory engine alone) for the ratio
#      end-to-end / in-memory;
#   3. writes a rules file (group_by [site, check], domain_key site) with a
#      topology of STORM_SWITCHES switches x STORM_HOSTS hosts (the switch is
#      each host's parent; 500 x 20 = 10,500 resources by default) and
#      STORM_EVENTS native events as JSON lines: the onset (every resource
#      fires once; for even switches the switch fires before its hosts, for
#      odd ones the hosts fire first), then repeats of firing alerts at random
#      with 0.2% resolves (a repeat after a resolve re-fires the alert);
#   4. starts alertdesk-ingest and alertdesk-correlator (correlator.events =
#      ingest's publisher) and sends the onset with one `alertdesk send --file`
#      (order kept), then the repeats with STORM_SENDERS parallel
#      `alertdesk send --file` over ZeroMQ (batches of 500, each answered after
#      its commit). loadgen cannot send a given event sequence, and ZeroMQ is
#      ingest's fastest intake;
#   5. prints offset/head every second until the correlator's
#      consumer_offsets reaches the events head, then measures: ingest
#      accepted events/s, drain time, correlator events applied/s end to end
#      (including PostgreSQL), peak RSS (VmHWM) of ingest and correlator,
#      correlator RSS growth per open alert, open alerts and incidents and the
#      noise reduction (events -> alerts -> incidents) from the database, and
#      checks that nothing was lost (events rows == events acknowledged,
#      correlator offset == events head);
#   6. writes tests/bench/STORM_RESULTS.md with the date and the machine and
#      stops everything it started (trap EXIT).
# Figures are printed, never asserted: the exit status is 0 when every step
# ran, whatever the figures; non-zero when a step could not run.
#
# Usage: tests/bench/bench_storm.sh [--no-build] [--no-results] [--keep]
#   --no-build     use build-bench/ as it is
#   --no-results   print only; leave tests/bench/STORM_RESULTS.md alone
#   --keep         keep the temp dir (PostgreSQL data, logs, event files)
# Environment (defaults in brackets):
#   STORM_EVENTS [1000000]   events in the storm (onset included)
#   STORM_SWITCHES [500]     switches (parents), spread over 8 sites
#   STORM_HOSTS [20]         hosts per switch (children)
#   STORM_SENDERS [8]        parallel `alertdesk send --file` for the repeats
#   STORM_CORR_MAX_EVENTS, STORM_CORR_MAX_WAIT  correlator.batch.* for the run
#                            [unset: the settings' defaults]
#   STORM_DRAIN_TIMEOUT [180] seconds to wait for the correlator after the
#                            last event was acknowledged
#   BENCH_BUILD [build-bench] build dir
#   PG_BIN [/usr/lib/postgresql/15/bin]
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
        echo "bench_storm.sh: unknown argument: $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

EVENTS=${STORM_EVENTS:-1000000}
SWITCHES=${STORM_SWITCHES:-500}
HOSTS=${STORM_HOSTS:-20}
SENDERS=${STORM_SENDERS:-8}
DRAIN_TIMEOUT=${STORM_DRAIN_TIMEOUT:-180}
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
RESULTS_MD=$ROOT/tests/bench/STORM_RESULTS.md
JOBS=$(nproc 2>/dev/null || echo 2)
RESOURCES=$((SWITCHES * (HOSTS + 1)))
INGEST_STREAM=storm-ingest
CORR_STREAM=storm-corr

# free_port, pg_private_start, pg_private_stop (shared with tests/run.sh).
# shellcheck source=tests/lib/private_pg.sh
source "$ROOT/tests/lib/private_pg.sh"
# shellcheck source=tests/lib/bench_common.sh
source "$ROOT/tests/lib/bench_common.sh"

((EVENTS >= RESOURCES)) || die "STORM_EVENTS ($EVENTS) must be at least the resources ($RESOURCES)"
((SENDERS >= 1)) || die "STORM_SENDERS must be at least 1"

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

now() { date +%s.%N; }
# fdiv A B [FMT] - A/B formatted, "n/a" when B is 0.
fdiv() {
    awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b + 0 > 0) printf f, a / b; else printf "n/a" }'
}
# cpu_s PID... - user+system CPU seconds used so far by these processes.
CLK_TCK=$(getconf CLK_TCK)
cpu_s() {
    local pid sum=0 stat
    local -a f
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -ra f <<<"${stat##*) }" # fields from 3 on: utime is 14, stime 15
        sum=$((sum + f[11] + f[12]))
    done
    awk -v t="$sum" -v h="$CLK_TCK" 'BEGIN {printf "%.1f", t / h}'
}
# pg_pids - the postmaster and its children.
pg_pids() {
    local pm
    pm=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
    [[ "$pm" =~ ^[0-9]+$ ]] || return 0
    echo "$pm"
    ps -o pid= --ppid "$pm" 2>/dev/null || true
}
# status_kb PID FIELD - VmHWM / VmRSS of a process in kB.
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- cleanup --
TMP=""
INGEST_PID=""
CORR_PID=""
SENDER_PIDS=()


stop_postgres() {
    pg_private_stop
}

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${SENDER_PIDS[@]}"; do
        stop_pid "$pid" "alertdesk send"
    done
    stop_pid "$CORR_PID" alertdesk-correlator
    stop_pid "$INGEST_PID" alertdesk-ingest
    stop_postgres
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        if ((KEEP || rc != 0)); then
            say "kept $TMP (logs, event files)"
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
CLI=$BUILD/cli/alertdesk
ENGINE=$BUILD/tests/bench/bench_corr_engine
if ((BUILD_IT)); then
    say "building $BUILD (Release)"
    mkdir -p "$BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$BUILD/configure.log" 2>&1 ||
        { tail -n 30 "$BUILD/configure.log"; die "cmake configure failed"; }
    cmake --build "$BUILD" -j "$JOBS" --target alertdesk-ingest alertdesk-correlator alertdesk \
        bench_corr_engine >"$BUILD/build.log" 2>&1 ||
        { grep -E 'error|undefined' "$BUILD/build.log" | head -n 30; die "build failed"; }
fi
for b in "$INGEST" "$CORR" "$CLI" "$ENGINE"; do
    [[ -x "$b" ]] || die "missing $b (build first, or drop --no-build)"
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/alertdesk-storm.XXXXXX)
chmod 0755 "$TMP"

# ------------------------------------------------------- in-memory engine --
say "in-memory engine alone: bench_corr_engine (1M events, 10,100 resources)"
"$ENGINE" >"$TMP/engine.out" 2>&1 || { cat "$TMP/engine.out" >&2; die "bench_corr_engine failed"; }
sed 's/^/   /' "$TMP/engine.out"
ENGINE_EPS=$(awk '/^events [0-9]+ in / {for (i = 1; i <= NF; i++) if ($(i + 1) == "events/s") {print $i; exit}}' \
    "$TMP/engine.out")
ENGINE_BPA=$(awk '/bytes per alert/ {for (i = 1; i <= NF; i++) if ($(i + 1) == "bytes" && $(i + 2) == "per") {print $i; exit}}' \
    "$TMP/engine.out")

# --------------------------------------------------------------- postgres --
say "starting a private PostgreSQL"
# Durable like production: fsync and synchronous_commit on; the rest is
# PostgreSQL's defaults, as a stock server would have them.
pg_private_start "$TMP/pg" tests/bench/bench_storm.sh || die "postgres did not start"
export PGDATABASE=alertdesk_storm
createdb -T template0 -E UTF8 alertdesk_storm
DATABASE_URL="postgresql://alertdesk@127.0.0.1:$PG_PORT/alertdesk_storm"
psql_q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
PG_VERSION=$(psql_q "SHOW server_version" | cut -d' ' -f1)

# ------------------------------------------------------ rules and events --
SITES=(ams1 fra2 lon3 par1 mad2 waw1 sto1 mil2)
RULES=$TMP/storm-rules.yml
say "writing the rules file: $SWITCHES switches x $HOSTS hosts = $RESOURCES resources, group_by [site, check]"
{
    cat <<'EOF'
# written by tests/bench/bench_storm.sh
domain_key: site
unmatched: per_fingerprint
rules:
  - name: by-site-check
    group_by: [site, check]
topology:
  window: 5m
  on_parent_recovery: promote
  nodes:
EOF
    awk -v ns="$SWITCHES" -v nh="$HOSTS" 'BEGIN {
        for (s = 0; s < ns; s++)
            for (h = 0; h < nh; h++)
                printf "    - {resource: h%03d-%02d, parents: [sw%03d]}\n", s, h, s }'
} >"$RULES"
"$CLI" rules check "$RULES" >"$TMP/rules-check.log" 2>&1 ||
    { cat "$TMP/rules-check.log" >&2; die "the generated rules file does not load"; }

# The events: switch s is at site s % 8; host h%03d-%02d behind switch s has
# the same site. Onset in one file (order kept), repeats split over SENDERS
# files round robin.
say "writing $EVENTS events as JSON lines (onset $RESOURCES, then repeats with 0.2% resolves)"
T_GEN=$(now)
awk -v ns="$SWITCHES" -v nh="$HOSTS" -v n="$EVENTS" -v p="$SENDERS" -v dir="$TMP" \
    -v sites="${SITES[*]}" 'BEGIN {
    split(sites, site, " ")
    srand(42)
    nres = ns * (nh + 1)
    onset = dir "/onset.jsonl"
    # resource r: r % (nh + 1) == 0 is switch r / (nh + 1), otherwise a host
    for (s = 0; s < ns; s++) {
        if (s % 2 == 0) { ev(onset, s * (nh + 1), "firing") }
        for (h = 1; h <= nh; h++) ev(onset, s * (nh + 1) + h, "firing")
        if (s % 2 == 1) { ev(onset, s * (nh + 1), "firing") }
    }
    close(onset)
    for (i = 0; i < n - nres; i++) {
        r = int(rand() * nres)
        st = rand() < 0.002 ? "resolved" : "firing"
        ev(dir "/repeats." (i % p) ".jsonl", r, st)
    }
    for (k = 0; k < p; k++) close(dir "/repeats." k ".jsonl")
}
function ev(file, r, status,    s, h, st) {
    s = int(r / (nh + 1)); h = r % (nh + 1); st = site[s % 8 + 1]
    if (h == 0)
        printf "{\"source\":\"storm\",\"resource\":\"sw%03d\",\"check\":\"LinkDown\",\"severity\":\"critical\",\"status\":\"%s\",\"summary\":\"Uplink down on sw%03d\",\"labels\":{\"site\":\"%s\",\"role\":\"switch\"}}\n", s, status, s, st > file
    else
        printf "{\"source\":\"storm\",\"resource\":\"h%03d-%02d\",\"check\":\"HostUnreachable\",\"severity\":\"major\",\"status\":\"%s\",\"summary\":\"h%03d-%02d does not answer ping\",\"labels\":{\"site\":\"%s\",\"role\":\"host\",\"switch\":\"sw%03d\"}}\n", s, h - 1, status, s, h - 1, st, s > file
}'
GEN_S=$(awk -v a="$T_GEN" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}')
EVENT_BYTES=$(cat "$TMP"/onset.jsonl "$TMP"/repeats.*.jsonl | wc -c)
printf '   %s bytes in %s s (%s bytes per event)\n' "$EVENT_BYTES" "$GEN_S" "$(fdiv "$EVENT_BYTES" "$EVENTS")"

# ----------------------------------------------------------------- config --
HTTP_PORT=$(free_port)
ZMQ_PORT=$(free_port)
PUB_PORT=$(free_port)
CORR_HTTP_PORT=$(free_port)
CORR_PUB_PORT=$(free_port)
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CFG=$TMP/alertdesk.yml
cat >"$CFG" <<EOF
# written by tests/bench/bench_storm.sh
log:
  level: warn
database:
  url: "$DATABASE_URL"
ingest:
  stream: $INGEST_STREAM
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
  stream: $CORR_STREAM
  rules: "$RULES"
  http:
    listen: "127.0.0.1:$CORR_HTTP_PORT"
  publish: "tcp://127.0.0.1:$CORR_PUB_PORT"
  events: "tcp://127.0.0.1:$PUB_PORT"
EOF
if [[ -n "${STORM_CORR_MAX_EVENTS:-}${STORM_CORR_MAX_WAIT:-}" ]]; then
    {
        echo "  batch:"
        [[ -z "${STORM_CORR_MAX_EVENTS:-}" ]] || echo "    max_events: $STORM_CORR_MAX_EVENTS"
        [[ -z "${STORM_CORR_MAX_WAIT:-}" ]] || echo "    max_wait: $STORM_CORR_MAX_WAIT"
    } >>"$CFG"
fi

say "migrating"
"$CLI" migrate --config "$CFG" >"$TMP/migrate.log" 2>&1 ||
    { cat "$TMP/migrate.log" >&2; die "alertdesk migrate failed"; }

say "starting alertdesk-ingest (zmq tcp://127.0.0.1:$ZMQ_PORT) and alertdesk-correlator"
"$INGEST" --config "$CFG" >"$TMP/ingest.log" 2>&1 &
INGEST_PID=$!
wait_http "http://127.0.0.1:$HTTP_PORT/healthz" 30 ||
    { tail -n 30 "$TMP/ingest.log" >&2; die "alertdesk-ingest did not become healthy"; }
"$CORR" --config "$CFG" >"$TMP/correlator.log" 2>&1 &
CORR_PID=$!
wait_http "http://127.0.0.1:$CORR_HTTP_PORT/healthz" 30 ||
    { tail -n 30 "$TMP/correlator.log" >&2; die "alertdesk-correlator did not become healthy"; }
sleep 1 # let the correlator's SUB connect before the first event
CORR_RSS0_KB=$(status_kb "$CORR_PID" VmRSS)
CORR_CPU0=$(cpu_s "$CORR_PID")
INGEST_CPU0=$(cpu_s "$INGEST_PID")
# shellcheck disable=SC2046 # one pid per word
PG_CPU0=$(cpu_s $(pg_pids))

head_seq() { psql_q "SELECT coalesce((SELECT last_seq FROM stream_heads WHERE stream = '$INGEST_STREAM'), 0)"; }
corr_offset() {
    psql_q "SELECT coalesce((SELECT last_seq FROM consumer_offsets
                              WHERE consumer = '$CORR_STREAM' AND stream = '$INGEST_STREAM'), 0)"
}

# ------------------------------------------------------------------ storm --
SEND=("$CLI" send --endpoint "tcp://127.0.0.1:$ZMQ_PORT" --timeout 60)
say "storm: onset ($RESOURCES events, one sender, in order), then $((EVENTS - RESOURCES)) repeats over $SENDERS senders"
T0=$(now)
"${SEND[@]}" --file "$TMP/onset.jsonl" >"$TMP/send.onset.out" 2>"$TMP/send.onset.err" ||
    { cat "$TMP/send.onset.err" >&2; die "alertdesk send (onset) failed"; }
T_ONSET=$(now)
for ((k = 0; k < SENDERS; k++)); do
    "${SEND[@]}" --file "$TMP/repeats.$k.jsonl" >"$TMP/send.$k.out" 2>"$TMP/send.$k.err" &
    SENDER_PIDS+=($!)
done

# Progress every second until every sender is done and the correlator's
# offset has reached the events head (or the drain timeout).
T_SENT=""
T_DRAINED=""
PROGRESS=$TMP/progress.txt
: >"$PROGRESS"
while :; do
    sleep 1
    alive=0
    for pid in "${SENDER_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive=$((alive + 1))
    done
    h=$(head_seq)
    o=$(corr_offset)
    t=$(now)
    if ((alive == 0)) && [[ -z "$T_SENT" ]]; then
        T_SENT=$t
        CORR_CPU_SENT=$(cpu_s "$CORR_PID")
        # the exact end: the last sender's exit is within this second
        h=$(head_seq)
    fi
    el=$(awk -v a="$T0" -v b="$t" 'BEGIN {printf "%.0f", b - a}')
    line=$(printf 't=%ss head=%s offset=%s lag=%s senders=%s' "$el" "$h" "$o" $((h - o)) "$alive")
    echo "   $line"
    echo "$line" >>"$PROGRESS"
    if [[ -n "$T_SENT" ]]; then
        if ((o >= h)); then
            T_DRAINED=$t
            break
        fi
        if awk -v a="$T_SENT" -v b="$t" -v m="$DRAIN_TIMEOUT" 'BEGIN {exit !(b - a > m)}'; then
            warn "the correlator did not reach the head within ${DRAIN_TIMEOUT}s after the last ack"
            break
        fi
    fi
done

SEND_RC=0
for pid in "${SENDER_PIDS[@]}"; do
    wait "$pid" || SEND_RC=1
done
SENDER_PIDS=()
((SEND_RC == 0)) || warn "an alertdesk send failed: $(cat "$TMP"/send.*.err | head -n 3)"
ACKED=0
REJECTED=0
for f in "$TMP"/send.*.out; do
    line=$(tail -n 1 "$f")
    a=$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' <<<"$line")
    r=$(sed -n 's/.*rejected=\([0-9]*\).*/\1/p' <<<"$line")
    ACKED=$((ACKED + ${a:-0}))
    REJECTED=$((REJECTED + ${r:-0}))
done

# Peak memory, read before anything stops.
INGEST_HWM_KB=$(status_kb "$INGEST_PID" VmHWM)
CORR_HWM_KB=$(status_kb "$CORR_PID" VmHWM)
CORR_RSS_KB=$(status_kb "$CORR_PID" VmRSS)
CORR_CPU=$(awk -v a="$CORR_CPU0" -v b="$(cpu_s "$CORR_PID")" 'BEGIN {printf "%.1f", b - a}')
CORR_CPU_DRAIN=$(awk -v a="${CORR_CPU_SENT:-0}" -v b="$(cpu_s "$CORR_PID")" 'BEGIN {printf "%.1f", b - a}')
INGEST_CPU=$(awk -v a="$INGEST_CPU0" -v b="$(cpu_s "$INGEST_PID")" 'BEGIN {printf "%.1f", b - a}')
# shellcheck disable=SC2046
PG_CPU=$(awk -v a="$PG_CPU0" -v b="$(cpu_s $(pg_pids))" 'BEGIN {printf "%.1f", b - a}')
METRICS=$(curl -s --max-time 5 "http://127.0.0.1:$CORR_HTTP_PORT/metrics" || true)
metric() { awk -v m="$1" '$1 == m {print $2; exit}' <<<"$METRICS"; }
M_APPLIED=$(metric alertdesk_correlator_events_applied_total)
M_OPEN_ALERTS=$(metric alertdesk_correlator_open_alerts)
M_OPEN_INCIDENTS=$(metric alertdesk_correlator_open_incidents)
M_TOPO=$(metric 'alertdesk_correlator_suppressed_total{by="topology"}')

# ---------------------------------------------------------------- figures --
HEAD=$(head_seq)
OFFSET=$(corr_offset)
ROWS=$(psql_q "SELECT count(*) FROM events WHERE stream = '$INGEST_STREAM'")
ALERTS=$(psql_q "SELECT count(*) FROM alerts")
FIRING=$(psql_q "SELECT count(*) FROM alerts WHERE state = 'firing'")
ALERT_COUNT_SUM=$(psql_q "SELECT coalesce(sum(count), 0) FROM alerts")
SYMPTOMS=$(psql_q "SELECT count(*) FROM alerts WHERE symptom")
INCIDENTS=$(psql_q "SELECT count(*) FROM incidents")
INC_BY_STATE=$(psql_q "SELECT string_agg(state || '=' || n, ' ' ORDER BY state)
                         FROM (SELECT state, count(*) n FROM incidents GROUP BY state) x")
INC_ACTIVE=$(psql_q "SELECT count(*) FROM incidents WHERE state IN ('open', 'resolving')")
DB_BYTES=$(psql_q "SELECT pg_database_size(current_database())")

SEND_S=$(awk -v a="$T0" -v b="${T_SENT:-$(now)}" 'BEGIN {printf "%.1f", b - a}')
ONSET_S=$(awk -v a="$T0" -v b="$T_ONSET" 'BEGIN {printf "%.1f", b - a}')
INGEST_EPS=$(fdiv "$ACKED" "$SEND_S")
if [[ -n "$T_DRAINED" ]]; then
    E2E_S=$(awk -v a="$T0" -v b="$T_DRAINED" 'BEGIN {printf "%.1f", b - a}')
    DRAIN_S=$(awk -v a="$T_SENT" -v b="$T_DRAINED" 'BEGIN {printf "%.1f", b - a}')
    CORR_EPS=$(fdiv "$OFFSET" "$E2E_S")
else
    E2E_S="not drained"
    DRAIN_S="> $DRAIN_TIMEOUT (not drained)"
    CORR_EPS="$(fdiv "$OFFSET" "$(awk -v a="$T0" -v b="$(now)" 'BEGIN {print b - a}')") (partial)"
fi
RATIO_E2E_ENGINE=$(fdiv "${CORR_EPS%% *}" "${ENGINE_EPS:-0}" '%.3f')
RATIO_E2E_INGEST=$(fdiv "${CORR_EPS%% *}" "$INGEST_EPS" '%.2f')
BYTES_PER_ALERT=$(fdiv "$(((CORR_RSS_KB - CORR_RSS0_KB) * 1024))" "$FIRING")
check_lost="ok"
[[ "$ROWS" == "$ACKED" ]] || check_lost="MISMATCH"
check_offset="ok"
[[ "$OFFSET" == "$HEAD" ]] || check_offset="MISMATCH"

CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
NPROC=$(nproc)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

TABLE=$(
    cat <<EOF
| figure | value |
| --- | ---: |
| events sent (onset + repeats) | $EVENTS ($RESOURCES + $((EVENTS - RESOURCES))) |
| events acknowledged / rejected | $ACKED / $REJECTED |
| ingest accepted events/s (first send to last ack, ${SEND_S} s; onset alone ${ONSET_S} s) | $INGEST_EPS |
| drain: last ack to correlator offset == head | ${DRAIN_S} s |
| correlator events applied/s end to end (first send to drained, ${E2E_S} s) | $CORR_EPS |
| in-memory engine alone (bench_corr_engine) events/s | ${ENGINE_EPS:-?} |
| end to end / in-memory | $RATIO_E2E_ENGINE |
| end to end / ingest | $RATIO_E2E_INGEST |
| CPU s during the storm: correlator (of which after the last ack) / ingest / PostgreSQL | $CORR_CPU ($CORR_CPU_DRAIN) / $INGEST_CPU / $PG_CPU |
| correlator CPU µs per event applied | $(fdiv "$CORR_CPU" "$OFFSET" '%.6f' | awk '{ if ($1 == "n/a") print; else printf "%.1f", $1 * 1e6 }') |
| peak RSS (VmHWM) alertdesk-ingest | ${INGEST_HWM_KB} kB |
| peak RSS (VmHWM) alertdesk-correlator | ${CORR_HWM_KB} kB |
| correlator RSS growth per firing alert (VmRSS after - before) / firing | $BYTES_PER_ALERT bytes |
| engine heap per alert (bench_corr_engine) | ${ENGINE_BPA:-?} bytes |
| alerts (firing / total; symptoms) | $FIRING / $ALERTS; $SYMPTOMS |
| sum of alert counts in the database | $ALERT_COUNT_SUM |
| incidents (total; by state) | $INCIDENTS; $INC_BY_STATE |
| noise reduction: events -> alerts -> active incidents | $ACKED -> $ALERTS -> $INC_ACTIVE ($(fdiv "$ACKED" "$INC_ACTIVE")x) |
| /metrics: applied, open alerts, open incidents, suppressed by topology | ${M_APPLIED:-?}, ${M_OPEN_ALERTS:-?}, ${M_OPEN_INCIDENTS:-?}, ${M_TOPO:-?} |
| nothing lost: events rows == acknowledged | $ROWS == $ACKED: $check_lost |
| nothing lost: correlator offset == events head | $OFFSET == $HEAD: $check_offset |
| database size after the storm | $DB_BYTES bytes |
EOF
)
say "results"
echo "$TABLE"

if ((WRITE_RESULTS)); then
    {
        cat <<EOF
# Storm benchmark results

Written by \`tests/bench/bench_storm.sh\` (see the "Storm benchmark" section of
[README.md](README.md)). Re-running the script overwrites this file. Figures
are measured, never asserted.

- date: $DATE
- commit: $COMMIT
- machine: $NPROC CPUs, $CPU_MODEL; senders, ingest, correlator and
  PostgreSQL share them; load average before the run: $LOAD_BEFORE
- PostgreSQL $PG_VERSION (private, fsync, synchronous_commit and full_page_writes on)
- storm: $EVENTS native events ($EVENT_BYTES bytes of JSON lines) over $RESOURCES
  resources: $SWITCHES switches ($((SWITCHES / 2)) fire before their hosts, the others after)
  x $HOSTS hosts each (the switch is the parent), 8 sites; rule \`by-site-check\`
  (group_by [site, check], domain_key site), topology window 5m; repeats of firing
  alerts with 0.2% resolves
- sent with \`alertdesk send --file\` over ZeroMQ (batches of 500): the onset by
  one sender in order, the repeats by $SENDERS senders in parallel

$TABLE

<details><summary>Progress (offset/head every second)</summary>

\`\`\`
$(cat "$PROGRESS")
\`\`\`
</details>

<details><summary>bench_corr_engine</summary>

\`\`\`
$(cat "$TMP/engine.out")
\`\`\`
</details>
EOF
    } >"$RESULTS_MD"
    say "wrote ${RESULTS_MD#"$ROOT"/}"
fi
