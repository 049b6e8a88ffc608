#!/usr/bin/env bash
# test_ingest_bad_input.sh - bad requests get the right 4xx naming the field
# and the rule, nothing of them is stored, and the daemon keeps serving.
# Fails if: a bad body is stored, the status or the named field is wrong, a
# good event in a mixed array is lost, or ingest stops answering /healthz.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_bad_input
FX=$SRC/tests/fixtures
ingest_config "$IT_TMP/ingest.yml" "limits:
  max_body_bytes: 4KiB
  max_json_depth: 8
  max_labels: 4
  max_text_bytes: 2KiB"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"

expect() { # expect WHAT STATUS_REGEX BODY_REGEX PATH FILE
    local r
    r=$(post "$4" "$5")
    it_assert_match "^$2 " "$r" "$1: status"
    it_assert_match "$3" "$r" "$1: message"
}
body() { printf '%s' "$1" >"$IT_TMP/b.json"; echo "$IT_TMP/b.json"; }

# Oversized: refused from Content-Length before reading.
head -c 5000 /dev/zero | tr '\0' 'a' >"$IT_TMP/big.json"
expect "oversized body" 413 '"field":"body"' /api/v1/events "$IT_TMP/big.json"
# Deep nesting.
deep=$(printf '{"resource":"r","check":"c","annotations":%s1%s}' "$(printf '[%.0s' {1..20})" "$(printf ']%.0s' {1..20})")
expect "deep nesting" 400 '"field":"body","error":"[^"]*(deep|depth|nest)' /api/v1/events "$(body "$deep")"
# Invalid UTF-8 and a raw NUL byte.
printf '{"resource":"r\xff\xfe","check":"c"}' >"$IT_TMP/utf8.json"
expect "invalid UTF-8" 400 '"index":-1,"field":"body"' /api/v1/events "$IT_TMP/utf8.json"
printf '{"resource":"r\0x","check":"c"}' >"$IT_TMP/nul.json"
expect "raw NUL" 400 '"index":-1,"field":"body"' /api/v1/events "$IT_TMP/nul.json"
expect "escaped NUL" 400 '"field":' /api/v1/events "$(body '{"resource":"r\u0000x","check":"c"}')"
expect "duplicate keys" 400 '"index":-1,"field":"body","error":"[^"]*duplicate' /api/v1/events "$FX/bad/duplicate-keys.json"
expect "wrong type" 400 '"field":"resource","error":"must be a string"' /api/v1/events "$FX/bad/native-resource-number.json"
expect "missing field" 400 '"field":"resource","error":"required"' /api/v1/events "$FX/bad/native-missing-resource.json"
expect "bad severity" 400 '"field":"severity"' /api/v1/events "$FX/bad/native-bad-severity.json"
expect "too many labels" 400 '"field":"labels","error":"[^"]*4' /api/v1/events \
    "$(body '{"resource":"r","check":"c","labels":{"a":"1","b":"2","c":"3","d":"4","e":"5"}}')"
expect "not JSON" 400 '"field":"body"' /api/v1/events "$FX/bad/truncated.json"
expect "zabbix severity out of range" 400 'nseverity' /api/v1/zabbix "$FX/bad/zabbix-nseverity-range.json"
sed "s/\"routing_key\": *\"[^\"]*\"/\"routing_key\":\"$ROUTING_KEY\"/" "$FX/bad/pd-bad-severity.json" >"$IT_TMP/pd.json"
expect "pagerduty bad severity" 400 '"status":"invalid event","message":"Event object is invalid","errors":\[".*severity' /v2/enqueue "$IT_TMP/pd.json"
it_assert_eq 0 "$(it_psql 'SELECT count(*) FROM events')" "nothing of the bad requests stored"

# A mixed array: the good events are stored, the bad one is named.
expect "mixed array" 202 '"accepted":2,"rejected":\[\{"index":1,"field":"status"' /api/v1/events "$FX/bad/native-array-one-bad.json"
it_assert_eq "sw1.ams1 sw3.ams1" "$(it_psql "SELECT string_agg(resource, ' ' ORDER BY seq) FROM events")" "good events of the mixed array stored"
# Alertmanager: an alert without alertname is named, its group siblings kept
# (a 4xx would make Alertmanager drop the whole group for good).
expect "alertmanager without alertname" 202 '"accepted":1,"rejected":\[\{"index":[0-9],"field":"labels.alertname","error":"required"' \
    /api/v1/alertmanager "$FX/bad/am-missing-alertname.json"

# Unknown paths and methods.
it_assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$INGEST_URL/api/v1/nothing")" "unknown path"
it_assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' "$INGEST_URL/api/v1/events")" "GET on a POST endpoint"

it_assert_match '"status":"ok"' "$(curl -s "$INGEST_URL/healthz")" "still serving after the bad input"
kill -0 "$INGEST_PID" || it_fail "ingest died"
it_pass "bad input refused with the field and rule named; good events kept; daemon serving"
