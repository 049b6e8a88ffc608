#!/usr/bin/env bash
# test_ingest_zmq_send.sh - `alertdesk send` over ZeroMQ, as a Nagios/Icinga
# notification command or a script would call it.
# Fails if: a sent event is not stored exactly once with its fields, a
# rejected line is not reported with its line number and rule, the exit codes
# are wrong, or a send to a stopped ingest does not fail with status 3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_zmq_send
ingest_config "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"
send() { "$BIN/cli/alertdesk" send --config "$IT_TMP/ingest.yml" "$@"; }

# A Nagios-style host notification command line.
out=$(send --resource core-sw1 --check ifDown --severity critical --label site=ams1 \
    --label service=uplink --summary "Uplink xe-0/0/1 down" --source nagios)
it_assert_eq "accepted=1 rejected=0" "$out" "single event accepted"
it_assert_eq "nagios|core-sw1|ifDown|5|ams1|uplink|Uplink xe-0/0/1 down" \
    "$(it_psql "SELECT source, resource, \"check\", severity, labels->'site', labels->'service', summary FROM events")" \
    "fields stored"

# A JSON-lines file with one bad line among good ones.
{
    for i in $(seq 1 1200); do printf '{"resource":"host%d","check":"ping","severity":"minor"}\n' "$i"; done
    printf '{"resource":"bad","check":"ping","severity":"loud"}\n'
} >"$IT_TMP/events.jsonl"
set +e
send --file "$IT_TMP/events.jsonl" >"$IT_TMP/send.out" 2>"$IT_TMP/send.err"
rc=$?
set -e
it_assert_eq 1 "$rc" "exit status 1 when some events are rejected"
it_assert_eq "accepted=1200 rejected=1" "$(cat "$IT_TMP/send.out")" "file: counts"
it_assert_match '^rejected: event 1201: severity: ' "$(cat "$IT_TMP/send.err")" "the bad line is named"
it_assert_eq "1200|1200" "$(it_psql "SELECT count(*), count(DISTINCT resource) FROM events WHERE \"check\"='ping'")" \
    "every good line stored exactly once"

# Resolve through the same command: same fingerprint as the firing one.
send --resource core-sw1 --check ifDown --status resolved --label site=ams1 --label service=uplink --source nagios >/dev/null
it_assert_eq 1 "$(it_psql "SELECT count(DISTINCT fingerprint) FROM events WHERE resource='core-sw1'")" \
    "firing and resolved share the fingerprint"

# Usage error, then ingest down: status 2 and 3.
set +e
send --resource only >/dev/null 2>&1
it_assert_eq 1 "$?" "a missing check is refused by ingest (status 1)"
send >/dev/null 2>&1
it_assert_eq 2 "$?" "no arguments is a usage error"
it_stop ingest
send --timeout 1 --resource r --check c >/dev/null 2>&1
it_assert_eq 3 "$?" "ingest unreachable gives status 3"
set -e
it_pass "alertdesk send stores events over ZeroMQ and reports rejects by line"
