#!/usr/bin/env bash
# test_ingest_kafka.sh - alertdesk-ingest's Kafka intake against our own
# mock-cluster broker (tests/tools/kafka_broker) and the harness's
# PostgreSQL: native, Alertmanager and auto-detected topics land in
# `events`; a poison message lands in `dead_letters` without blocking its
# partition; offsets are committed (a clean restart reads nothing twice);
# kill -9 between store and offset commit loses nothing (at-least-once).
# Fails if: a produced good message is missing or stored with the wrong
# format, a poison message has no dead letter or stops the partition, a
# clean restart stores a message again, or the kill -9 loses one.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_ingest.sh
source "$(dirname "$0")/lib_ingest.sh"

it_require_pg
if ! command -v kcat >/dev/null; then
    echo "SKIP: test_ingest_kafka needs kcat"
    exit 77
fi
it_setup ingest_kafka

# --- our own broker: topics alerts (native, 2 partitions), am, mixed (auto) --
it_bg broker "$BIN/tests/tools/kafka_broker" --brokers 1 --topic alerts:2 --topic am:1 \
    --topic mixed:1 --control "$IT_TMP/broker.sock"
it_wait_until 10 grep -q '^bootstrap=' "$IT_TMP/broker.log" ||
    it_fail "kafka_broker printed no bootstrap= line within 10 s"
BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$IT_TMP/broker.log")

# produce TOPIC [PARTITION] - stdin lines as messages.
produce() {
    local args=(-P -t "$1")
    [[ -z "${2:-}" ]] || args+=(-p "$2")
    timeout 30 kcat -b "$BOOTSTRAP" "${args[@]}" || it_fail "kcat could not produce to $1"
}

# sql_is EXPECTED SQL - for it_wait_until: the query prints EXPECTED.
sql_is() {
    [[ "$(it_psql "$2")" == "$1" ]]
}

# --- ingest with Kafka on, auth off -----------------------------------------
HTTP_PORT=$(it_free_port)
ZMQ_PORT=$(it_free_port)
PUB_PORT=$(it_free_port)
INGEST_URL="http://127.0.0.1:$HTTP_PORT"
cat >"$IT_TMP/ingest.yml" <<YAML
database:
  url: ""
ingest:
  stream: it-kafka
  http:
    listen: 127.0.0.1:$HTTP_PORT
  zmq:
    listen: tcp://127.0.0.1:$ZMQ_PORT
  publish: tcp://127.0.0.1:$PUB_PORT
  kafka:
    brokers: $BOOTSTRAP
    group: it-ingest
    topics:
      - name: alerts
        format: native
      - name: am
        format: alertmanager
      - name: mixed
        format: auto
auth:
  required: false
YAML
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"
grep -q 'kafka intake started' "$IT_TMP/ingest.log" ||
    it_fail "ingest did not start its Kafka intake (ingest.kafka.* ignored, or not wired in ingest.c)"

# --- N native events ----------------------------------------------------------
N=50
for i in $(seq 1 "$N"); do
    printf '{"source":"kafka-test","resource":"kn-%d","check":"ping","severity":"major"}\n' "$i"
done | produce alerts
it_wait_until 60 sql_is "$N" "SELECT count(*) FROM events WHERE resource LIKE 'kn-%'" ||
    it_fail "$N native messages produced, $(it_psql "SELECT count(*) FROM events WHERE resource LIKE 'kn-%'") stored within 60 s"
sleep 1 # a duplicate would arrive now, if the intake stored a batch twice
it_assert_eq "$N|$N|native-only" "$(it_psql "SELECT count(*), count(DISTINCT resource),
    CASE WHEN bool_and(format = 1 AND source = 'kafka-test') THEN 'native-only' ELSE 'mixed' END
    FROM events WHERE resource LIKE 'kn-%'")" \
    "exactly $N rows, one per message, format native (fails on loss, duplicates or wrong format)"
missing=$(comm -23 <(seq -f 'kn-%g' 1 "$N" | sort) \
    <(it_psql "SELECT resource FROM events WHERE resource LIKE 'kn-%'" | sort) | head -3)
it_assert_eq "" "$missing" "every produced resource is stored (first missing ones listed)"

# --- an Alertmanager webhook on its topic -> 2 events ------------------------
jq -c . "$SRC/tests/fixtures/alertmanager/webhook-firing.json" | produce am
it_wait_until 30 sql_is 2 "SELECT count(*) FROM events WHERE format = 2" ||
    it_fail "the Alertmanager fixture (2 alerts) gave $(it_psql 'SELECT count(*) FROM events WHERE format = 2') rows"
it_assert_eq "sw1.ams1,sw2.ams1" \
    "$(it_psql "SELECT string_agg(resource, ',' ORDER BY resource) FROM events WHERE format = 2")" \
    "the webhook's two alerts, with their resources (fails if the topic's format is ignored)"

# --- poison on alerts/0, then a good message behind it -----------------------
echo 'this is not JSON {' | produce alerts 0
echo '{"source":"kafka-test","resource":"after-poison","check":"ping"}' | produce alerts 0
it_wait_until 30 sql_is 1 "SELECT count(*) FROM events WHERE resource = 'after-poison'" ||
    it_fail "the good message behind a poison message was not stored: the partition is blocked"
it_assert_eq "1" "$(it_psql "SELECT count(*) FROM dead_letters")" \
    "exactly one dead letter (fails if the poison message was dropped or stored twice)"
it_assert_match '^kafka\|alerts/0/[0-9]+\|body: .+\|this is not JSON \{$' \
    "$(it_psql "SELECT intake, origin, reason, convert_from(body, 'UTF8') FROM dead_letters")" \
    "dead letter: intake kafka, origin topic/partition/offset, the decoder's reason, the raw bytes"

# --- format: auto -------------------------------------------------------------
{
    echo '{"source":"kafka-test","resource":"auto-native","check":"ping"}'
    jq -c . "$SRC/tests/fixtures/alertmanager/webhook-firing.json"
} | produce mixed
it_wait_until 30 sql_is "1|4" "SELECT count(*) FILTER (WHERE resource = 'auto-native' AND format = 1),
    count(*) FILTER (WHERE format = 2) FROM events" ||
    it_fail "format auto: expected 1 native + 2 more Alertmanager rows, got $(it_psql "SELECT format, count(*) FROM events GROUP BY 1 ORDER BY 1" | tr '\n' ' ')"
echo "ok - format auto detects native and Alertmanager messages"

# --- metrics ------------------------------------------------------------------
metrics=$(curl -s "$INGEST_URL/metrics")
it_assert_match 'alertdesk_kafka_commits_total [1-9]' "$(grep '^alertdesk_kafka_commits_total' <<<"$metrics")" \
    "/metrics counts offset commits"
it_assert_match '[1-9]' "$(grep '^alertdesk_ingest_dead_letters_total{intake="kafka"}' <<<"$metrics")" \
    "/metrics counts the dead letter"

# --- clean stop commits offsets: a restart reads nothing again ----------------
it_stop ingest
it_assert_eq 0 "$IT_LAST_STATUS" "ingest exits 0 on SIGTERM with the Kafka intake running"
before=$(it_psql "SELECT count(*) FROM events")
ingest_start "$IT_TMP/ingest.yml"
it_wait_until 60 grep -q 'kafka partitions assigned' "$IT_TMP/ingest.log" ||
    it_fail "restarted ingest got no partitions within 60 s"
echo '{"source":"kafka-test","resource":"after-restart","check":"ping"}' | produce alerts
it_wait_until 30 sql_is 1 "SELECT count(*) FROM events WHERE resource = 'after-restart'" ||
    it_fail "a message produced after the restart was not stored"
it_assert_eq "$((before + 1))" "$(it_psql "SELECT count(*) FROM events")" \
    "after a clean restart only the new message is stored (fails if offsets were not committed)"

# --- kill -9 between store and offset commit: nothing lost -----------------
# The broker fails the next 3 OffsetCommit requests, each after 1 s: the
# first batch is then stored in PostgreSQL but its offsets are not committed
# for about 3 s, and the kill lands in that window.
it_assert_eq "ok broker_error 1 OffsetCommit REQUEST_TIMED_OUT 3 1000" \
    "$("$BIN/tests/tools/kafka_broker" --control "$IT_TMP/broker.sock" \
        --send "broker_error 1 OffsetCommit REQUEST_TIMED_OUT 3 1000")" \
    "slow, failing offset commits injected"
M=2000
for i in $(seq 1 "$M"); do
    printf '{"source":"kafka-test","resource":"crash-%d","check":"ping"}\n' "$i"
done | produce alerts
it_wait_until 30 sql_is t "SELECT count(*) > 0 FROM events WHERE resource LIKE 'crash-%'" ||
    it_fail "no crash-* message stored within 30 s"
kill -9 "$INGEST_PID"
wait "$INGEST_PID" 2>/dev/null || true
stored_at_kill=$(it_psql "SELECT count(*) FROM events WHERE resource LIKE 'crash-%'")
ingest_start "$IT_TMP/ingest.yml"
# The killed member keeps its partitions until its session (10 s) times out.
it_wait_until 120 sql_is "$M" "SELECT count(DISTINCT resource) FROM events WHERE resource LIKE 'crash-%'" ||
    it_fail "after kill -9 and restart, $(it_psql "SELECT count(DISTINCT resource) FROM events WHERE resource LIKE 'crash-%'") of $M messages stored"
it_assert_eq "$M" "$(it_psql "SELECT count(DISTINCT resource) FROM events WHERE resource LIKE 'crash-%'")" \
    "every message produced is stored at least once across the kill -9 (count distinct)"
sleep 1
total=$(it_psql "SELECT count(*) FROM events WHERE resource LIKE 'crash-%'")
it_assert_eq "$((M + stored_at_kill))" "$total" \
    "the $stored_at_kill rows stored before the kill (offsets not committed) were stored once more, the rest once: at-least-once, as documented"

it_pass "Kafka intake: formats, dead letters, committed offsets, no loss across kill -9"
