#!/usr/bin/env bash
# test_ticketer_api.sh - the ticketer's JSON API and `alertdesk ticket` over
# real HTTP (curl) against PostgreSQL, on tickets made the real way (events
# through ingest and the correlator): 401/403 per role; list filters, bad
# filters, pagination without duplicates or gaps while tickets are being
# opened; show with ETag, timeline and alerts; ack/assign/comment/pending/
# resolve/close/reopen with their audit rows (actor = token name); refused
# transitions (409) and missing reasons (422) with their sentence; a stale
# If-Match (409 naming who changed it); bulk with one bad key; unknown body
# fields; silences add/list/expire with a bad matcher named; the summary
# report's numbers; the CLI's table and --json output and exit codes.
# Fails if: any status, message, count or audit row differs from the above.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
source "$(dirname "$0")/lib_ticketer.sh"
it_require_pg
it_setup ticketer_api

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules: []
YAML
cat >"$IT_TMP/routing.yml" <<'YAML'
comment_interval: 1s
queues:
  - {name: NOC, key_prefix: NOC}
  - {name: DC, key_prefix: DC}
sla_policies:
  - {name: std, first_response: 1h, resolution: 8h}
routes:
  - name: dc
    match: ["labels.site = fra1"]
    queue: DC
    impact: low
    sla: std
  - name: noc
    match: ["labels.site = ams1"]
    queue: NOC
    impact: high
    sla: std
YAML
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" "$IT_TMP/routing.yml"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"
API=/api/v1

ev() { # resource site [severity]
    printf '{"source":"it","resource":"%s","check":"NodeDown","status":"firing","severity":"%s","summary":"%s is down","labels":{"site":"%s"}}' \
        "$1" "${3:-critical}" "$1" "$2"
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
# api METHOD PATH TOKEN [BODY] -> sets ST (status) and BODY
api() {
    local out
    out=$(tick_api "$@")
    ST=${out%% *}
    BODY=${out#* }
}
jq_() { jq -r "$1" <<<"$BODY"; }
expect() { # STATUS WHAT
    [[ "$ST" == "$1" ]] || it_fail "$2: expected HTTP $1, got $ST: $BODY"
    printf 'ok - %s\n' "$2"
}

# ---- tickets the real way: 6 alerts, 6 incidents, 6 tickets ----
send "$(ev r1 ams1)" "$(ev r2 ams1)" "$(ev r3 ams1 major)" "$(ev r4 fra1)" "$(ev r5 fra1 warning)" "$(ev r6 ams1)"
settle
it_assert_eq 6 "$(it_psql "SELECT count(*) FROM tickets")" "six tickets opened through the stack"
NOC1=$(it_psql "SELECT key FROM tickets WHERE cause_resource = 'r1'")
NOC2=$(it_psql "SELECT key FROM tickets WHERE cause_resource = 'r2'")
NOC3=$(it_psql "SELECT key FROM tickets WHERE cause_resource = 'r3'")

# ---- authentication and roles ----
code=$(curl -s -o "$IT_TMP/noauth" -w '%{http_code}' "$TICK_URL$API/tickets")
it_assert_eq 401 "$code" "no token: 401"
it_assert_match 'missing bearer token' "$(cat "$IT_TMP/noauth")" "401 says what is missing"
api GET "$API/tickets" wrong-token
expect 401 "unknown token: 401"
api GET "$API/tickets" "$INGEST_TOKEN"
expect 403 "an ingest token has no API rights"
api GET "$API/tickets" "$TOK_VIEWER"
expect 200 "viewer reads"
api POST "$API/tickets/$NOC1/ack" "$TOK_VIEWER" '{}'
expect 403 "viewer may not ack"
it_assert_match 'role viewer.*needs role agent' "$(jq_ .error)" "403 names both roles"
api POST "$API/silences" "$TOK_AGENT" '{"matchers":["resource = x"],"duration":"1h","comment":"c"}'
expect 403 "agent may not add silences"
api GET "$API/nothing" "$TOK_VIEWER"
expect 404 "unknown endpoint: 404"

# ---- list and filters ----
api GET "$API/tickets?state=new" "$TOK_VIEWER"
expect 200 "list by state"
it_assert_eq 6 "$(jq_ '.tickets | length')" "six new tickets"
it_assert_eq true "$(jq_ '["key","id","title","state","priority","severity","queue","assignee","alert_count",
                              "active_alerts","opened_at","updated_at","sla","version"] as $k
                             | .tickets[0] as $t | all($k[]; . as $f | $t | has($f))')" \
    "a list item carries the documented fields"
it_assert_match '^(running|none)$' "$(jq_ '.tickets[0].sla.response.status')" "sla.response.status present"
api GET "$API/tickets?queue=DC" "$TOK_VIEWER"
it_assert_eq 2 "$(jq_ '.tickets | length')" "queue=DC: the two fra1 tickets"
api GET "$API/tickets?label=site=fra1&priority=P4,P3" "$TOK_VIEWER"
it_assert_eq "$(it_psql "SELECT count(*) FROM tickets WHERE labels->'site' = 'fra1' AND priority IN (3,4)")" \
    "$(jq_ '.tickets | length')" "label and priority filters agree with SQL"
api GET "$API/tickets?text=r3%20is" "$TOK_VIEWER"
it_assert_eq "$NOC3" "$(jq_ '.tickets[0].key')" "text filter finds the title"
it_assert_eq 1 "$(jq_ '.tickets | length')" "and only it"
api GET "$API/tickets?state=bogus" "$TOK_VIEWER"
expect 400 "unknown state: 400"
it_assert_eq state "$(jq_ .field)" "the error names the field"
api GET "$API/tickets?color=red" "$TOK_VIEWER"
expect 400 "unknown query argument: 400"
it_assert_eq color "$(jq_ .field)" "the error names the argument"
api GET "$API/tickets?sort=title" "$TOK_VIEWER"
expect 400 "unknown sort: 400"
api GET "$API/tickets?limit=501" "$TOK_VIEWER"
expect 400 "limit over 500: 400"
api GET "$API/tickets?cursor=garbage" "$TOK_VIEWER"
expect 400 "forged cursor: 400"

# ---- pagination: pages of 2 while new tickets are opened ----
for sort in opened_at -opened_at priority; do
    seen=""
    cursor=""
    page=0
    while :; do
        api GET "$API/tickets?limit=2&sort=$sort${cursor:+&cursor=$cursor}" "$TOK_VIEWER"
        expect 200 "page $page sorted by $sort"
        seen+="$(jq_ '.tickets[].key' | tr '\n' ' ') "
        cursor=$(jq_ '.next_cursor // empty')
        if ((page == 0)); then # tickets opened between pages
            send "$(ev "p-$sort-a" ams1)" "$(ev "p-$sort-b" fra1)"
            settle
        fi
        page=$((page + 1))
        [[ -n "$cursor" ]] || break
        ((page < 50)) || it_fail "pagination does not end"
    done
    dups=$(tr ' ' '\n' <<<"$seen" | grep . | sort | uniq -d)
    it_assert_eq "" "$dups" "sort $sort: no ticket twice across pages"
    for k in $(it_psql "SELECT key FROM tickets WHERE cause_resource ~ '^r[0-9]$'"); do
        [[ " $seen " == *" $k "* ]] || it_fail "sort $sort: $k missing from the pages (a gap): $seen"
    done
    printf 'ok - sort %s: every ticket that existed at the start is on a page\n' "$sort"
done

# ---- show: ETag, timeline, alerts ----
headers=$(curl -s -D - -o "$IT_TMP/show.json" -H "Authorization: Bearer $TOK_VIEWER" "$TICK_URL$API/tickets/$NOC1")
BODY=$(cat "$IT_TMP/show.json")
v=$(jq_ .version)
it_assert_match "ETag: \"$v\"" "$headers" "ETag is the version"
it_assert_eq opened "$(jq_ '.timeline[0].kind')" "the timeline starts with 'opened'"
it_assert_eq r1 "$(jq_ '.alerts[0].resource')" "the incident's alerts are shown"
api GET "$API/tickets/NOPE-1" "$TOK_VIEWER"
expect 404 "unknown ticket: 404"

# ---- the life cycle, each step on the audit trail with the token's name ----
api POST "$API/tickets/$NOC1/close" "$TOK_AGENT" '{}'
expect 409 "closing a new ticket is refused"
it_assert_match 'cannot close' "$(jq_ .error)" "with the state machine's sentence"
api POST "$API/tickets/$NOC1/ack" "$TOK_AGENT" '{"comment":"looking"}'
expect 200 "ack"
it_assert_eq acknowledged "$(jq_ .state)" "the answer is the ticket, acknowledged"
it_assert_eq "agent-1|state_changed|new|acknowledged" \
    "$(it_psql "SELECT actor, kind, before, after FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
                 WHERE t.key = '$NOC1' AND kind = 'state_changed'")" "ack is on the audit trail as agent-1"
api POST "$API/tickets/$NOC1/assign" "$TOK_AGENT" '{"assignee":"alice"}'
expect 200 "assign"
it_assert_eq alice "$(jq_ .assignee)" "assignee set"
api POST "$API/tickets/$NOC1/assign" "$TOK_AGENT" '{"assignee":"alice"}'
expect 409 "assigning the same person again is refused"
api POST "$API/tickets/$NOC1/comment" "$TOK_AGENT" '{"text":"router rebooted"}'
expect 200 "comment"
it_assert_eq "router rebooted" "$(jq_ '[.timeline[] | select(.kind == "commented")][0].comment')" "the comment is on the timeline"
api POST "$API/tickets/$NOC1/comment" "$TOK_AGENT" '{"text":"x","colour":"red"}'
expect 400 "unknown body field: 400"
it_assert_eq colour "$(jq_ .field)" "naming the field"
api POST "$API/tickets/$NOC1/comment" "$TOK_AGENT" '{"text":'
expect 400 "bad JSON: 400"
api POST "$API/tickets/$NOC1/pending" "$TOK_AGENT" '{}'
expect 422 "pending without a reason: 422"
it_assert_eq reason "$(jq_ .field)" "naming reason"
api POST "$API/tickets/$NOC1/pending" "$TOK_AGENT" '{"reason":"waiting for the carrier"}'
expect 200 "pending"
it_assert_eq "pending|waiting for the carrier" "$(jq_ '.state + "|" + .pending_reason')" "pending with its reason"
api POST "$API/tickets/$NOC1/resolve" "$TOK_AGENT" '{"comment":"carrier fixed the fibre"}'
expect 200 "resolve"
api POST "$API/tickets/$NOC1/close" "$TOK_AGENT" '{}'
expect 200 "close"
it_assert_eq closed "$(jq_ .state)" "closed"
api POST "$API/tickets/$NOC1/reopen" "$TOK_AGENT" '{"reason":"flapping again"}'
expect 200 "reopen"
it_assert_eq "in_progress|1" "$(jq_ '.state + "|" + (.reopen_count | tostring)')" \
    "an acknowledged ticket reopens in_progress"
api POST "$API/tickets/$NOC1/transition" "$TOK_AGENT" '{"state":"acknowledged"}'
expect 409 "in_progress -> acknowledged is refused"
api POST "$API/tickets/$NOC1/transition" "$TOK_AGENT" '{"state":"sleeping"}'
expect 422 "unknown target state: 422"
it_assert_eq "state_changed assigned commented state_changed state_changed state_changed reopened" \
    "$(it_psql "SELECT string_agg(kind, ' ' ORDER BY seq) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
                 WHERE t.key = '$NOC1' AND actor = 'agent-1' AND kind NOT LIKE 'sla_%'")" \
    "every change left exactly one audit row by agent-1"
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM ticket_events WHERE actor IN ('viewer-1')")" \
    "refused requests left no audit row"

# ---- optimistic concurrency ----
api GET "$API/tickets/$NOC2" "$TOK_VIEWER"
v=$(jq_ .version)
api POST "$API/tickets/$NOC2/assign" "$TOK_ADMIN" '{"assignee":"bob"}'
expect 200 "admin assigns (the other agent)"
code=$(curl -s -o "$IT_TMP/stale" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK_AGENT" \
    -H "If-Match: \"$v\"" --data-binary '{}' "$TICK_URL$API/tickets/$NOC2/ack")
it_assert_eq 409 "$code" "ack with a stale If-Match: 409"
it_assert_match "ticket $NOC2 was changed by admin-1 since version $v.*reload" "$(cat "$IT_TMP/stale")" \
    "409 names who changed it and the version"
api POST "$API/tickets/$NOC2/ack" "$TOK_AGENT" "{\"version\": $((v + 1))}"
expect 200 "ack with the current version in the body"

# ---- bulk: one bad key, the others done ----
api POST "$API/tickets/bulk" "$TOK_AGENT" "{\"keys\":[\"$NOC3\",\"NOC-999\",\"$NOC2\"],\"action\":\"comment\",\"text\":\"bulk note\"}"
expect 200 "bulk answers per key"
it_assert_eq "2|1" "$(jq_ '"\(.ok)|\(.failed)"')" "two done, one failed"
it_assert_eq "404" "$(jq_ '.results[] | select(.key == "NOC-999") | .status')" "the bad key says 404"
it_assert_eq 2 "$(it_psql "SELECT count(*) FROM ticket_events WHERE comment = 'bulk note' AND actor = 'agent-1'")" \
    "one comment per good key"
api POST "$API/tickets/bulk" "$TOK_AGENT" '{"keys":[],"action":"ack"}'
expect 422 "bulk without keys: 422"

# ---- silences ----
api POST "$API/silences" "$TOK_OPERATOR" '{"matchers":["labels.site = ams1","resource =~ ("],"duration":"2h","comment":"mw"}'
expect 400 "a bad matcher: 400"
it_assert_eq 'matchers[1]' "$(jq_ .field)" "naming which matcher"
api POST "$API/silences" "$TOK_OPERATOR" '{"matchers":["labels.site = ams1"],"duration":"2h","comment":"maintenance"}'
expect 201 "silence added"
sid=$(jq_ .id)
it_assert_eq "active|operator-1" "$(jq_ '.state + "|" + .creator')" "active, created by the token's name"
api GET "$API/silences" "$TOK_VIEWER"
it_assert_eq "$sid" "$(jq_ '.silences[0].id')" "listed"
api POST "$API/silences/$sid/expire" "$TOK_OPERATOR"
expect 200 "expired"
it_assert_eq expired "$(jq_ .state)" "now expired"
api DELETE "$API/silences/$sid" "$TOK_OPERATOR"
expect 404 "expiring twice: 404"
api GET "$API/silences" "$TOK_VIEWER"
it_assert_eq 0 "$(jq_ '.silences | length')" "no active silence left"
api GET "$API/silences?all=true" "$TOK_VIEWER"
it_assert_eq 1 "$(jq_ '.silences | length')" "all=true shows the expired one"

# ---- incidents ----
iid=$(it_psql "SELECT incident_id FROM tickets WHERE key = '$NOC3'")
api GET "$API/incidents/$iid" "$TOK_VIEWER"
expect 200 "incident shown"
it_assert_eq "$NOC3|r3" "$(jq_ '.ticket + "|" + .members[0].resource')" "with its ticket and members"
api GET "$API/incidents/abc" "$TOK_VIEWER"
expect 400 "a non-numeric incident id: 400"

# ---- reports against the known set ----
api GET "$API/reports/summary?since=2000-01-01T00:00:00Z" "$TOK_VIEWER"
expect 200 "summary"
it_assert_eq "$(it_psql "SELECT count(*) FROM tickets")" "$(jq_ .tickets)" "tickets in the period"
it_assert_eq 2 "$(jq_ .acknowledged)" "two tickets were acknowledged (NOC1, NOC2)"
it_assert_eq "$(it_psql "SELECT round(avg(extract(epoch FROM acknowledged_at - opened_at)), 1) FROM tickets")" \
    "$(jq_ .mtta_s)" "MTTA = mean(acknowledged_at - opened_at)"
it_assert_eq "$(it_psql "SELECT count(*) FROM tickets WHERE queue = 'DC'")" "$(jq_ .by_queue.DC)" "tickets per queue"
it_assert_eq "$(it_psql "SELECT count(*) FROM events")" "$(jq_ .funnel.events)" "funnel: events"
it_assert_eq "$(it_psql "SELECT count(*) FROM incidents")" "$(jq_ .funnel.incidents)" "funnel: incidents"
it_assert_eq "$(it_psql "SELECT count(*) FROM tickets WHERE state = 'new'")" "$(jq_ .backlog.new)" "backlog by state"
api GET "$API/reports/summary?since=yesterday" "$TOK_VIEWER"
expect 400 "a bad since: 400"

# ---- the CLI ----
CLI="$BIN/cli/alertdesk"
export ALERTDESK_API_URL=$TICK_URL ALERTDESK_TOKEN=$TOK_AGENT
out=$("$CLI" ticket list --queue DC)
it_assert_match '^KEY +STATE +PRI' "$out" "ticket list prints a table with a header"
it_assert_eq "$(it_psql "SELECT count(*) FROM tickets WHERE queue = 'DC'")" "$(($(wc -l <<<"$out") - 1))" "one line per DC ticket"
out=$("$CLI" ticket list --state new --json)
it_assert_eq "$(it_psql "SELECT count(*) FROM tickets WHERE state = 'new'")" "$(jq '.tickets | length' <<<"$out")" \
    "--json gives the API's list (all pages)"
"$CLI" ticket ack "$NOC3" >"$IT_TMP/cli.out" || it_fail "ticket ack failed: $(cat "$IT_TMP/cli.out")"
it_assert_match "$NOC3.*acknowledged" "$(cat "$IT_TMP/cli.out")" "ticket ack says the new state"
"$CLI" ticket comment "$NOC3" "from the cli" >/dev/null
"$CLI" ticket assign "$NOC3" carol >/dev/null
out=$("$CLI" ticket show "$NOC3")
it_assert_match 'carol' "$out" "ticket show names the assignee"
it_assert_match 'from the cli' "$out" "and the timeline's comment"
rc=0
"$CLI" ticket close "$NOC3" 2>"$IT_TMP/cli.err" || rc=$?
it_assert_eq 1 "$rc" "a refused change exits 1"
it_assert_match 'cannot close' "$(cat "$IT_TMP/cli.err")" "and prints the API's sentence"
rc=0
ALERTDESK_TOKEN=$TOK_VIEWER "$CLI" ticket ack "$NOC3" 2>/dev/null || rc=$?
it_assert_eq 1 "$rc" "a 403 exits 1"
rc=0
ALERTDESK_API_URL=http://127.0.0.1:1 "$CLI" ticket list 2>/dev/null || rc=$?
it_assert_eq 3 "$rc" "an unreachable API exits 3"
rc=0
"$CLI" ticket frobnicate 2>/dev/null || rc=$?
it_assert_eq 2 "$rc" "an unknown subcommand exits 2"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM ticket_events WHERE comment = 'from the cli' AND actor = 'agent-1'")" \
    "the CLI's comment is recorded as the token's user"

it_pass "API auth, filters, pagination, show, life cycle, concurrency, bulk, silences, incidents, reports, CLI"
