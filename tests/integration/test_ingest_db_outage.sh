#!/usr/bin/env bash
# test_ingest_db_outage.sh - PostgreSQL goes away under a running ingest:
# HTTP answers 503 with Retry-After and /healthz says so, a ZeroMQ sender
# waits and retries, and when the database returns traffic resumes and
# nothing acknowledged is lost. Uses a PostgreSQL of its own (it stops it).
# Fails if: any request is answered 2xx while the database is down, /healthz
# stays 200, traffic does not resume, or an acknowledged event is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_db_outage
it_private_pg outage
ingest_config "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"
ev() { printf '{"resource":"%s","check":"outage"}' "$1" >"$IT_TMP/ev.json"; echo "$IT_TMP/ev.json"; }

it_assert_match '^202 ' "$(post /api/v1/events "$(ev before)")" "stored before the outage"

pg_private_ctl stop
it_wait_until 20 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' $INGEST_URL/healthz) == 503 ]]" ||
    it_fail "/healthz did not turn 503 with the database down"
hdrs=$(curl -s -D - -o "$IT_TMP/down.out" -X POST -H "Authorization: Bearer $INGEST_TOKEN" \
    --data-binary "@$(ev during)" "$INGEST_URL/api/v1/events")
it_assert_match '^HTTP/1.1 503' "$hdrs" "503 while the database is down"
it_assert_match 'Retry-After: [0-9]+' "$hdrs" "503 carries Retry-After"
it_assert_match 'storage unavailable' "$(cat "$IT_TMP/down.out")" "503 says why"

# A ZeroMQ sender started during the outage keeps retrying until it is stored.
"$BIN/cli/alertdesk" send --config "$IT_TMP/ingest.yml" --timeout 60 --resource zmq-during --check outage \
    >"$IT_TMP/send.out" 2>&1 &
send_pid=$!
sleep 1
kill -0 "$send_pid" 2>/dev/null || it_fail "alertdesk send gave up during the outage: $(cat "$IT_TMP/send.out")"

pg_private_ctl start
it_wait_http "$INGEST_URL/healthz" 30
wait "$send_pid" || it_fail "alertdesk send failed after the database returned: $(cat "$IT_TMP/send.out")"
it_assert_match '^202 ' "$(post /api/v1/events "$(ev after)")" "stored after the outage"

it_assert_eq "after before zmq-during" \
    "$(it_psql "SELECT string_agg(resource, ' ' ORDER BY resource) FROM events")" \
    "every acknowledged event stored, the refused one not"
it_assert_eq "1|3|3" "$(it_psql "SELECT min(seq), max(seq), count(*) FROM events")" "seq continuous across the outage"
it_pass "database outage: 503 and retry, nothing acknowledged lost"
