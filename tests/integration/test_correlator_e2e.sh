#!/usr/bin/env bash
# test_correlator_e2e.sh - ingest + correlator against PostgreSQL: a switch and
# its hosts become one incident (hosts as symptoms), the switch's recovery
# promotes a host, a silence mutes matching alerts, and the state survives a
# restart and a kill -9 during a storm (same incidents and memberships as an
# uninterrupted run; incident_changes seq without holes; offsets at the head).
# Fails if: memberships, promotion, silences, the canonical state after the
# crashes, the stream's seq or the offsets are not as an uninterrupted run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
it_require_pg
it_setup correlator_e2e

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules:
  - name: core-down
    match: ["check = NodeDown"]
    group_by: [resource]
    join_window: 5m
    hold_down: 0s
topology:
  window: 2m
  on_parent_recovery: promote
  nodes:
    - {resource: core-sw1, parents: []}
    - {resource: host-1, parents: [core-sw1]}
    - {resource: host-2, parents: [core-sw1]}
    - {resource: host-3, parents: [core-sw1]}
YAML
corr_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"

ev() { # resource check status [labels-json]
    printf '{"source":"it","resource":"%s","check":"%s","status":"%s","severity":"critical","labels":%s}' \
        "$1" "$2" "$3" "${4:-{\}}"
}
send() { # events...
    (IFS=, && printf '[%s]' "$*") >"$IT_TMP/body.json"
    local out
    out=$(post /api/v1/events "$IT_TMP/body.json")
    [[ "$out" == 202* ]] || it_fail "ingest refused: $out"
}

# ---- parent first: hosts join the switch's incident as symptoms ----
send "$(ev core-sw1 NodeDown firing)"
corr_wait_applied
send "$(ev host-1 Unreachable firing)" "$(ev host-2 Unreachable firing)" "$(ev host-3 Unreachable firing)"
corr_wait_applied
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM incidents")" "one incident for the switch and its hosts"
it_assert_eq "core-sw1:member:active,host-1:symptom:active,host-2:symptom:active,host-3:symptom:active" \
    "$(it_psql "SELECT string_agg(a.resource || ':' || CASE WHEN m.symptom THEN 'symptom' ELSE 'member' END || ':' ||
                       CASE WHEN m.active THEN 'active' ELSE 'clear' END, ',' ORDER BY a.resource)
                  FROM incident_members m JOIN alerts a USING (fingerprint)")" \
    "the hosts joined as symptoms of the switch"
it_assert_eq core-sw1 "$(it_psql "SELECT a.resource FROM incidents i JOIN alerts a ON a.fingerprint = i.cause_fingerprint")" \
    "the switch is the cause"

# ---- the switch recovers: a host is promoted to cause ----
send "$(ev core-sw1 NodeDown resolved)"
corr_wait_applied
it_assert_match '^host-[123]$' "$(it_psql "SELECT a.resource FROM incidents i JOIN alerts a ON a.fingerprint = i.cause_fingerprint")" \
    "a still-firing host became the cause"
it_assert_eq open "$(it_psql "SELECT state FROM incidents")" "the incident stays open while hosts fire"

# ---- the incidents stream ----
it_assert_eq "t|t" "$(it_psql "SELECT min(seq) = 1 AND count(*) = max(seq), max(seq) = (SELECT last_seq FROM stream_heads WHERE stream = 'it-corr')
                                  FROM incident_changes WHERE stream = 'it-corr'")" \
    "incident_changes seq starts at 1, has no holes, equals the head"
it_assert_match 'incident_opened' "$(it_psql "SELECT string_agg(kind, ' ' ORDER BY seq) FROM incident_changes")" "incident_opened published"

# ---- silences ----
"$BIN/cli/alertdesk" silence add --config "$IT_TMP/a.yml" --match 'labels.site = ams1' --duration 2h \
    --comment 'maintenance' --creator it >"$IT_TMP/silence.out" || it_fail "silence add: $(cat "$IT_TMP/silence.out")"
sid=$(grep -o '[0-9]\+' "$IT_TMP/silence.out" | head -n 1)
sleep 0.6 # silence_refresh is 200ms
before=$(it_psql "SELECT count(*) FROM incidents")
send "$(ev muted-1 DiskFull firing '{"site":"ams1"}')"
corr_wait_applied
it_assert_eq "$before" "$(it_psql "SELECT count(*) FROM incidents")" "a silenced alert opens no incident"
it_assert_eq "$sid" "$(it_psql "SELECT silenced_by FROM alerts WHERE resource = 'muted-1'")" "the alert records its silence"
it_assert_match "$sid" "$("$BIN/cli/alertdesk" silence list --config "$IT_TMP/a.yml")" "silence list shows it"
"$BIN/cli/alertdesk" silence expire --config "$IT_TMP/a.yml" "$sid" >/dev/null
it_pass "topology, promotion, stream and silences"

# ---- explain ----
iid=$(it_psql "SELECT id FROM incidents WHERE rule = 'core-down'")
out=$("$BIN/cli/alertdesk" explain --config "$IT_TMP/a.yml" "$iid")
it_assert_match 'rule "core-down"' "$out" "explain names the rule"
it_assert_match 'host-[0-9]/Unreachable: symptom of parent core-sw1' "$out" "explain names the parent of a symptom"
fp=$(it_psql "SELECT fingerprint FROM alerts WHERE resource = 'host-2'")
out=$("$BIN/cli/alertdesk" explain --config "$IT_TMP/a.yml" "$fp")
it_assert_match "incident_alert_joined: .*incident $iid" "$out" "explain of an alert shows where it joined"
it_assert_match 'parent core-sw1' "$out" "explain of an alert names its parent"

# ---- rules check ----
out=$("$BIN/cli/alertdesk" rules check "$IT_TMP/rules.yml")
it_assert_match 'ok \(1 rules, 4 topology nodes' "$out" "rules check accepts the good file"
cat >"$IT_TMP/bad.yml" <<'YAML'
rules:
  - name: typo
    match: ["check = NodeDown"]
    grup_by: [site]
    join_window: 5m
YAML
if out=$("$BIN/cli/alertdesk" rules check "$IT_TMP/bad.yml" 2>&1); then
    it_fail "rules check accepted a bad file: $out"
fi
it_assert_match 'bad.yml:4: .*grup_by' "$out" "rules check names the line and the bad field"

# ---- SIGHUP: a bad rule file keeps the running rules; a good one swaps ----
cp "$IT_TMP/rules.yml" "$IT_TMP/rules.good"
cp "$IT_TMP/bad.yml" "$IT_TMP/rules.yml"
if "$BIN/cli/alertdesk" rules reload --config "$IT_TMP/a.yml" >/dev/null 2>&1; then
    it_fail "rules reload signalled with a bad file"
fi
kill -HUP "$CORRELATOR_PID"
it_wait_until 5 grep -q 'rule reload refused' "$IT_TMP/correlator.log" || it_fail "bad rules were not refused"
cp "$IT_TMP/rules.good" "$IT_TMP/rules.yml"
"$BIN/cli/alertdesk" rules reload --config "$IT_TMP/a.yml" >/dev/null
it_wait_until 5 grep -q 'rules reloaded' "$IT_TMP/correlator.log" || it_fail "rules reload did not happen"
curl -sf "$CORR_URL/healthz" >/dev/null || it_fail "unhealthy after reloads"
metrics=$(curl -sf "$CORR_URL/metrics")
it_assert_match 'alertdesk_correlator_events_applied_total [1-9]' "$metrics" "metrics count applied events"
it_assert_match 'alertdesk_correlator_rule_hits_total\{rule="core-down"\} 1' "$metrics" "metrics count rule hits"
it_pass "explain, rules check, reload and metrics"

# ---- active/standby: a second correlator waits for the lock, then takes over ----
sed -e "s|127.0.0.1:${CORR_URL##*:}|127.0.0.1:$(it_free_port)|" -e "s|tcp://127.0.0.1:$CORR_PUB_PORT|tcp://127.0.0.1:$(it_free_port)|" \
    -e "s|pid_file: .*|pid_file: \"\"|" "$IT_TMP/a.yml" >"$IT_TMP/b.yml"
standby_url="http://127.0.0.1:$(sed -n 's/^    listen: 127.0.0.1:\([0-9]*\)$/\1/p' "$IT_TMP/b.yml" | tail -n 1)"
it_bg standby "$BIN/correlator/alertdesk-correlator" --config "$IT_TMP/b.yml"
it_wait_until 10 grep -q 'standby: another instance holds the lock; waiting\" lock=alertdesk.correlator' "$IT_TMP/standby.log" ||
    it_fail "the second correlator did not wait as a standby"
it_assert_eq 503 "$(curl -s -o /dev/null -w '%{http_code}' "$standby_url/healthz")" "a standby is not healthy"
it_stop correlator
it_wait_http "$standby_url/healthz" 15
send "$(ev host-9 Unreachable firing)"
it_wait_until 10 corr__caught_up || it_fail "the standby did not take over"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM alerts WHERE resource = 'host-9'")" "the new active correlator applies events"
it_pass "a standby waits for the lock and takes over"
