#!/usr/bin/env bash
# test_ingest_backpressure.sh - when the committer cannot keep up, the queue
# bound holds: HTTP answers 429 with Retry-After, a ZeroMQ sender is paused
# (not refused), and once the database moves again every accepted event is
# stored. The committer is stalled for real: a psql session holds the row
# lock on the stream head that every commit must update.
# Fails if: a request is accepted beyond the bound, 429 lacks Retry-After,
# the paused ZeroMQ send fails, or an acknowledged event is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_backpressure
ingest_config "$IT_TMP/ingest.yml" "limits:
  max_events_per_request: 10"
sed -i 's/^  heartbeat_interval: 200ms/  heartbeat_interval: 200ms\n  drain_timeout: 1s\n  queue:\n    max_events: 30\n  batch:\n    connections: 1\n    max_events: 10/' "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"
batch() { # batch NAME: 10 events named NAME-1..10
    printf '['
    for i in $(seq 1 10); do printf '%s{"resource":"%s-%d","check":"bp"}' "$([[ $i == 1 ]] || echo ,)" "$1" "$i"; done
    printf ']'
}
batch first >"$IT_TMP/first.json"
it_assert_match '^202 ' "$(post /api/v1/events "$IT_TMP/first.json")" "stored before the stall (creates the head row)"

# Stall the committer: hold the stream head's row lock in an open transaction.
mkfifo "$IT_TMP/psql.in"
it_bg locker bash -c "psql -XAtq <'$IT_TMP/psql.in'"
exec 7>"$IT_TMP/psql.in"
echo "BEGIN; SELECT last_seq FROM stream_heads WHERE stream = 'it-ingest' FOR UPDATE;" >&7
sleep 0.5

# Fill (one writer connection, so the count is exact): the committer takes
# one batch and blocks on the lock; the queue holds
# 30 more events; everything beyond is refused with 429.
pids=()
for k in $(seq 1 8); do
    batch "s$k" >"$IT_TMP/s$k.json"
    curl -s -D "$IT_TMP/s$k.hdr" -o "$IT_TMP/s$k.out" -X POST -H "Authorization: Bearer $INGEST_TOKEN" \
        --data-binary "@$IT_TMP/s$k.json" "$INGEST_URL/api/v1/events" &
    pids+=($!)
    sleep 0.2
done
sleep 0.5
refused=$(grep -l '^HTTP/1.1 429' "$IT_TMP"/s*.hdr | wc -l)
it_assert_eq 4 "$refused" "requests beyond the queue bound (1 batch in the committer + 30 queued) refused with 429"
for h in $(grep -l '^HTTP/1.1 429' "$IT_TMP"/s*.hdr); do
    it_assert_match 'Retry-After: [0-9]+' "$(cat "$h")" "429 carries Retry-After ($(basename "$h"))"
done
it_assert_eq "alertdesk_ingest_queue_events 30" "$(curl -s "$INGEST_URL/metrics" | grep '^alertdesk_ingest_queue_events')" "queue full at its bound"

# A ZeroMQ sender is paused, not refused: it waits for room.
"$BIN/cli/alertdesk" send --config "$IT_TMP/ingest.yml" --timeout 60 --resource zmq-paused --check bp \
    >"$IT_TMP/send.out" 2>&1 &
send_pid=$!
sleep 1
kill -0 "$send_pid" 2>/dev/null || it_fail "the ZeroMQ send was answered while the queue was full: $(cat "$IT_TMP/send.out")"

# Release the lock: everything waiting is committed and answered.
echo "COMMIT;" >&7
exec 7>&-
wait "${pids[@]}" || true
wait "$send_pid" || it_fail "the paused ZeroMQ send failed: $(cat "$IT_TMP/send.out")"
accepted=0
for k in $(seq 1 8); do
    if grep -q '^HTTP/1.1 202' "$IT_TMP/s$k.hdr"; then
        accepted=$((accepted + 1))
        it_assert_eq 10 "$(it_psql "SELECT count(*) FROM events WHERE resource LIKE 's$k-%'")" "batch s$k (answered 202) stored"
    else
        it_assert_eq 0 "$(it_psql "SELECT count(*) FROM events WHERE resource LIKE 's$k-%'")" "batch s$k (answered 429) not stored"
    fi
done
it_assert_eq 4 "$accepted" "batches answered 202 after the stall"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM events WHERE resource = 'zmq-paused'")" "paused ZeroMQ event stored once"
it_pass "bounded queue: 429 with Retry-After over HTTP, ZeroMQ paused, nothing accepted lost"

# SIGTERM while the database is stuck: ingest waits ingest.drain_timeout (1s),
# then answers what is still waiting with a retryable error and exits 0.
it_bg locker2 bash -c "psql -XAtq <'$IT_TMP/psql.in'"
exec 7>"$IT_TMP/psql.in"
echo "BEGIN; SELECT last_seq FROM stream_heads WHERE stream = 'it-ingest' FOR UPDATE;" >&7
sleep 0.5
batch late >"$IT_TMP/late.json"
curl -s -o "$IT_TMP/late.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $INGEST_TOKEN" \
    --data-binary "@$IT_TMP/late.json" "$INGEST_URL/api/v1/events" >"$IT_TMP/late.code" &
late_pid=$!
sleep 0.5
t0=$(date +%s%N)
it_stop ingest
t1=$(date +%s%N)
it_assert_eq 0 "$IT_LAST_STATUS" "ingest exits 0 on SIGTERM with a stuck database"
(( (t1 - t0) / 1000000 < 4000 )) || it_fail "SIGTERM took $(( (t1 - t0) / 1000000 )) ms with drain_timeout 1s"
wait "$late_pid" || true
it_assert_eq 503 "$(cat "$IT_TMP/late.code")" "the request in flight got 503 (retry), not silence"
echo "COMMIT;" >&7
exec 7>&-
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM events WHERE resource LIKE 'late-%'")" "the refused request was not stored"
it_pass "SIGTERM drains within ingest.drain_timeout"
