#!/usr/bin/env bash
# test_harness_selftest.sh - proves that lib.sh does what the other
# integration tests rely on: it_psql reaches the test database, it_free_port
# gives a bindable port, the assertions fail when they should, it_bg logs and
# process groups, it_wait_http / it_wait_until, and that cleanup kills what
# it_bg started and drops the database and temp dir.
# Listeners are one-line perl scripts: perl-base is on every Debian system.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

it_require_pg
it_setup harness_selftest

# --- it_setup and it_psql --------------------------------------------------
it_assert_eq 1 "$(it_psql 'SELECT 1')" "it_psql runs SELECT 1"
it_assert_eq "$IT_DATABASE" "$(it_psql 'SELECT current_database()')" "it_psql uses the test database"
it_assert_match '^it_harness_selftest_[0-9]+$' "$IT_DATABASE" "database name"
it_assert_eq "2|b" "$(it_psql 'CREATE TABLE t (a int, b text)' \
    "INSERT INTO t VALUES (2, 'b')" 'SELECT a, b FROM t')" "it_psql runs several statements"
if (it_psql 'SELECT no_such_column FROM t') >/dev/null 2>&1; then
    it_fail "it_psql did not fail on an SQL error"
fi
[[ -d "$IT_TMP" ]] || it_fail "IT_TMP missing"
[[ -n "$BIN" && "$BIN" == "$ALERTDESK_BUILD" ]] || it_fail "BIN not set to ALERTDESK_BUILD"
echo "ok - it_setup made IT_TMP and BIN"

# --- assertions fail when they should ---------------------------------------
if (it_assert_eq a b "a is not b") >/dev/null 2>&1; then
    it_fail "it_assert_eq passed on a mismatch"
fi
if (it_assert_match '^[0-9]+$' "12x" "digits") >/dev/null 2>&1; then
    it_fail "it_assert_match passed on a mismatch"
fi
it_assert_match '^[0-9]+$' "123" "it_assert_match matches"
if (it_fail "expected failure") >/dev/null 2>&1; then
    it_fail "it_fail did not exit non-zero"
fi
echo "ok - assertions fail on mismatch"

# --- it_free_port ------------------------------------------------------------
port=$(it_free_port)
it_assert_match '^[0-9]+$' "$port" "it_free_port prints a number"
perl -MIO::Socket::INET -e 'IO::Socket::INET->new(LocalAddr => "127.0.0.1",
    LocalPort => $ARGV[0], Listen => 1, ReuseAddr => 1) or exit 1' "$port" ||
    it_fail "port $port from it_free_port cannot be bound"
echo "ok - port $port is bindable"
port2=$(it_free_port)
[[ "$port2" != "$port" ]] || it_fail "it_free_port gave $port twice"

# --- it_bg, it_wait_http, it_stop --------------------------------------------
# A minimal HTTP server: answers 200 "ok" to every request.
# shellcheck disable=SC2016 # perl code, expanded by perl
it_bg http perl -MIO::Socket::INET -e '$| = 1;
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
        Listen => 5, ReuseAddr => 1) or die "bind: $!";
    print "listening\n";
    while (my $c = $s->accept) {
        while (<$c>) { last if /^\r?$/ }
        print $c "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
        close $c;
    }' "$port"
it_assert_match '^[0-9]+$' "${HTTP_PID:-}" "it_bg sets HTTP_PID"
it_wait_http "http://127.0.0.1:$port/healthz" 10
it_assert_eq ok "$(curl -s "http://127.0.0.1:$port/")" "server started by it_bg answers"
it_assert_eq listening "$(cat "$IT_TMP/http.log")" "it_bg writes the log to IT_TMP/NAME.log"
it_stop http
it_assert_eq 143 "$IT_LAST_STATUS" "it_stop ends the process with SIGTERM"
kill -0 "$HTTP_PID" 2>/dev/null && it_fail "process $HTTP_PID still alive after it_stop"
if (it_wait_http "http://127.0.0.1:$port/" 0.5) >/dev/null 2>&1; then
    it_fail "it_wait_http passed with no server"
fi
echo "ok - it_wait_http fails when nothing answers"

# --- it_wait_until -----------------------------------------------------------
(sleep 0.3 && touch "$IT_TMP/flag") &
it_wait_until 5 test -e "$IT_TMP/flag" || it_fail "it_wait_until missed the flag"
start=$(it__now_us)
if it_wait_until 0.5 false; then
    it_fail "it_wait_until succeeded on false"
fi
waited_ms=$((($(it__now_us) - start) / 1000))
((waited_ms >= 450 && waited_ms < 3000)) || it_fail "it_wait_until 0.5 waited ${waited_ms} ms"
echo "ok - it_wait_until polls and times out (${waited_ms} ms)"

# --- cleanup kills it_bg processes, drops the database, removes IT_TMP -------
# A nested test scope in a subshell: its EXIT trap runs when the subshell ends.
# The wrapper's child (a grandchild) proves the whole process group is killed.
outer=$IT_TMP
(
    IT_KEEP=0 # this scope tests the removal, also under run.sh --keep
    it_setup harness_selftest_inner
    it_bg sleeper sleep 300
    # shellcheck disable=SC2016 # expanded by the inner bash
    it_bg wrapper bash -c 'sleep 300 & echo $! >"$0"; wait' "$IT_TMP/grandchild.pid"
    it_wait_until 5 test -s "$IT_TMP/grandchild.pid" || it_fail "wrapper did not start"
    # shellcheck disable=SC2153 # SLEEPER_PID is set by it_bg
    printf '%s %s %s %s\n' "$SLEEPER_PID" "$(cat "$IT_TMP/grandchild.pid")" \
        "$IT_TMP" "$IT_DATABASE" >"$outer/inner"
)
read -r sleeper_pid grandchild_pid inner_tmp inner_db <"$outer/inner"

gone() { # gone PID - true when PID no longer runs (absent or a zombie)
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [[ -z "$st" || "$st" == Z* ]]
}
it_wait_until 5 gone "$sleeper_pid" || it_fail "it_bg process $sleeper_pid survived cleanup"
it_wait_until 5 gone "$grandchild_pid" || it_fail "grandchild $grandchild_pid survived cleanup"
echo "ok - cleanup killed it_bg processes and their children"
[[ ! -e "$inner_tmp" ]] || it_fail "cleanup left $inner_tmp"
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM pg_database WHERE datname = '$inner_db'")" \
    "cleanup dropped database $inner_db"

it_pass "lib.sh helpers work"
