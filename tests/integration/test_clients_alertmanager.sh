#!/usr/bin/env bash
# test_clients_alertmanager.sh - Debian's real prometheus-alertmanager as a
# client of the whole chain (ingest + correlator + ticketer on PostgreSQL).
# Alertmanager runs on free loopback ports with two receivers pointing at
# ingest: a webhook_configs receiver (POST /api/v1/alertmanager with the
# bearer token in http_config.authorization) and, on a second route, a
# pagerduty_configs receiver (url = ingest's /v2/enqueue, routing_key of an
# ingest integration). Alerts are posted to Alertmanager's own API
# (POST /api/v2/alerts, as Prometheus does) and must become incidents and
# tickets here; Alertmanager re-sends each group every repeat_interval and
# that must stay one alert, one incident, one ticket; alerts posted again
# with endsAt in the past (resolved) must resolve the incident and, the
# queue being auto_resolve, the ticket - through both receivers; an alert
# posted without endsAt must be resolved by Alertmanager's resolve_timeout
# and that resolve must reach the ticket too.
# Fails if: a ticket is missing or doubled, the webhook's alert identity is
# not Alertmanager's fingerprint, the PagerDuty path does not deduplicate on
# Alertmanager's group dedup_key, a re-send makes a second alert, incident
# or ticket, or a resolve does not reach the incident and the ticket.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_ingest.sh
source "$(dirname "$0")/lib_ingest.sh"
# shellcheck source=tests/integration/lib_correlator.sh
source "$(dirname "$0")/lib_correlator.sh"
# shellcheck source=tests/integration/lib_ticketer.sh
source "$(dirname "$0")/lib_ticketer.sh"

it_require_pg
AM_BIN=${ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}
if [[ ! -x "$AM_BIN" ]]; then
    echo "SKIP: test_clients_alertmanager needs $AM_BIN (deploy/install-deps.sh installs prometheus-alertmanager)"
    exit 77
fi
it_setup clients_alertmanager
T0=$(it__now_us)

# ---- alertdesk: ingest + correlator + ticketer ----------------------------
# hold_down 0s: an incident resolves as soon as its last alert clears (the
# default 2m would only make the test slow). The default routing (no file)
# is one queue NOC with auto_resolve: true.
cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
defaults:
  hold_down: 0s
rules:
  - name: links
    match: ["check = LinkDown"]
    group_by: [labels.site]
YAML
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" ""
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"

# ---- Alertmanager ---------------------------------------------------------
# group_wait/group_interval/repeat_interval/resolve_timeout in seconds
# instead of Alertmanager's 30s/5m/4h/5m. Alerts with via="pagerduty" take
# the second route to the PagerDuty receiver; the rest go to the webhook.
AM_PORT=$(it_free_port)
AM_URL="http://127.0.0.1:$AM_PORT"
cat >"$IT_TMP/alertmanager.yml" <<YAML
global:
  resolve_timeout: 3s
route:
  receiver: alertdesk-webhook
  group_by: [alertname, site]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 2s
  routes:
    - receiver: alertdesk-pagerduty
      matchers: ['via = "pagerduty"']
receivers:
  - name: alertdesk-webhook
    webhook_configs:
      - url: $INGEST_URL/api/v1/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: $INGEST_TOKEN
  - name: alertdesk-pagerduty
    pagerduty_configs:
      - url: $INGEST_URL/v2/enqueue
        routing_key: $ROUTING_KEY
        send_resolved: true
YAML
mkdir -p "$IT_TMP/am-data"
# --cluster.listen-address= turns the HA gossip off (no port 9094 taken).
it_bg alertmanager "$AM_BIN" --config.file="$IT_TMP/alertmanager.yml" \
    --storage.path="$IT_TMP/am-data" --web.listen-address="127.0.0.1:$AM_PORT" \
    --web.external-url="$AM_URL" --cluster.listen-address= --log.level=debug
it_wait_http "$AM_URL/-/ready" 30
it_log "Alertmanager $("$AM_BIN" --version 2>&1 | head -n 1 | sed 's/ (.*//') on $AM_URL"

# am_post FILE - POST /api/v2/alerts to Alertmanager; it answers 200.
am_post() {
    local code
    code=$(curl -s -o "$IT_TMP/am.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary "@$1" "$AM_URL/api/v2/alerts")
    [[ "$code" == 200 ]] || it_fail "Alertmanager refused the alerts: HTTP $code $(cat "$IT_TMP/am.out")"
}

# alert NAME DEVICE SITE ENDS_AT [EXTRA_LABELS_JSON] - one alert as Prometheus
# posts it; ENDS_AT "" leaves endsAt out (Alertmanager then applies
# resolve_timeout).
alert() {
    local ends=""
    [[ -z "$4" ]] || ends=",\"endsAt\":\"$4\""
    printf '{"labels":{"alertname":"%s","device":"%s","site":"%s","severity":"critical"%s},"annotations":{"summary":"%s on %s"},"startsAt":"%s"%s,"generatorURL":"http://prometheus.example:9090/graph"}' \
        "$1" "$2" "$3" "${5:-}" "$1" "$2" "$STARTS" "$ends"
}

# sql_is EXPECTED SQL - for it_wait_until.
sql_is() { [[ "$(it_psql "$2")" == "$1" ]]; }
sql_ge() { [[ "$(it_psql "$2")" -ge "$1" ]]; }

STARTS=$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)

# ---- 1. firing: two links at ams1 (webhook), a BGP session (PagerDuty) ----
printf '[%s,%s,%s]' \
    "$(alert LinkDown sw1.ams1 ams1 "$LATER")" \
    "$(alert LinkDown sw2.ams1 ams1 "$LATER")" \
    "$(alert BGPDown rtr1.fra2 fra2 "$LATER" ',"via":"pagerduty"')" >"$IT_TMP/firing.json"
T_POST=$(it__now_us)
am_post "$IT_TMP/firing.json"

it_wait_until 30 sql_is 2 "SELECT count(*) FROM tickets" ||
    it_fail "two tickets expected from Alertmanager's two groups, got $(it_psql 'SELECT count(*) FROM tickets')"
T_TICKETS=$(it__now_us)
it_assert_eq "alertmanager|LinkDown|sw1.ams1 alertmanager|LinkDown|sw2.ams1 pagerduty|event|Alertmanager" \
    "$(it_psql "SELECT string_agg(concat_ws('|', source, \"check\", resource), ' ' ORDER BY source, resource) FROM alerts")" \
    "webhook: one alert per Prometheus alert; PagerDuty receiver: one per group (check 'event', payload.source 'Alertmanager')"
it_assert_eq "links|labels.site=ams1|open|2" \
    "$(it_psql "SELECT i.rule, i.group_key, i.state, count(*) FROM incidents i JOIN incident_members m ON m.incident_id = i.id
                 WHERE i.rule = 'links' GROUP BY 1, 2, 3")" \
    "both ams1 links in one incident of rule links"
it_assert_eq "2 1" "$(it_psql "SELECT t.alert_count FROM tickets t JOIN incidents i ON i.id = t.incident_id
                                ORDER BY i.rule DESC" | tr '\n' ' ' | sed 's/ $//')" \
    "the links ticket holds 2 alerts, the PagerDuty group's ticket 1"
it_assert_eq "NOC-1 NOC-2" "$(it_psql "SELECT string_agg(key, ' ' ORDER BY key) FROM tickets")" "tickets NOC-1, NOC-2"

# The webhook's identity is Alertmanager's own fingerprint (dedup_key), so
# an HA pair of Alertmanagers would give the same alert.
am_fps=$(curl -s "$AM_URL/api/v2/alerts?filter=alertname%3D%22LinkDown%22" | jq -r '[.[].fingerprint] | sort | join(" ")')
it_assert_eq "$am_fps" \
    "$(it_psql "SELECT string_agg(DISTINCT dedup_key, ' ' ORDER BY dedup_key) FROM events WHERE format = 2")" \
    "webhook events carry Alertmanager's fingerprints as dedup_key"
# The PagerDuty receiver's dedup_key is the hex SHA-256 of the group key.
gk='{}/{via="pagerduty"}:{alertname="BGPDown", site="fra2"}'
it_assert_eq "$(printf %s "$gk" | sha256sum | cut -d' ' -f1)" \
    "$(it_psql "SELECT string_agg(DISTINCT dedup_key, ' ') FROM events WHERE format = 3")" \
    "PagerDuty events carry sha256(groupKey) as dedup_key, as Alertmanager computes it"
it_assert_match '^\[FIRING:1\] BGPDown' "$(it_psql "SELECT summary FROM alerts WHERE source <> 'alertmanager'")" \
    "the PagerDuty summary is Alertmanager's default template"

# ---- 2. re-sends: Alertmanager repeats each group every repeat_interval ---
it_wait_until 30 sql_ge 3 "SELECT min(n) FROM (SELECT count(*) AS n FROM events GROUP BY format, dedup_key) c" ||
    it_fail "Alertmanager did not re-send each group 3 times in 30 s: $(it_psql "SELECT format, dedup_key, count(*) FROM events GROUP BY 1, 2")"
corr_wait_applied 30
tick_wait_applied 30
it_log "re-sends stored: $(it_psql "SELECT string_agg(format || ':' || n, ' ') FROM (SELECT format, count(*) AS n FROM events GROUP BY format, dedup_key ORDER BY 1) c") (format 2 webhook, 3 PagerDuty)"
it_assert_eq "3|2|2" "$(it_psql "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM incidents), (SELECT count(*) FROM tickets)")" \
    "after >= 3 deliveries of each group: still 3 alerts, 2 incidents, 2 tickets"
it_assert_eq t "$(it_psql "SELECT bool_and(count >= 3) FROM alerts")" "each alert counted its repeats instead"
it_assert_eq "new new" "$(it_psql "SELECT string_agg(state, ' ') FROM tickets")" "both tickets still new"

# ---- 3. resolve_timeout: an alert without endsAt resolves in Alertmanager --
printf '[%s]' "$(alert HighCPU srv1.ams1 ams1 "")" >"$IT_TMP/cpu.json"
am_post "$IT_TMP/cpu.json"
it_wait_until 30 sql_is 1 "SELECT count(*) FROM tickets WHERE \"check\" = 'HighCPU'" ||
    it_fail "the HighCPU alert (no endsAt) made no ticket"
it_wait_until 30 sql_is "resolved|resolved" \
    "SELECT t.state, i.state FROM tickets t JOIN incidents i ON i.id = t.incident_id WHERE t.\"check\" = 'HighCPU'" ||
    it_fail "Alertmanager's resolve_timeout (3s) did not resolve the HighCPU ticket: $(it_psql "SELECT state, incident_state FROM tickets WHERE \"check\" = 'HighCPU'")"
echo "ok - an alert Alertmanager resolved by resolve_timeout resolved its incident and ticket"

# ---- 4. resolved: the same alerts with endsAt in the past ----------------
PAST=$(date -u -d '-5 sec' +%Y-%m-%dT%H:%M:%SZ)
printf '[%s,%s,%s]' \
    "$(alert LinkDown sw1.ams1 ams1 "$PAST")" \
    "$(alert LinkDown sw2.ams1 ams1 "$PAST")" \
    "$(alert BGPDown rtr1.fra2 fra2 "$PAST" ',"via":"pagerduty"')" >"$IT_TMP/resolved.json"
T_RPOST=$(it__now_us)
am_post "$IT_TMP/resolved.json"
it_wait_until 30 sql_is 0 "SELECT count(*) FROM tickets WHERE state <> 'resolved'" ||
    it_fail "not every ticket resolved: $(it_psql "SELECT key, state, incident_state, \"check\" FROM tickets")"
T_RESOLVED=$(it__now_us)
corr_wait_applied 30
tick_wait_applied 30
it_assert_eq "0 0" "$(it_psql "SELECT count(*) FILTER (WHERE state = 'firing') || ' ' || count(*) FILTER (WHERE state <> 'cleared') FROM alerts")" \
    "every alert cleared"
it_assert_eq "resolved resolved resolved" "$(it_psql "SELECT string_agg(state, ' ') FROM incidents")" "every incident resolved"
it_assert_eq "resolved|resolved resolved|resolved resolved|resolved" \
    "$(it_psql "SELECT string_agg(state || '|' || incident_state, ' ') FROM tickets")" \
    "every ticket resolved with its incident (auto_resolve queue)"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM events WHERE format = 3 AND status = 2")" \
    "the PagerDuty receiver sent its resolve once (not repeated)"
it_assert_eq 3 "$(it_psql "SELECT count(*) FROM tickets")" "still one ticket per group"

it_log "post to Alertmanager -> 2 tickets in $(((T_TICKETS - T_POST) / 1000)) ms (startsAt is 1 min old, so Alertmanager sends without group_wait); resolves posted -> every ticket resolved in $(((T_RESOLVED - T_RPOST) / 1000)) ms; whole test $((($(it__now_us) - T0) / 1000000)) s"
it_pass "Alertmanager's webhook and PagerDuty receivers: tickets, deduplicated re-sends, resolves (posted and by resolve_timeout) reach incident and ticket"
