#!/usr/bin/env bash
# test_events_retention.sh - days older than ingest.retention are dropped
# whole, but never while a consumer has not applied them.
# Fails if: an old day survives once consumed, a day is dropped while a
# consumer lags behind it, a recent day is dropped, or ingest does not run
# the retention at start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup events_retention
ingest_config "$IT_TMP/ingest.yml"
sed -i 's/^  heartbeat_interval: 200ms/  heartbeat_interval: 200ms\n  retention: 7d/' "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"

old=$(date -u -d '20 days ago' +%Y%m%d)
old_next=$(date -u -d '19 days ago' +%Y-%m-%d)
old_day=$(date -u -d '20 days ago' +%Y-%m-%d)
it_psql "INSERT INTO stream_heads (stream, last_seq) VALUES ('old-stream', 3)" \
    "CREATE TABLE events_$old PARTITION OF events FOR VALUES FROM ('$old_day 00:00+00') TO ('$old_next 00:00+00')" \
    "INSERT INTO events (stream, seq, received_at, occurred_at, format, source, resource, \"check\", severity, status, fingerprint)
     SELECT 'old-stream', g, '$old_day 12:00+00', '$old_day 12:00+00', 1, 'api', 'r', 'c', 2, 1, repeat('a', 32)
       FROM generate_series(1, 2) g" \
    "INSERT INTO events (stream, seq, received_at, occurred_at, format, source, resource, \"check\", severity, status, fingerprint)
     VALUES ('old-stream', 3, now() - interval '30 days', now(), 1, 'api', 'r', 'c', 2, 1, repeat('b', 32))" \
    "INSERT INTO consumer_offsets (consumer, stream, last_seq) VALUES ('correlator-1', 'old-stream', 1)" >/dev/null
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM events_default")" "one old row sits in the default partition"

# A consumer at seq 1 still needs seq 2 and 3: nothing old may go.
it_assert_eq 0 "$(it_psql "SELECT alertdesk_events_drop_older_than('7 days')")" "lagging consumer keeps the day"
it_assert_eq 3 "$(it_psql "SELECT count(*) FROM events WHERE stream = 'old-stream'")" "all old rows kept"

# Once consumed, ingest's start-up housekeeping drops them (retention 7d).
it_psql "UPDATE consumer_offsets SET last_seq = 3 WHERE consumer = 'correlator-1'" >/dev/null
ingest_start "$IT_TMP/ingest.yml"
it_wait_until 10 bash -c "grep -q 'old event partitions dropped' '$IT_TMP/ingest.log'" ||
    it_fail "ingest did not drop the old partition"
it_assert_eq "" "$(it_psql "SELECT to_regclass('events_$old')")" "the old day's partition is gone"
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM events WHERE stream = 'old-stream'")" "old default-partition row deleted"
printf '{"resource":"fresh","check":"c"}' >"$IT_TMP/ev.json"
it_assert_match '^202 ' "$(post /api/v1/events "$IT_TMP/ev.json")" "today's events still accepted"
it_assert_eq 0 "$(it_psql "SELECT alertdesk_events_drop_older_than('7 days')")" "recent days are kept"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM events WHERE resource = 'fresh'")" "today's event kept"
it_pass "retention drops consumed old days only"
