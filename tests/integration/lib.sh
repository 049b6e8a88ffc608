# shellcheck shell=bash disable=SC2034 # BIN, SRC, IT_LAST_STATUS are read by the tests
# tests/integration/lib.sh - helpers sourced by every integration test.
#
# An integration test is tests/integration/test_<name>.sh, run by ctest with
# ALERTDESK_BUILD (the build dir) and ALERTDESK_SOURCE (the repo) set, and
# against the peers tests/run.sh starts (PGHOST/PGPORT/PGUSER, KAFKA_BOOTSTRAP).
# Exit 0 = pass, 77 = skipped, anything else = fail. A test looks like:
#
#   #!/usr/bin/env bash
#   # test_ingest_http.sh - what it proves, in one line.
#   set -euo pipefail
#   source "$(dirname "$0")/lib.sh"
#   it_require_pg
#   it_setup ingest_http
#   port=$(it_free_port)
#   it_bg ingest "$BIN/ingest/alertdesk-ingest" --config "$IT_TMP/a.yml"
#   it_wait_http "http://127.0.0.1:$port/healthz"
#   it_assert_eq 1 "$(it_psql 'SELECT count(*) FROM events')" "events stored"
#   it_pass "ingest stores a posted event"
#
# Functions:
#   it_require_pg        exit 77 (skip) with a message when PGHOST is unset.
#   it_require_kafka     exit 77 (skip) when KAFKA_BOOTSTRAP is unset.
#   it_setup NAME        call once, in the test's main shell, before the rest:
#                        creates IT_TMP (mktemp -d); installs an EXIT trap that
#                        kills every process started with it_bg, drops the
#                        test database and removes IT_TMP (both kept when
#                        IT_KEEP=1); when PGHOST is set, creates the database
#                        it_<NAME>_<pid> and exports PGDATABASE (and
#                        IT_DATABASE) to it; sets BIN=$ALERTDESK_BUILD and
#                        SRC=$ALERTDESK_SOURCE (defaults: build-test/, the repo).
#                        On a failing exit the trap prints the tail of every log.
#   it_free_port         print a free TCP port on 127.0.0.1 (never the same one
#                        twice in one test).
#   it_bg NAME CMD...    start CMD in the background (own process group) with
#                        stdout and stderr to $IT_TMP/NAME.log; sets NAME_PID
#                        (upper-cased, non-alphanumerics as _: "ingest" ->
#                        INGEST_PID) and registers it for cleanup. Call it in
#                        the main shell, not inside $(...).
#   it_stop NAME         stop a process started by it_bg (TERM to its group,
#                        KILL after 5 s), reap it, forget it; its exit status
#                        is left in IT_LAST_STATUS (143 = ended by SIGTERM).
#   it_wait_http URL [SECONDS]
#                        wait until URL answers 200 (default 30 s), else it_fail.
#   it_wait_until SECONDS CMD...
#                        run CMD every 0.1 s until it succeeds; returns 1 on
#                        timeout (use: it_wait_until 5 cmd || it_fail "why").
#   it_psql SQL...       run each SQL (psql -XAtq -v ON_ERROR_STOP=1 -c) in the
#                        test database and print the result (unaligned, tuples
#                        only, fields separated by |).
#   it_fail MSG          print FAIL and MSG, the tail of every log in IT_TMP;
#                        exit 1 (inside $(...) that ends only the subshell;
#                        set -e then ends the test).
#   it_assert_eq EXPECTED ACTUAL WHAT
#   it_assert_match REGEX ACTUAL WHAT
#                        print "ok - WHAT" or it_fail with both values.
#   it_pass MSG          print "PASS: MSG" (does not exit; the test ends
#                        normally).
#   it_log MSG           print "NAME: MSG" on stderr (progress, measurements).
# Smaller helpers, also used by tests:
#   it__now_us           print the wall clock in microseconds.
#   it__us SECONDS       print "2" or "0.5" seconds in microseconds.
#   it__pidvar NAME      print the variable name it_bg sets for NAME.
#
# The library sets no shell options: tests start with `set -euo pipefail`.

IT_SOURCE_DEFAULT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IT_NAME=$(basename "$0" .sh)
IT_TMP=""
IT_DATABASE=""
IT_PIDS=()
IT_FAILED_REPORTED=0

# it__pidvar NAME - the variable it_bg sets for NAME: "ingest" -> INGEST_PID.
it__pidvar() {
    printf '%s_PID' "$1" | tr '[:lower:]' '[:upper:]' | tr -c 'A-Z0-9_' '_'
}

# it__now_us - the wall clock in microseconds (bash 5's EPOCHREALTIME; the
# digits only, whatever the locale's decimal separator).
it__now_us() {
    local t=$EPOCHREALTIME
    echo "$((10#${t//[!0-9]/}))"
}

# it__us SECONDS - "2" or "0.5" seconds in microseconds.
it__us() {
    local int=${1%%.*} frac=""
    if [[ "$1" == *.* ]]; then
        frac=${1#*.}
    fi
    frac=${frac}000000
    echo "$((10#${int:-0} * 1000000 + 10#${frac:0:6}))"
}

it_log() { printf '%s: %s\n' "$IT_NAME" "$*" >&2; }

it_require_pg() {
    if [[ -z "${PGHOST:-}" ]]; then
        echo "SKIP: $IT_NAME needs PostgreSQL (PGHOST unset; run it through tests/run.sh)"
        exit 77
    fi
}

it_require_kafka() {
    if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
        echo "SKIP: $IT_NAME needs a Kafka broker (KAFKA_BOOTSTRAP unset; run it through tests/run.sh)"
        exit 77
    fi
}

# it__tail_logs - print the last lines of each log in IT_TMP, to find out why.
it__tail_logs() {
    local f
    [[ -n "$IT_TMP" && -d "$IT_TMP" ]] || return 0
    for f in "$IT_TMP"/*.log; do
        [[ -f "$f" ]] || continue
        printf -- '----- last lines of %s -----\n' "${f##*/}" >&2
        tail -n 40 "$f" >&2
    done
}

it_fail() {
    printf 'FAIL: %s: %s\n' "$IT_NAME" "$*" >&2
    it__tail_logs
    IT_FAILED_REPORTED=1
    exit 1
}

it_pass() {
    printf 'PASS: %s: %s\n' "$IT_NAME" "$*"
}

it_assert_eq() {
    if [[ "$1" != "$2" ]]; then
        it_fail "$3: expected '$1', got '$2'"
    fi
    printf 'ok - %s\n' "$3"
}

it_assert_match() {
    if ! [[ "$2" =~ $1 ]]; then
        it_fail "$3: '$2' does not match /$1/"
    fi
    printf 'ok - %s\n' "$3"
}

# it__kill PID - TERM the process group (it_bg made PID its leader) and the
# process, wait up to 5 s, then KILL; reap it so no zombie stays behind.
it__kill() {
    local pid=$1 _
    kill -TERM -- "-$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        it_log "pid $pid ignored SIGTERM for 5 s; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null
}

it__cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    set +e
    for pid in "${IT_PIDS[@]}"; do
        it__kill "$pid" >/dev/null 2>&1
    done
    if ((rc != 0 && rc != 77 && !IT_FAILED_REPORTED)); then
        # A command failed under set -e, or a bare check returned non-zero.
        printf 'FAIL: %s: exited with status %d\n' "$IT_NAME" "$rc" >&2
        it__tail_logs
    fi
    if [[ "${IT_KEEP:-0}" == 1 ]]; then
        it_log "kept $IT_TMP${IT_DATABASE:+ and database $IT_DATABASE}"
    else
        if [[ -n "$IT_DATABASE" ]]; then
            # --force: a daemon killed a moment ago may still hold a session.
            dropdb --if-exists --force --maintenance-db=postgres "$IT_DATABASE" >/dev/null 2>&1 ||
                it_log "could not drop database $IT_DATABASE"
        fi
        if [[ -n "$IT_TMP" ]]; then
            rm -rf "$IT_TMP"
        fi
    fi
    exit "$rc"
}

it_setup() {
    local name=${1:?it_setup NAME}
    IT_NAME=$name
    export ALERTDESK_SOURCE=${ALERTDESK_SOURCE:-$IT_SOURCE_DEFAULT}
    export ALERTDESK_BUILD=${ALERTDESK_BUILD:-$ALERTDESK_SOURCE/build-test}
    BIN=$ALERTDESK_BUILD
    SRC=$ALERTDESK_SOURCE
    IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/it_${name//[^A-Za-z0-9_.-]/_}.XXXXXX")
    IT_PIDS=()
    trap it__cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    if [[ -n "${PGHOST:-}" ]]; then
        # Identifiers: lower case, [a-z0-9_], at most 63 bytes.
        local db
        db=$(printf 'it_%s_%s' "$name" "$BASHPID" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_')
        db=${db:0:63}
        if ! createdb -T template0 -E UTF8 "$db" 2>"$IT_TMP/createdb.log"; then
            it_fail "createdb $db: $(cat "$IT_TMP/createdb.log")"
        fi
        IT_DATABASE=$db
        export PGDATABASE=$db IT_DATABASE
    fi
    export IT_TMP IT_NAME
}

it_free_port() {
    local port _ used=""
    if [[ -n "$IT_TMP" && -f "$IT_TMP/.ports" ]]; then
        used=$(<"$IT_TMP/.ports")
    fi
    # Random, below the kernel's ephemeral range (32768+) so that outgoing
    # connections do not grab it before the daemon binds it; random so that
    # tests running in parallel rarely pick the same one.
    for _ in $(seq 1 500); do
        port=$((20000 + RANDOM % 12000))
        if [[ " $used " == *" $port "* ]]; then
            continue
        fi
        if ss -Htan "sport = :$port" 2>/dev/null | grep -q .; then
            continue
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue
        fi
        if [[ -n "$IT_TMP" && -d "$IT_TMP" ]]; then
            printf '%s ' "$port" >>"$IT_TMP/.ports"
        fi
        echo "$port"
        return 0
    done
    it_fail "no free port found"
}

it_bg() {
    local name=${1:?it_bg NAME CMD...}
    shift
    [[ -n "$IT_TMP" ]] || it_fail "it_bg before it_setup"
    local var
    var=$(it__pidvar "$name")
    # setsid puts CMD in its own process group so that cleanup also reaches
    # its children (a wrapper script's daemon). Without job control a
    # background child is no group leader, so setsid execs CMD in place and
    # $! is CMD's own pid (tests kill -9 it to simulate a crash).
    if [[ $- == *m* ]]; then
        "$@" >"$IT_TMP/$name.log" 2>&1 &
    else
        setsid "$@" >"$IT_TMP/$name.log" 2>&1 &
    fi
    local pid=$!
    IT_PIDS+=("$pid")
    printf -v "$var" '%s' "$pid"
    # shellcheck disable=SC2163 # exporting the variable named by $var
    export "$var"
}

it_stop() {
    local name=${1:?it_stop NAME} var pid p kept=()
    var=$(it__pidvar "$name")
    pid=${!var:-}
    [[ -n "$pid" ]] || it_fail "it_stop $name: not started with it_bg"
    IT_LAST_STATUS=0
    it__kill "$pid" || IT_LAST_STATUS=$?
    # Forget it, so that cleanup does not signal a recycled pid.
    for p in "${IT_PIDS[@]}"; do
        [[ "$p" == "$pid" ]] || kept+=("$p")
    done
    IT_PIDS=("${kept[@]}")
}

it_wait_until() {
    local secs=${1:?it_wait_until SECONDS CMD...}
    shift
    local end
    end=$(($(it__now_us) + $(it__us "$secs")))
    while :; do
        if "$@"; then
            return 0
        fi
        if (($(it__now_us) >= end)); then
            return 1
        fi
        sleep 0.1
    done
}

it_wait_http() {
    local url=${1:?it_wait_http URL [SECONDS]} secs=${2:-30} code="" end
    end=$(($(it__now_us) + $(it__us "$secs")))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
        if [[ "$code" == 200 ]]; then
            return 0
        fi
        if (($(it__now_us) >= end)); then
            break
        fi
        sleep 0.1
    done
    it_fail "$url did not answer 200 within ${secs}s (last status: ${code:-none})"
}

it_psql() {
    local args=() sql
    for sql in "$@"; do
        args+=(-c "$sql")
    done
    psql -XAtq -v ON_ERROR_STOP=1 "${args[@]}"
}
