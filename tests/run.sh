#!/usr/bin/env bash
# tests/run.sh - alertdesk's one test command (README; .ci/run calls it).
#
# Steps, each timed and reported in the closing summary:
#   1. deploy/install-deps.sh (a no-op when everything is installed);
#   2. configure and build build-test/ with gcc, -Werror, ASan and UBSan;
#   3. start a private PostgreSQL (initdb in a temp dir, as a non-root user,
#      since initdb refuses root) and export PGHOST PGPORT PGUSER PGDATABASE;
#   4. start the Kafka-protocol broker build-test/tests/tools/kafka_broker
#      (librdkafka's mock cluster) and export KAFKA_BOOTSTRAP; without the
#      binary, warn and go on (Kafka tests then skip);
#   5. ctest (unit and integration tests; integration tests skip with 77
#      when a peer is missing);
#   6. unless --quick, and when clang is there: build the libFuzzer targets in
#      build-fuzz/ and run each for FUZZ_SECONDS over a copy of its seed
#      corpus tests/fuzz/corpus/<target>/ (the repo is never modified; crash
#      inputs are copied to build-fuzz/artifacts/<target>/).
# PostgreSQL and the broker are always stopped on exit, also on failure and
# Ctrl-C. Exits non-zero if any step failed.
#
# Usage: tests/run.sh [--quick] [-R REGEX] [--keep]
#   --quick    skip the fuzz step
#   -R REGEX   only the ctest tests matching REGEX (passed to ctest -R)
#   --keep     keep the temp dir (PostgreSQL data, logs) and the integration
#              tests' own temp dirs (IT_KEEP=1) for debugging
# Environment: FUZZ_SECONDS (default 30), CTEST_JOBS (default 2),
#   BUILD_DIR (default build-test), FUZZ_DIR (default build-fuzz),
#   PG_BIN (default /usr/lib/postgresql/15/bin), KAFKA_TOPICS (broker topics,
#   default "alertdesk.alerts:3 alertdesk.events:3").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUICK=0
KEEP=0
REGEX=""
while (($#)); do
    case "$1" in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    -R)
        [[ $# -ge 2 ]] || { echo "run.sh: -R needs a regex" >&2; exit 2; }
        REGEX=$2
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown argument: $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
CTEST_JOBS=${CTEST_JOBS:-2}
KAFKA_TOPICS=${KAFKA_TOPICS:-alertdesk.alerts:3 alertdesk.events:3}
JOBS=$(nproc 2>/dev/null || echo 2)
# Build dirs, relative to the repo; another pair lets two runs coexist.
BUILD_DIR=${BUILD_DIR:-build-test}
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}

# Results of each step for the summary: name -> "ok ..." / "FAILED ..." / "skipped ...".
declare -A RESULT=()
STEPS=()
FAILED=0
# Test counts for the closing "N passed, N failed" line: ctest tests plus
# fuzz targets, and a failed set-up step counts as one failure.
N_PASS=0
N_FAIL=0
N_SKIP=0

step_result() { # step_result NAME STATUS TEXT
    STEPS+=("$1")
    RESULT[$1]="$2${3:+ ($3)}"
    if [[ "$2" == FAILED ]]; then
        FAILED=1
    fi
}

say() { printf '== %s\n' "$*"; }
warn() { printf '!! %s\n' "$*" >&2; }

# free_port, pg_private_start, pg_private_stop: the private PostgreSQL the
# benchmarks use too.
# shellcheck source=tests/lib/private_pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/private_pg.sh"

# run_fg CMD... - run CMD in its own session and wait for it. bash runs a
# trap only after the foreground command ends; a background one plus `wait`
# lets SIGTERM / Ctrl-C act at once, and cleanup then stops CMD's whole
# process group (ctest, the tests and what they started, or a fuzzer).
FG_PID=""
run_fg() {
    setsid "$@" 9>&- &
    FG_PID=$!
    local rc=0
    wait "$FG_PID" || rc=$?
    FG_PID=""
    return "$rc"
}

# ---------------------------------------------------------------- cleanup --
TMP=""
SUMMARY_DONE=0 # the summary names a kept temp dir itself
BROKER_PID=""

# fg_members [ctest] - pids of the live processes in run_fg's group: with
# "ctest", only ctest's; without, all but ctest's. Zombies (the unreaped
# leader, a test ctest has not reaped) do not count.
# shellcheck disable=SC2317 # called from cleanup
fg_members() {
    ps -eo pid=,pgid=,stat=,comm= | awk -v g="$FG_PID" -v want="${1:-}" '
        $2 == g && $3 !~ /^Z/ && (($4 == "ctest") == (want == "ctest")) { print $1 }'
}

# stop_fg - stop the group run_fg started, giving the tests 10 s to run their
# own cleanup (kill their daemons, drop their databases) while PostgreSQL
# still runs. ctest answers SIGTERM by SIGKILLing its whole process tree,
# which would skip that cleanup: so ctest is frozen first (it then starts no
# more tests), the rest of the group gets SIGTERM, and ctest is killed last.
# shellcheck disable=SC2317 # called from cleanup
stop_fg() {
    [[ -n "$FG_PID" ]] || return 0
    say "stopping the running step (process group $FG_PID)"
    local ctest_pids others _
    mapfile -t ctest_pids < <(fg_members ctest)
    if ((${#ctest_pids[@]})); then
        kill -STOP "${ctest_pids[@]}" 2>/dev/null || true
    fi
    mapfile -t others < <(fg_members)
    if ((${#others[@]})); then
        kill -TERM "${others[@]}" 2>/dev/null || true
    fi
    for _ in $(seq 1 100); do
        [[ -n "$(fg_members)" ]] || break
        sleep 0.1
    done
    if [[ -n "$(fg_members)" ]]; then
        warn "still running after 10 s; killing the group"
    fi
    kill -KILL -- "-$FG_PID" 2>/dev/null || true
    wait "$FG_PID" 2>/dev/null || true
    FG_PID=""
}

stop_broker() {
    [[ -n "$BROKER_PID" ]] || return 0
    if kill -0 "$BROKER_PID" 2>/dev/null; then
        say "stopping broker (pid $BROKER_PID)"
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        local _
        for _ in $(seq 1 100); do
            kill -0 "$BROKER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$BROKER_PID" 2>/dev/null; then
            warn "broker ignored SIGTERM for 10 s; killing it"
            kill -KILL "$BROKER_PID" 2>/dev/null || true
        fi
    fi
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=""
}

stop_postgres() {
    [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]] || return 0
    say "stopping postgres"
    pg_private_stop
}

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_fg
    stop_broker
    stop_postgres
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        if ((KEEP)); then
            ((SUMMARY_DONE)) || say "kept $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'warn "interrupted"; exit 130' INT
trap 'warn "terminated"; exit 143' TERM

START=$SECONDS
elapsed() { echo "$((SECONDS - $1)) s"; }

# ------------------------------------------------------------------- deps --
say "installing dependencies"
t=$SECONDS
if ./deploy/install-deps.sh; then
    step_result deps ok "$(elapsed "$t")"
else
    step_result deps FAILED
    N_FAIL=$((N_FAIL + 1))
fi

# ------------------------------------------------------------------ build --
# A failed build ends the run: nothing after it has anything to test.
say "building $BUILD_DIR/ (gcc, -Werror, ASan+UBSan)"
t=$SECONDS
mkdir -p "$BUILD_DIR"
# Two runs building in one dir would spoil each other's build: the second
# waits for the first (the lock goes with this process; the peers and
# tests are started without fd 9, so that a leftover one cannot hold it).
exec 9>"$BUILD_DIR/.run.lock"
if ! flock -n 9; then
    say "waiting for another tests/run.sh using $BUILD_DIR/"
    flock 9
fi
if ! cmake -S . -B "$BUILD_DIR" -DCMAKE_C_COMPILER=gcc \
    -DALERTDESK_WERROR=ON -DALERTDESK_SANITIZE=ON >"$BUILD_DIR/configure.log" 2>&1; then
    tail -n 40 "$BUILD_DIR/configure.log"
    step_result build FAILED "cmake configure, see $BUILD_DIR/configure.log"
    N_FAIL=$((N_FAIL + 1))
elif ! run_fg cmake --build "$BUILD_DIR" -j "$JOBS" >"$BUILD_DIR/build.log" 2>&1; then
    # The compiler's own lines first: with -j they may be far from the end.
    grep -E ': (fatal )?error:|: warning:|undefined reference' "$BUILD_DIR/build.log" | head -n 40 || true
    tail -n 20 "$BUILD_DIR/build.log"
    step_result build FAILED "see $BUILD_DIR/build.log"
    N_FAIL=$((N_FAIL + 1))
else
    step_result build ok "$(elapsed "$t")"
fi

finish() {
    say "summary ($(elapsed "$START"))"
    local s
    for s in "${STEPS[@]}"; do
        printf '  %-9s %s\n' "$s" "${RESULT[$s]}"
    done
    if ((KEEP)) && [[ -n "$TMP" ]]; then
        printf "  %-9s %s\n" kept "$TMP"
    fi
    printf 'result: %d passed, %d failed, %d skipped\n' "$N_PASS" "$N_FAIL" "$N_SKIP"
    SUMMARY_DONE=1
    exit "$FAILED"
}

if [[ "${RESULT[build]}" == FAILED* ]]; then
    finish
fi

# Sanitizer reports must fail the test that triggered them, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The PostgreSQL OS user must be able to traverse to its data: the temp dir
# is world-searchable and the pg/ part is handed to that user.
TMP=$(mktemp -d /tmp/alertdesk-test.XXXXXX)
chmod 0755 "$TMP"
if ((KEEP)); then
    export IT_KEEP=1
fi

# --------------------------------------------------------------- postgres --
start_postgres() {
    say "starting postgres"
    pg_private_start "$TMP/pg" tests/run.sh
}

t=$SECONDS
PG_PORT=""
if start_postgres; then
    step_result postgres ok "port $PG_PORT, $(elapsed "$t")"
else
    step_result postgres FAILED "integration tests needing it will skip"
    N_FAIL=$((N_FAIL + 1))
    stop_postgres
    unset PGHOST PGPORT
fi

# ----------------------------------------------------------------- broker --
start_broker() {
    local bin=$BUILD_DIR/tests/tools/kafka_broker
    if [[ ! -x "$bin" ]]; then
        warn "no $bin: running without a Kafka broker (Kafka tests skip)"
        step_result broker skipped "no kafka_broker binary"
        return 0
    fi
    local args=(--brokers 3) topic
    for topic in $KAFKA_TOPICS; do
        args+=(--topic "$topic")
    done
    say "starting kafka_broker ${args[*]}"
    "$bin" "${args[@]}" >"$TMP/broker.out" 2>"$TMP/broker.log" 9>&- &
    BROKER_PID=$!
    local _ line
    for _ in $(seq 1 300); do
        line=$(grep -m 1 '^bootstrap=' "$TMP/broker.out" 2>/dev/null || true)
        if [[ -n "$line" ]]; then
            export KAFKA_BOOTSTRAP=${line#bootstrap=}
            step_result broker ok "$KAFKA_BOOTSTRAP"
            return 0
        fi
        if ! kill -0 "$BROKER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    warn "kafka_broker did not print bootstrap= within 30 s"
    tail -n 20 "$TMP/broker.out" "$TMP/broker.log" >&2 || true
    stop_broker
    step_result broker FAILED "Kafka tests will skip"
    N_FAIL=$((N_FAIL + 1))
}
unset KAFKA_BOOTSTRAP
start_broker

# ------------------------------------------------------------------ ctest --
say "running ctest -j$CTEST_JOBS${REGEX:+ -R $REGEX}"
t=$SECONDS
ctest_args=(--test-dir "$BUILD_DIR" --output-on-failure -j "$CTEST_JOBS")
if [[ -n "$REGEX" ]]; then
    ctest_args+=(-R "$REGEX")
fi
ctest_rc=0
# shellcheck disable=SC2016 # expanded by the inner bash
run_fg bash -c 'ctest "$@" 2>&1 | tee "$0"; exit "${PIPESTATUS[0]}"' "$TMP/ctest.log" \
    "${ctest_args[@]}" || ctest_rc=$?
# Count from ctest's per-test lines: "n/N Test #k: name ....   Passed  0.1 sec".
c_pass=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed ' "$TMP/ctest.log" || true)
c_skip=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*Skipped' "$TMP/ctest.log" || true)
c_all=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$TMP/ctest.log" || true)
c_fail=$((c_all - c_pass - c_skip))
N_PASS=$((N_PASS + c_pass))
N_SKIP=$((N_SKIP + c_skip))
N_FAIL=$((N_FAIL + c_fail))
ctest_text="$c_pass passed, $c_fail failed, $c_skip skipped; $(elapsed "$t")"
if ((ctest_rc != 0 || c_fail != 0)); then
    step_result ctest FAILED "$ctest_text"
    if ((c_fail == 0)); then
        N_FAIL=$((N_FAIL + 1)) # ctest itself failed (no tests found, bad regex ...)
    fi
elif ((c_all == 0)); then
    step_result ctest ok "no tests matched"
else
    step_result ctest ok "$ctest_text"
fi

# ------------------------------------------------------------------- fuzz --
run_fuzz() {
    local targets=() src name
    for src in tests/fuzz/fuzz_*.c; do
        [[ -e "$src" ]] || continue
        name=$(basename "$src" .c)
        targets+=("$name")
    done
    if ((${#targets[@]} == 0)); then
        step_result fuzz skipped "no tests/fuzz/fuzz_*.c"
        return 0
    fi
    say "building fuzz targets in $FUZZ_DIR/ (clang, libFuzzer, ASan+UBSan)"
    local t0=$SECONDS
    mkdir -p "$FUZZ_DIR"
    if ! CC=clang cmake -S . -B "$FUZZ_DIR" -DALERTDESK_FUZZ=ON -DALERTDESK_SANITIZE=ON \
        >"$FUZZ_DIR/configure.log" 2>&1 ||
        ! run_fg cmake --build "$FUZZ_DIR" -j "$JOBS" --target "${targets[@]}" \
            >"$FUZZ_DIR/build.log" 2>&1; then
        tail -n 80 "$FUZZ_DIR/configure.log" "$FUZZ_DIR/build.log" 2>/dev/null || true
        step_result fuzz FAILED "build failed, see $FUZZ_DIR/build.log"
        N_FAIL=$((N_FAIL + 1))
        return 0
    fi
    local bad=() work art
    for name in "${targets[@]}"; do
        work=$TMP/fuzz/$name
        mkdir -p "$work/corpus"
        if [[ -d "tests/fuzz/corpus/$name" ]]; then
            cp -R "tests/fuzz/corpus/$name/." "$work/corpus/"
        else
            warn "$name: no seed corpus in tests/fuzz/corpus/$name/"
        fi
        # A dictionary tests/fuzz/<x>.dict serves every target fuzz_<x>*
        # (decode.dict -> fuzz_decode_native, ...); the longest name wins.
        local dict="" d opts=()
        for d in tests/fuzz/*.dict; do
            [[ -e "$d" ]] || continue
            if [[ "${name#fuzz_}" == "$(basename "$d" .dict)"* && ${#d} -gt ${#dict} ]]; then
                dict=$d
            fi
        done
        if [[ -n "$dict" ]]; then
            opts+=(-dict="$dict")
        fi
        if [[ ! -x "$FUZZ_DIR/tests/fuzz/$name" ]]; then
            warn "$name: $FUZZ_DIR/tests/fuzz/$name was not built"
            N_FAIL=$((N_FAIL + 1))
            bad+=("$name")
            continue
        fi
        say "fuzzing $name for ${FUZZ_SECONDS}s ($(find "$work/corpus" -type f | wc -l) seeds${dict:+, $dict})"
        if run_fg "$FUZZ_DIR/tests/fuzz/$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" "${opts[@]}" \
            "$work/corpus" >"$work/fuzz.log" 2>&1; then
            N_PASS=$((N_PASS + 1))
        else
            N_FAIL=$((N_FAIL + 1))
            bad+=("$name")
            tail -n 40 "$work/fuzz.log"
            # Keep what crashed outside the temp dir, where it survives.
            art=$FUZZ_DIR/artifacts/$name
            mkdir -p "$art"
            find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
                -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) \
                -exec cp {} "$art/" \;
            warn "$name failed; inputs in $art/ (reproduce: $FUZZ_DIR/tests/fuzz/$name $art/<file>)"
        fi
    done
    if ((${#bad[@]})); then
        step_result fuzz FAILED "${bad[*]}; $(elapsed "$t0")"
    else
        step_result fuzz ok "${#targets[@]} targets x ${FUZZ_SECONDS}s; $(elapsed "$t0")"
    fi
}

if ((QUICK)); then
    step_result fuzz skipped "--quick"
elif ! command -v clang >/dev/null 2>&1; then
    step_result fuzz skipped "no clang"
else
    run_fuzz
fi

# Stop the peers before the summary so that it is the last thing printed.
stop_broker
stop_postgres
finish
