#!/usr/bin/env bash
# test_ingest_http.sh - curl posts every input format to alertdesk-ingest and
# each accepted event is in `events` exactly once, with the right fields,
# answered in each protocol's own shape.
# Fails if: a format is not accepted, a row is missing or doubled, a field is
# mapped wrongly, auth lets a request without a token through, PagerDuty's
# answer shape differs, or /metrics and /healthz do not say what happened.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_http
FX=$SRC/tests/fixtures
ingest_config "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"

# Native: one object and an array.
cat >"$IT_TMP/one.json" <<'J'
{"resource":"core-sw1","check":"ifDown","severity":"critical","summary":"Uplink down",
 "labels":{"site":"ams1","interface":"xe-0/0/1"},"annotations":{"runbook":"https://wiki/ifdown"},
 "occurred_at":"2026-11-25T03:17:49Z"}
J
r=$(post /api/v1/events "$IT_TMP/one.json")
it_assert_eq '202 {"accepted":1,"rejected":[]}' "$r" "native event answered after commit"
it_assert_eq "core-sw1|ifDown|5|1|ams1|https://wiki/ifdown|2026-11-25 03:17:49+00" \
    "$(it_psql "SET TIME ZONE 'UTC'; SELECT resource, \"check\", severity, status, labels->'site', annotations->'runbook', occurred_at FROM events WHERE resource='core-sw1'")" \
    "native fields stored in typed columns"
printf '[{"resource":"h1","check":"ping"},{"resource":"h2","check":"ping","status":"resolved"}]' >"$IT_TMP/arr.json"
it_assert_eq '202 {"accepted":2,"rejected":[]}' "$(post /api/v1/events "$IT_TMP/arr.json")" "native array"

# Auth: no token and a wrong token are refused, nothing stored.
it_assert_match '^401 ' "$(post /api/v1/events "$IT_TMP/one.json" '')" "no token refused"
it_assert_match '^401 ' "$(post /api/v1/events "$IT_TMP/one.json" wrong-token-000000000)" "wrong token refused"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM events WHERE resource='core-sw1'")" "refused requests stored nothing"

# Alertmanager webhook: one event per alert; the repeat snapshot is stored
# again (a repeat is the correlator's business, not a loss here).
it_assert_eq '202 {"accepted":2,"rejected":[]}' \
    "$(post /api/v1/alertmanager "$FX/alertmanager/webhook-firing.json")" "alertmanager firing"
it_assert_eq '202 {"accepted":2,"rejected":[]}' \
    "$(post /api/v1/alertmanager "$FX/alertmanager/webhook-firing-partly-resolved.json")" "alertmanager partly resolved"
it_assert_eq "resolved|firing" \
    "$(it_psql "SELECT string_agg(CASE status WHEN 1 THEN 'firing' ELSE 'resolved' END, '|' ORDER BY seq) FROM events WHERE format=2 AND seq > 5")" \
    "alertmanager statuses per alert"
fp_firing=$(it_psql "SELECT fingerprint FROM events WHERE format=2 AND resource='sw1.ams1' ORDER BY seq LIMIT 1")
fp_resolved=$(it_psql "SELECT fingerprint FROM events WHERE format=2 AND resource='sw1.ams1' ORDER BY seq DESC LIMIT 1")
it_assert_eq "$fp_firing" "$fp_resolved" "the resolve carries the firing alert's fingerprint"
it_assert_eq "97b6c7895668e6b0" "$(it_psql "SELECT DISTINCT dedup_key FROM events WHERE resource='sw1.ams1'")" "alertmanager fingerprint kept as dedup_key"

# PagerDuty Events v2: the real fixture's routing key is "test", unknown here.
sed "s/\"routing_key\": \"test\"/\"routing_key\": \"$ROUTING_KEY\"/" \
    "$FX/alertmanager/pagerduty-trigger.json" >"$IT_TMP/pd-trigger.json"
sed "s/\"routing_key\": \"test\"/\"routing_key\": \"$ROUTING_KEY\"/" \
    "$FX/alertmanager/pagerduty-resolve.json" >"$IT_TMP/pd-resolve.json"
it_assert_eq '202 {"status":"success","message":"Event processed","dedup_key":"53b2f2adac59ecf0325cbacd980fe0040c7eb81d32eaecfd1d47f7b3505aea84"}' \
    "$(post /v2/enqueue "$IT_TMP/pd-trigger.json" '')" "pagerduty trigger answered like PagerDuty"
it_assert_match '^202 \{"status":"success"' "$(post /v2/enqueue "$IT_TMP/pd-resolve.json" '')" "pagerduty resolve"
it_assert_eq "noc|2" \
    "$(it_psql "SELECT labels->'team', count(DISTINCT fingerprint) + count(*) - 1 FROM events WHERE format=3 GROUP BY 1")" \
    "integration labels added; trigger and resolve share one fingerprint"
it_assert_match '^401 .*routing_key' "$(post /v2/enqueue "$FX/alertmanager/pagerduty-trigger.json" '')" \
    "unknown routing key refused"
printf '{"routing_key":"%s","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}' \
    "$ROUTING_KEY" >"$IT_TMP/pd-nokey.json"
r=$(post /v2/enqueue "$IT_TMP/pd-nokey.json" '')
it_assert_match '^202 .*"dedup_key":"[0-9a-f-]{36}"' "$r" "a trigger without dedup_key gets a generated one"

# Zabbix media type: problem then recovery of the same problem.
it_assert_eq '202 {"accepted":1,"rejected":[]}' "$(post /api/v1/zabbix "$FX/zabbix/problem.json")" "zabbix problem"
it_assert_eq '202 {"accepted":1,"rejected":[]}' "$(post /api/v1/zabbix "$FX/zabbix/recovery.json")" "zabbix recovery"
it_assert_eq "2|1" "$(it_psql "SELECT count(*), count(DISTINCT fingerprint) FROM events WHERE format=4")" \
    "zabbix problem and recovery are one alert"

# Exactly once and no holes: seq 1..N, head = N.
n=$(it_psql "SELECT count(*) FROM events")
it_assert_eq "$n|$n|1|$n" "$(it_psql "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM events WHERE stream='it-ingest'")" \
    "every accepted event stored once, seq without holes"
it_assert_eq "$n" "$(it_psql "SELECT last_seq FROM stream_heads WHERE stream='it-ingest'")" "stream head at the last seq"

# Health and metrics say what happened.
it_assert_match '"status":"ok"' "$(curl -s "$INGEST_URL/healthz")" "healthz ok with the database up"
metrics=$(curl -s "$INGEST_URL/metrics")
stored=$(awk '/^alertdesk_ingest_stored_total/ {s += $2} END {print s}' <<<"$metrics")
it_assert_eq "$n" "$stored" "alertdesk_ingest_stored_total counts every stored event"
it_assert_match 'alertdesk_ingest_rejected_total\{intake="http",reason="auth"\} 3' "$metrics" "auth refusals counted"
it_pass "every format accepted, stored once, answered in its protocol's shape"
