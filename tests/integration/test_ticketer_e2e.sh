#!/usr/bin/env bash
# test_ticketer_e2e.sh - ingest + correlator + ticketer against PostgreSQL:
# a switch and its hosts become ONE ticket (NOC-1, P1, SLA policy copied),
# alerts joining are one coalesced note (not one comment each), the SLA
# warning and breach become ticket_events rows, the incident's resolve
# resolves the ticket and a re-fire reopens it; a kill -9 and a replay of
# the whole incidents stream from seq 0 make no second ticket; ticket_events
# is append-only (trigger for everyone, no privilege for the daemons' role)
# and its seqs have no holes; an `info` incident is recorded without ticket.
# Fails if: any of those counts, states or refusals differ.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
source "$(dirname "$0")/lib_ticketer.sh"
it_require_pg
it_setup ticketer_e2e

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules:
  - name: core-down
    match: ["check = NodeDown"]
    group_by: [resource]
    join_window: 5m
    hold_down: 0s
    reopen_window: 1h
topology:
  window: 2m
  nodes:
    - {resource: core-sw1, parents: []}
    - {resource: host-1, parents: [core-sw1]}
    - {resource: host-2, parents: [core-sw1]}
    - {resource: host-3, parents: [core-sw1]}
YAML
cat >"$IT_TMP/routing.yml" <<'YAML'
comment_interval: 1s
queues:
  - {name: NOC, key_prefix: NOC, auto_resolve: true, auto_close_after: 24h}
sla_policies:
  # Short enough to watch the warning and the breach happen in the test.
  - {name: fast, first_response: 2s, resolution: 1h, update_interval: 3s, warn_at: 50%}
routes:
  - name: info-only
    match: ["severity = info"]
    open_ticket: false
  - name: core
    match: ["labels.site = ams1"]
    queue: NOC
    impact: high
    sla: fast
YAML
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" "$IT_TMP/routing.yml"

# ---- --check-config reads the routing file too, line-precise ----
"$BIN/ticketer/alertdesk-ticketer" --config "$IT_TMP/a.yml" --check-config >/dev/null ||
    it_fail "the good routing file does not pass --check-config"
sed 's/    queue: NOC/    queue: NCO/' "$IT_TMP/routing.yml" >"$IT_TMP/bad-routing.yml"
sed "s|$IT_TMP/routing.yml|$IT_TMP/bad-routing.yml|" "$IT_TMP/a.yml" >"$IT_TMP/bad.yml"
rc=0
out=$("$BIN/ticketer/alertdesk-ticketer" --config "$IT_TMP/bad.yml" --check-config 2>&1) || rc=$?
it_assert_eq 1 "$rc" "--check-config refuses a routing file naming an unknown queue"
it_assert_match 'bad-routing.yml:[0-9]+: routes\[1\]\.queue: .*NCO' "$out" "and names the file, line and key"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"

ev() { # resource check status [severity]
    printf '{"source":"it","resource":"%s","check":"%s","status":"%s","severity":"%s","summary":"%s is down","labels":{"site":"ams1"}}' \
        "$1" "$2" "$3" "${4:-critical}" "$1"
}
send() { # events...
    (IFS=, && printf '[%s]' "$*") >"$IT_TMP/body.json"
    local out
    out=$(post /api/v1/events "$IT_TMP/body.json")
    [[ "$out" == 202* ]] || it_fail "ingest refused: $out"
}
settle() {
    corr_wait_applied
    tick_wait_applied
}

# ---- one incident, one ticket ----
# The switch's first event carries a runbook link (annotations), a repeat
# carries another: the ticket keeps the opening event's.
printf '[{"source":"it","resource":"core-sw1","check":"NodeDown","status":"firing","severity":"critical","summary":"core-sw1 is down","labels":{"site":"ams1"},"annotations":{"runbook_url":"https://wiki.example.net/rb/nodedown"}}]' >"$IT_TMP/body.json"
out=$(post /api/v1/events "$IT_TMP/body.json")
[[ "$out" == 202* ]] || it_fail "ingest refused: $out"
printf '[{"source":"it","resource":"core-sw1","check":"NodeDown","status":"firing","severity":"critical","summary":"core-sw1 is down","labels":{"site":"ams1"},"annotations":{"runbook_url":"https://wiki.example.net/rb/other"}}]' >"$IT_TMP/body.json"
out=$(post /api/v1/events "$IT_TMP/body.json")
[[ "$out" == 202* ]] || it_fail "ingest refused: $out"
settle
send "$(ev host-1 Unreachable firing)" "$(ev host-2 Unreachable firing)" "$(ev host-3 Unreachable firing)"
settle
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM incidents")" "one incident for the switch and its hosts"
it_assert_eq "NOC-1|new|1|NOC|core|fast|4" \
    "$(it_psql "SELECT key, state, priority, queue, route, sla_policy, alert_count FROM tickets")" \
    "one ticket NOC-1: new, P1 (high impact x critical), route core, SLA fast, 4 alerts"
it_assert_match '^core-sw1: NodeDown - core-sw1 is down$' "$(it_psql "SELECT title FROM tickets")" \
    "the title names the cause"
it_assert_eq "ams1" "$(it_psql "SELECT labels->'site' FROM tickets")" "the cause's labels are on the ticket"
it_assert_eq "https://wiki.example.net/rb/nodedown" "$(it_psql "SELECT annotations->'runbook_url' FROM tickets")" \
    "the opening event's annotations are on the ticket (a repeat does not rewrite them)"
it_assert_match 'Link \(runbook_url\): https://wiki.example.net/rb/nodedown' "$(it_psql "SELECT description FROM tickets")" \
    "the description carries the runbook link"

# ---- coalesced note: one 'alerts' row, not one per alert ----
wait_note() { [[ "$(it_psql "SELECT count(*) FROM ticket_events WHERE kind = 'alerts'")" -ge 1 ]]; }
it_wait_until 10 wait_note || it_fail "no coalesced alerts note after the comment interval"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM ticket_events WHERE kind = 'alerts'")" \
    "4 joins inside one interval are ONE system note"
it_assert_match 'alerts joined' "$(it_psql "SELECT comment FROM ticket_events WHERE kind = 'alerts'")" "the note says what joined"

# ---- SLA: 2s first response, warning at 50 %, then breach ----
wait_breach() { [[ "$(it_psql "SELECT response_status FROM tickets")" == breached ]]; }
it_wait_until 15 wait_breach || it_fail "response SLA not breached after its 2s target"
it_assert_eq "sla_warning sla_breached" \
    "$(it_psql "SELECT string_agg(kind, ' ' ORDER BY seq) FROM ticket_events WHERE kind LIKE 'sla_%' AND field = 'response'")" \
    "one warning, then one breach, on the stream"
it_assert_eq running "$(it_psql "SELECT resolution_status FROM tickets")" "the 1h resolution clock still runs"

# ---- the update clock: nobody updated it for 3 s; a comment restarts it ----
wait_update_breach() { [[ "$(it_psql "SELECT update_status FROM tickets")" == breached ]]; }
it_wait_until 15 wait_update_breach || it_fail "update-interval SLA not breached after 3 s without an update"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM ticket_events WHERE kind = 'sla_breached' AND field = 'update'")" \
    "one update breach on the stream"
out=$(tick_api POST /api/v1/tickets/NOC-1/comment "$TOK_AGENT" '{"text":"looking into it"}')
it_assert_match '^200 .*"update": \{[^}]*"status": "running"' "$out" "a person's comment restarts the update clock"
it_assert_eq t "$(it_psql "SELECT update_due_at > now() AND last_update_at IS NOT NULL FROM tickets")" \
    "with a due date ahead"

# ---- info: recorded, no ticket ----
send "$(ev host-9 DiskInfo firing info)"
settle
it_assert_eq 2 "$(it_psql "SELECT count(*) FROM incidents")" "the info alert formed an incident"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM tickets")" "routing said open_ticket: false for info"

# ---- resolve and reopen follow the incident ----
send "$(ev host-1 Unreachable resolved)" "$(ev host-2 Unreachable resolved)" "$(ev host-3 Unreachable resolved)" \
    "$(ev core-sw1 NodeDown resolved)"
settle
it_assert_eq "resolved|resolved" "$(it_psql "SELECT state, incident_state FROM tickets")" \
    "auto_resolve queue: the ticket resolved with its incident"
it_assert_match '^[0-9]' "$(it_psql "SELECT auto_close_at FROM tickets")" "auto-close is scheduled"
send "$(ev core-sw1 NodeDown firing)"
settle
it_assert_eq "new|1|open" "$(it_psql "SELECT state, reopen_count, incident_state FROM tickets")" \
    "a re-fire inside the reopen window reopens the same ticket (never acknowledged: new)"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM tickets")" "still one ticket"
it_assert_match 'reopen window' "$(it_psql "SELECT comment FROM ticket_events WHERE kind = 'reopened'")" \
    "the reopen says why"

# ---- kill -9 and a replay from seq 0: no second ticket, no second 'opened' ----
kill -9 "$TICKETER_PID"
wait "$TICKETER_PID" 2>/dev/null || true
it_psql "DELETE FROM consumer_offsets WHERE consumer = 'it-tick'" >/dev/null
tick_start "$IT_TMP/a.yml"
tick_wait_applied
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM tickets")" "replaying every incident change makes no second ticket"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM ticket_events WHERE kind = 'opened'")" "nor a second 'opened'"

# ---- the tickets stream: seq 1..n without holes, at the head ----
it_assert_eq "t|t" "$(it_psql "SELECT min(seq) = 1 AND count(*) = max(seq), max(seq) = (SELECT last_seq FROM stream_heads WHERE stream = 'it-tick')
                                  FROM ticket_events WHERE stream = 'it-tick'")" \
    "ticket_events seq starts at 1, has no holes, equals the head"

# ---- append-only, for everyone ----
out=$(it_psql "UPDATE ticket_events SET actor = 'mallory'" 2>&1 || true)
it_assert_match 'append-only' "$out" "UPDATE refused by the trigger (even for a superuser)"
out=$(it_psql "DELETE FROM ticket_events" 2>&1 || true)
it_assert_match 'append-only' "$out" "DELETE refused by the trigger"
out=$(it_psql "TRUNCATE ticket_events CASCADE" 2>&1 || true)
it_assert_match 'append-only' "$out" "TRUNCATE refused by the trigger"
it_psql "SET client_min_messages = warning; DROP ROLE IF EXISTS it_daemon; CREATE ROLE it_daemon LOGIN IN ROLE alertdesk_daemon" >/dev/null
out=$(it_psql "SET ROLE it_daemon; UPDATE ticket_events SET actor = 'mallory'" 2>&1 || true)
it_assert_match 'permission denied' "$out" "the daemons' role has no UPDATE on ticket_events"
out=$(it_psql "SET ROLE it_daemon; SELECT count(*) > 0 FROM ticket_events" 2>&1 || true)
it_assert_eq t "$out" "but may read it"
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM ticket_events WHERE actor = 'mallory'")" "nothing was changed"
it_psql "DROP ROLE it_daemon" >/dev/null

# ---- SIGHUP: a bad routing file is refused, the running one stays; a good one loads ----
cp "$IT_TMP/bad-routing.yml" "$IT_TMP/routing.yml.new"
mv "$IT_TMP/routing.yml" "$IT_TMP/routing.yml.good"
mv "$IT_TMP/routing.yml.new" "$IT_TMP/routing.yml"
kill -HUP "$TICKETER_PID"
refused() { grep -q 'routing reload refused, keeping the current routing' "$IT_TMP/ticketer.log"; }
it_wait_until 10 refused || it_fail "a bad routing file on SIGHUP was not refused"
it_assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$TICK_URL/healthz")" "the ticketer still runs on its routing"
mv "$IT_TMP/routing.yml.good" "$IT_TMP/routing.yml"
kill -HUP "$TICKETER_PID"
reloaded() { grep -q 'msg="routing reloaded"' "$IT_TMP/ticketer.log"; }
it_wait_until 10 reloaded || it_fail "a good routing file on SIGHUP was not loaded"
ok=$(tick_api GET /api/v1/tickets "$TOK_VIEWER")
it_assert_match '^200 ' "$ok" "the API answers after the reload (threads read the new routing)"

# ---- the report, as the CLI prints it for spreadsheets ----
"$BIN/cli/alertdesk" report --api "$TICK_URL" --token "$TOK_VIEWER" --csv >"$IT_TMP/report.csv" ||
    it_fail "alertdesk report failed: $(cat "$IT_TMP/report.csv")"
it_assert_match $'funnel,tickets,1\n' "$(cat "$IT_TMP/report.csv")"$'\n' "the funnel ends in the one ticket"
it_assert_match $'funnel,incidents,2\n' "$(cat "$IT_TMP/report.csv")"$'\n' "from two incidents (one info)"
it_assert_match $'sla.response.breached,1\n' "$(cat "$IT_TMP/report.csv")"$'\n' "the breach is counted"
code=0
"$BIN/cli/alertdesk" report --api "$TICK_URL" --token wrong-token-0123456789 >/dev/null 2>&1 || code=$?
it_assert_eq 1 "$code" "a refused token exits 1"

it_pass "one ticket per incident, coalesced notes, SLA events, resolve/reopen, replay-safe, append-only"
