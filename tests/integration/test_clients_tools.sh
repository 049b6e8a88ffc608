#!/usr/bin/env bash
# test_clients_tools.sh - the other real clients against the whole chain
# (ingest + correlator + ticketer on PostgreSQL), each taking an alert from
# firing to a ticket and from its OK to a resolved ticket:
#   1. kcat producing native events to a topic on the Kafka-protocol broker
#      that ingest consumes (ingest.kafka.*);
#   2. deploy/integrations/nagios/alertdesk-notify.sh, run the way Nagios
#      runs a notification command (/bin/sh, a clean environment holding
#      NAGIOS_* macros) and the way Icinga 2 does (plain names from the
#      command's env), calling `alertdesk send` over ZeroMQ: a service
#      PROBLEM and RECOVERY, a host DOWN and UP, an ACKNOWLEDGEMENT skipped,
#      a call without HOSTNAME refused;
#   3. curl posting the body of deploy/integrations/zabbix's media type
#      (produced by running its JavaScript under node with Zabbix's objects
#      stubbed, when node is installed; else the captured fixtures in
#      tests/fixtures/zabbix/, made the same way): PROBLEM, then OK.
# Fails if: a client's alert makes no ticket or more than one, a ticket does
# not resolve with its OK, the fields are not mapped as the integration's
# README says, the Nagios script's exit status is wrong or a skipped
# notification stores anything.
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
it_setup clients_tools
T0=$(it__now_us)

# ---- the Kafka broker: the harness's, else one of our own ------------------
KAFKA=""
TOPIC="it-clients-$BASHPID"
if ! command -v kcat >/dev/null; then
    it_log "no kcat: the Kafka part is NOT tested (deploy/install-deps.sh installs kcat)"
elif [[ -n "${KAFKA_BOOTSTRAP:-}" ]]; then
    KAFKA=$KAFKA_BOOTSTRAP
elif [[ -x "$BIN/tests/tools/kafka_broker" ]]; then
    it_bg broker "$BIN/tests/tools/kafka_broker" --brokers 1 --topic "$TOPIC:2"
    it_wait_until 10 grep -q '^bootstrap=' "$IT_TMP/broker.log" ||
        it_fail "kafka_broker printed no bootstrap= line within 10 s"
    KAFKA=$(sed -n 's/^bootstrap=//p' "$IT_TMP/broker.log")
else
    it_log "no KAFKA_BOOTSTRAP and no $BIN/tests/tools/kafka_broker: the Kafka part is NOT tested"
fi

# ---- alertdesk ------------------------------------------------------------
cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
defaults:
  hold_down: 0s
YAML
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" ""
if [[ -n "$KAFKA" ]]; then
    # The topic exists before ingest subscribes, as in production (a
    # metadata request creates it on the mock cluster).
    timeout 30 kcat -b "$KAFKA" -L -t "$TOPIC" >/dev/null || it_fail "kcat -L failed on $KAFKA"
    # ingest.kafka.* belong under ingest: (tick_config wrote the rest).
    sed -i "/^  publish: tcp:\/\/127.0.0.1:$PUB_PORT\$/a\\
  kafka:\\
    brokers: \"$KAFKA\"\\
    group: it-clients-$BASHPID\\
    topics:\\
      - {name: $TOPIC, format: native}" "$IT_TMP/a.yml"
fi
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"

sql_is() { [[ "$(it_psql "$2")" == "$1" ]]; }
# ticket_of RESOURCE CHECK - "state|incident_state|severity|alert_count" of
# the ticket whose cause is that alert (no row: no ticket yet).
ticket_q() {
    printf "SELECT state || '|' || incident_state || '|' || severity || '|' || alert_count FROM tickets
             WHERE cause_resource = '%s' AND \"check\" = '%s'" "$1" "$2"
}
# wait_ticket RESOURCE CHECK EXPECTED WHY - until ticket_of prints EXPECTED.
wait_ticket() {
    it_wait_until 30 sql_is "$3" "$(ticket_q "$1" "$2")" ||
        it_fail "$4: expected ticket '$3', got '$(it_psql "$(ticket_q "$1" "$2")")'"
    printf 'ok - %s\n' "$4"
}
# Severities in the tables: 1 info, 2 warning, 3 minor, 4 major, 5 critical.

# ---- 1. kcat -> Kafka topic -> ingest -------------------------------------
if [[ -n "$KAFKA" ]]; then
    produce() { timeout 30 kcat -b "$KAFKA" -P -t "$TOPIC" || it_fail "kcat could not produce to $TOPIC"; }
    printf '%s\n' \
        '{"source":"kafka-probe","resource":"rtr1.ams1","check":"BGPPeerDown","severity":"critical","summary":"BGP peer 192.0.2.1 down","labels":{"site":"ams1"}}' \
        '{"source":"kafka-probe","resource":"rtr2.ams1","check":"BGPPeerDown","severity":"major","summary":"BGP peer 192.0.2.2 down","labels":{"site":"ams1"}}' |
        produce
    wait_ticket rtr1.ams1 BGPPeerDown "new|open|5|1" "kafka: rtr1's event produced by kcat became a ticket (critical)"
    wait_ticket rtr2.ams1 BGPPeerDown "new|open|4|1" "kafka: rtr2's too (major)"
    echo '{"source":"kafka-probe","resource":"rtr1.ams1","check":"BGPPeerDown","status":"resolved","labels":{"site":"ams1"}}' | produce
    wait_ticket rtr1.ams1 BGPPeerDown "resolved|resolved|5|1" "kafka: the resolve produced by kcat resolved rtr1's ticket"
    it_assert_eq "new" "$(it_psql "SELECT state FROM tickets WHERE cause_resource = 'rtr2.ams1'")" "rtr2's ticket is untouched"
    it_assert_eq 3 "$(it_psql "SELECT count(*) FROM events WHERE source = 'kafka-probe' AND format = 1")" \
        "3 native events stored from the topic, no more"
fi

# ---- 2. Nagios / Icinga notification command ------------------------------
NOTIFY=$SRC/deploy/integrations/nagios/alertdesk-notify.sh
[[ -x "$NOTIFY" ]] || it_fail "$NOTIFY is missing or not executable"
# nagios VAR=VALUE... - run the script as Nagios does: /bin/sh -c with the
# command line, an environment holding only the macros (no HOSTNAME of the
# machine sneaking in) and PATH. Prints the exit status; output to a log.
nagios() {
    local rc=0
    env -i PATH=/usr/bin:/bin ALERTDESK="$BIN/cli/alertdesk" "$@" \
        /bin/sh -c "'$NOTIFY' --endpoint tcp://127.0.0.1:$ZMQ_PORT --timeout 10 --label site=ams1" \
        >>"$IT_TMP/notify.log" 2>&1 || rc=$?
    echo "$rc"
}
it_assert_eq 0 "$(nagios NAGIOS_NOTIFICATIONTYPE=PROBLEM NAGIOS_HOSTNAME=web1.ams1 NAGIOS_SERVICEDESC=HTTP \
    NAGIOS_SERVICESTATE=CRITICAL NAGIOS_SERVICEOUTPUT='HTTP CRITICAL - Connection refused' \
    NAGIOS_LONGSERVICEOUTPUT='tcp/80 refused' NAGIOS_HOSTADDRESS=192.0.2.20 NAGIOS_SERVICEATTEMPT=3)" \
    "nagios: a service PROBLEM is stored (exit 0)"
wait_ticket web1.ams1 HTTP "new|open|5|1" "nagios: the PROBLEM became a ticket (CRITICAL -> critical)"
it_assert_eq "nagios|HTTP CRITICAL - Connection refused|tcp/80 refused|192.0.2.20|ams1|CRITICAL|PROBLEM|3" \
    "$(it_psql "SELECT concat_ws('|', source, summary, description, labels->'address', labels->'site',
                                 annotations->'state', annotations->'notification_type', annotations->'attempt')
                  FROM events WHERE resource = 'web1.ams1'")" \
    "nagios: fields, labels and annotations mapped as the README says"
it_assert_eq 0 "$(nagios NAGIOS_NOTIFICATIONTYPE=ACKNOWLEDGEMENT NAGIOS_HOSTNAME=web1.ams1 NAGIOS_SERVICEDESC=HTTP \
    NAGIOS_SERVICESTATE=CRITICAL NAGIOS_NOTIFICATIONAUTHOR=alice)" "nagios: an ACKNOWLEDGEMENT exits 0"
grep -q 'ACKNOWLEDGEMENT notification for web1.ams1/HTTP skipped' "$IT_TMP/notify.log" ||
    it_fail "the skipped ACKNOWLEDGEMENT said nothing on stderr"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM events WHERE resource = 'web1.ams1'")" \
    "nagios: ... and stores nothing (alertdesk keeps its own acknowledgements)"
it_assert_eq 2 "$(nagios NAGIOS_NOTIFICATIONTYPE=PROBLEM NAGIOS_SERVICEDESC=HTTP NAGIOS_SERVICESTATE=CRITICAL)" \
    "nagios: no HOSTNAME at all -> exit 2, nothing sent"
it_assert_eq 0 "$(nagios NAGIOS_NOTIFICATIONTYPE=RECOVERY NAGIOS_HOSTNAME=web1.ams1 NAGIOS_SERVICEDESC=HTTP \
    NAGIOS_SERVICESTATE=OK NAGIOS_SERVICEOUTPUT='HTTP OK: 200 in 0.01 s' NAGIOS_HOSTADDRESS=192.0.2.20)" \
    "nagios: the RECOVERY is stored (exit 0)"
wait_ticket web1.ams1 HTTP "resolved|resolved|5|1" "nagios: the RECOVERY resolved the ticket (same alert: stable labels)"

# Icinga 2 style: plain names from the NotificationCommand's env, a host
# notification (no SERVICEDESC), lower-case-insensitive type.
it_assert_eq 0 "$(nagios NOTIFICATIONTYPE=PROBLEM HOSTNAME=sw9.ams1 HOSTSTATE=UNREACHABLE \
    HOSTOUTPUT='PING CRITICAL - Packet loss = 100%' HOSTADDRESS=192.0.2.9 SERVICEDESC=)" \
    "icinga 2: a host PROBLEM is stored"
wait_ticket sw9.ams1 host "new|open|4|1" "icinga 2: the host alert became a ticket (check 'host', UNREACHABLE -> major)"
it_assert_eq 0 "$(nagios NOTIFICATIONTYPE=Recovery HOSTNAME=sw9.ams1 HOSTSTATE=UP HOSTOUTPUT='PING OK' HOSTADDRESS=192.0.2.9)" \
    "icinga 2: the host RECOVERY is stored"
wait_ticket sw9.ams1 host "resolved|resolved|4|1" "icinga 2: ... and resolved the host's ticket"

# ---- 3. Zabbix media type -> curl -----------------------------------------
ZBX_YAML=$SRC/deploy/integrations/zabbix/alertdesk_media_type.yaml
# zbx_body OUT VALUE RECOVERY_TS - run the media type's script under node as
# Zabbix would (its parameters in `value`), with HttpRequest stubbed to
# record the request; OUT gets the URL, then the headers, then the body.
zbx_body() {
    local out=$1 now
    now=$(date +%s)
    jq -n --arg url "$INGEST_URL" --arg token "$INGEST_TOKEN" --arg value "$2" --arg now "$now" --arg rts "$3" '{
        HTTPProxy: "", event_ack_status: "No", event_id: "90210", event_name: "Interface ge-0/0/3: link down",
        event_nseverity: "4", event_recovery_id: (if $value == "0" then "90233" else "{EVENT.RECOVERY.ID}" end),
        event_recovery_timestamp: (if $value == "0" then $rts else "{EVENT.RECOVERY.TIMESTAMP}" end),
        event_source: "0", event_tags: "[{\"tag\":\"site\",\"value\":\"ams1\"},{\"tag\":\"scope\",\"value\":\"availability\"}]",
        event_timestamp: $now, event_update_action: "{EVENT.UPDATE.ACTION}", event_update_message: "{EVENT.UPDATE.MESSAGE}",
        event_update_status: "0", event_update_timestamp: "{EVENT.UPDATE.TIMESTAMP}", event_update_user: "{USER.FULLNAME}",
        event_value: $value, host: "sw3.ams1", host_ip: "192.0.2.13", host_name: "sw3.ams1 access switch",
        message: "Problem: Interface ge-0/0/3: link down", opdata: "Current state: down (2)", sendto: "noc",
        token: $token, trigger_description: "ifOperStatus is down", trigger_id: "31337",
        trigger_name: "Interface ge-0/0/3: link down", url: $url, zabbix_url: "https://zabbix.example.net/"}' \
        >"$IT_TMP/zbx-params.json"
    node "$IT_TMP/zbx-run.js" "$IT_TMP/zbx-script.js" "$IT_TMP/zbx-params.json" "$out" ||
        it_fail "the media type's script failed under node: $(cat "$out" 2>/dev/null)"
}
# zbx_post OUT - curl posts what the script would have sent.
zbx_post() {
    local url hdrs=() h code
    url=$(jq -r .url "$1")
    while IFS= read -r h; do hdrs+=(-H "$h"); done < <(jq -r '.headers[]' "$1")
    jq -j .body "$1" >"$IT_TMP/zbx-body.json"
    code=$(curl -s -o "$IT_TMP/zbx.out" -w '%{http_code}' "${hdrs[@]}" --data-binary "@$IT_TMP/zbx-body.json" "$url")
    [[ "$code" == 202 ]] || it_fail "ingest refused the Zabbix body: HTTP $code $(cat "$IT_TMP/zbx.out")"
}
# CLIENTS_NO_NODE=1 takes the fixture path even where node exists.
USE_NODE=0
if [[ "${CLIENTS_NO_NODE:-0}" != 1 ]] && command -v node >/dev/null; then
    USE_NODE=1
fi
if ((USE_NODE)); then
    ZBX_HOST=sw3.ams1
    ZBX_CHECK='Interface ge-0/0/3: link down'
    # The script is the block under "script: |", 8 spaces deep.
    awk '/^      script: \|$/ { on = 1; next }
         on && $0 != "" { match($0, /^ */); if (RLENGTH < 8) exit }
         on { sub(/^        /, ""); print }' "$ZBX_YAML" >"$IT_TMP/zbx-script.js"
    [[ -s "$IT_TMP/zbx-script.js" ]] || it_fail "no script: block found in $ZBX_YAML"
    cat >"$IT_TMP/zbx-run.js" <<'JS'
// Runs a Zabbix webhook script as Zabbix does: `value` holds the parameters
// as JSON; HttpRequest and Zabbix are stubbed and the request is recorded.
const fs = require('fs');
const [scriptFile, paramsFile, outFile] = process.argv.slice(2);
const rec = { url: '', headers: [], body: '' };
function HttpRequest() {}
HttpRequest.prototype.addHeader = function (h) { rec.headers.push(h); };
HttpRequest.prototype.setProxy = function () {};
HttpRequest.prototype.post = function (url, body) { rec.url = url; rec.body = body; return '{"accepted":1}'; };
HttpRequest.prototype.getStatus = function () { return 202; };
const Zabbix = { log: function () {} };
const run = new Function('value', 'HttpRequest', 'Zabbix', fs.readFileSync(scriptFile, 'utf8'));
const r = run(fs.readFileSync(paramsFile, 'utf8'), HttpRequest, Zabbix);
if (r !== 'OK') { throw new Error('script returned ' + r); }
fs.writeFileSync(outFile, JSON.stringify(rec));
JS
    zbx_body "$IT_TMP/zbx-problem.json" 1 ""
    it_assert_eq "$INGEST_URL/api/v1/zabbix" "$(jq -r .url "$IT_TMP/zbx-problem.json")" "zabbix: the script posts to /api/v1/zabbix"
    it_log "Zabbix bodies from the media type's script run under node $(node --version)"
    zbx_post "$IT_TMP/zbx-problem.json"
    ZBX_RECOVERY_TS=$(($(date +%s) + 1))
else
    it_log "node not found (or CLIENTS_NO_NODE=1): posting the captured media-type bodies of tests/fixtures/zabbix/ (the script itself is not run)"
    ZBX_HOST=sw1.ams1
    ZBX_CHECK='Interface xe-0/0/1 (uplink to rtr1): link down'
    printf '{"url":"%s","headers":["Content-Type: application/json","Authorization: Bearer %s"],"body":%s}' \
        "$INGEST_URL/api/v1/zabbix" "$INGEST_TOKEN" "$(jq -Rs . <"$SRC/tests/fixtures/zabbix/problem.json")" \
        >"$IT_TMP/zbx-problem.json"
    zbx_post "$IT_TMP/zbx-problem.json"
fi
wait_ticket "$ZBX_HOST" "$ZBX_CHECK" "new|open|4|1" "zabbix: the PROBLEM became a ticket (High -> major)"
it_assert_eq "zabbix|ams1|true" "$(it_psql "SELECT source || '|' || (labels->'site') || '|' || (annotations ? 'zabbix_url')
                                         FROM events WHERE format = 4")" "zabbix: source, tags as labels, link back to Zabbix"
if ((USE_NODE)); then
    zbx_body "$IT_TMP/zbx-ok.json" 0 "$ZBX_RECOVERY_TS"
else
    printf '{"url":"%s","headers":["Content-Type: application/json","Authorization: Bearer %s"],"body":%s}' \
        "$INGEST_URL/api/v1/zabbix" "$INGEST_TOKEN" "$(jq -Rs . <"$SRC/tests/fixtures/zabbix/recovery.json")" \
        >"$IT_TMP/zbx-ok.json"
fi
zbx_post "$IT_TMP/zbx-ok.json"
wait_ticket "$ZBX_HOST" "$ZBX_CHECK" "resolved|resolved|4|1" "zabbix: the OK (same event id) resolved the ticket"

# ---- all of it: one ticket per alert --------------------------------------
corr_wait_applied 30
tick_wait_applied 30
n_alerts=$(it_psql "SELECT count(*) FROM alerts")
it_assert_eq "$n_alerts|$n_alerts" "$(it_psql "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM tickets)")" \
    "one incident and one ticket per alert ($n_alerts alerts), nothing doubled"
it_log "whole test $((($(it__now_us) - T0) / 1000000)) s"
it_pass "kcat${KAFKA:+ (Kafka)}, the Nagios/Icinga notification script and the Zabbix media type each open a ticket and resolve it"
