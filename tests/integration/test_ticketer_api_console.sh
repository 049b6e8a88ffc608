#!/usr/bin/env bash
# test_ticketer_api_console.sh - the API endpoints the web console added,
# over real HTTP against PostgreSQL, on tickets made the real way (events
# through ingest and the correlator), and the console's static files:
# whoami per role; stream tickets (minted with the bearer token, refused
# when forged, never the token itself) and GET /api/v1/stream as
# server-sent events: hello, a change arriving live with its seq as id and
# the ticket in its data, catch-up with Last-Event-ID and ?after=, bad
# positions refused; similar tickets with who resolved them and how; pages
# (none yet: an empty list); reports over time by queue with one point per
# bucket; people and on-call from the people file (no addresses shown);
# maintenance windows from the rules file; the console served with its
# content types, CSP and security headers, ETag/304, and no directory
# listing, hidden file or path traversal.
# Fails if: any status, header, field or event differs from the above.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
source "$(dirname "$0")/lib_ticketer.sh"
it_require_pg
it_setup ticketer_api_console

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules: []
maintenance:
  - name: sunday-fibre
    match: ["labels.site = ams1"]
    days: [sun]
    start: "02:00"
    duration: 2h
    time_zone: Europe/Amsterdam
    comment: carrier window
YAML
cat >"$IT_TMP/routing.yml" <<'YAML'
comment_interval: 1s
queues:
  - {name: NOC, key_prefix: NOC}
sla_policies:
  - {name: std, first_response: 1h, resolution: 8h}
routes:
  - name: noc
    match: ["labels.site = ams1"]
    queue: NOC
    impact: high
    sla: std
YAML
mkdir -p "$IT_TMP/console/vendor" "$IT_TMP/console/sub" "$IT_TMP/console/.hidden"
printf '<!doctype html><title>t</title>\n' >"$IT_TMP/console/index.html"
printf 'console.log(1)\n' >"$IT_TMP/console/app.js"
printf 'body{}\n' >"$IT_TMP/console/vendor/lib.css"
printf 'secret\n' >"$IT_TMP/console/.hidden/x.txt"
printf 'outside\n' >"$IT_TMP/outside.txt"
ln -s "$IT_TMP/outside.txt" "$IT_TMP/console/link.txt"
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" "$IT_TMP/routing.yml"
sed -i "/^ticketer:/a\\
  console_dir: $IT_TMP/console" "$IT_TMP/a.yml"
cp "$ALERTDESK_SOURCE/deploy/examples/people.yml" "$IT_TMP/people.yml"
printf 'notifier:\n  people: %s\n' "$IT_TMP/people.yml" >>"$IT_TMP/a.yml"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"

ev() { # resource status
    printf '{"source":"it","resource":"%s","check":"NodeDown","status":"%s","severity":"critical","summary":"%s is down","labels":{"site":"ams1"}}' \
        "$1" "${2:-firing}" "$1"
}
send() {
    printf '[%s]' "$1" >"$IT_TMP/body.json"
    local out
    out=$(post /api/v1/events "$IT_TMP/body.json")
    [[ "$out" == 202* ]] || it_fail "ingest refused: $out"
    corr_wait_applied
    tick_wait_applied
}
api() { local out; out=$(tick_api "$@"); ST=${out%% *}; BODY=${out#* }; }
jq_() { jq -r "$1" <<<"$BODY"; }
expect() { [[ "$ST" == "$1" ]] || it_fail "$2: expected HTTP $1, got $ST: $BODY"; printf 'ok - %s\n' "$2"; }
same() { [[ "$1" == "$2" ]] || it_fail "$3: expected '$2', got '$1'"; printf 'ok - %s\n' "$3"; }

# ---- whoami ----
api GET /api/v1/whoami "$TOK_VIEWER"
expect 200 "whoami viewer"
same "$(jq_ '[.name,.role,.may.tickets,.may.silences] | join(" ")')" "viewer-1 viewer false false" "viewer may read only"
api GET /api/v1/whoami "$TOK_OPERATOR"
same "$(jq_ '[.role,.may.tickets,.may.silences,.may.admin] | join(" ")')" "operator true true false" "operator may work tickets and silences"
api GET /api/v1/whoami nope
expect 401 "whoami with an unknown token"

# ---- a ticket, resolved; then the same cause again ----
send "$(ev core-sw1)"
api GET "/api/v1/tickets?state=open" "$TOK_VIEWER"
K1=$(jq_ '.tickets[0].key')
api POST "/api/v1/tickets/$K1/resolve" "$TOK_AGENT" '{"comment":"replaced the optic"}'
expect 200 "resolve $K1"
send "$(ev core-sw1 resolved)"
sleep 1
send "$(ev core-sw1)"
api GET "/api/v1/tickets?state=open" "$TOK_VIEWER"
K2=$(jq_ '.tickets[0].key')
[[ -n "$K2" && "$K2" != null && "$K2" != "$K1" ]] || it_fail "no second ticket: $BODY"

# ---- similar ----
api GET "/api/v1/tickets/$K2/similar" "$TOK_VIEWER"
expect 200 "similar"
same "$(jq_ '[.similar[0].key, .similar[0].resolved_by, .similar[0].resolution] | join("|")')" \
    "$K1|agent-1|replaced the optic" "similar names the earlier ticket, who resolved it and how"
api GET "/api/v1/tickets/$K1/similar" "$TOK_VIEWER"
same "$(jq_ '.similar | length')" 0 "the first ticket has no earlier one"
api GET "/api/v1/tickets/NOC-999/similar" "$TOK_VIEWER"
expect 404 "similar of a missing ticket"
api GET "/api/v1/tickets/$K2/similar?x=1" "$TOK_VIEWER"
expect 400 "similar refuses unknown arguments"

# ---- pages ----
api GET "/api/v1/tickets/$K2/pages" "$TOK_VIEWER"
expect 200 "pages"
same "$(jq_ '[(.pages|length), (.escalation|tostring)] | join(" ")')" "0 null" "no notifier: no pages, no escalation"

# ---- stream tickets ----
api POST /api/v1/stream/token "$TOK_VIEWER" '{}'
expect 200 "stream token"
TICKET=$(jq_ .ticket)
same "$(jq_ .expires_in)" 60 "stream tickets live 60 s"
[[ "$TICKET" != *"$TOK_VIEWER"* ]] || it_fail "the ticket contains the token"
api POST /api/v1/stream/token "$TOK_VIEWER" '{"x":1}'
expect 400 "stream token refuses body fields"
code=$(curl -s -o /dev/null -w '%{http_code}' "$TICK_URL/api/v1/stream?ticket=${TICKET%?}0")
same "$code" 401 "a forged ticket is refused"
code=$(curl -s -o /dev/null -w '%{http_code}' "$TICK_URL/api/v1/stream")
same "$code" 401 "the stream needs a token or a ticket"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK_VIEWER" "$TICK_URL/api/v1/stream?after=x")
same "$code" 400 "a bad position is refused"

# ---- the stream: live ----
HEAD=$(it_psql "SELECT max(seq) FROM ticket_events WHERE stream = 'it-tick'")
curl -sN --max-time 6 -D "$IT_TMP/sse.h" "$TICK_URL/api/v1/stream?ticket=$TICKET" >"$IT_TMP/sse.txt" &
SSE=$!
sleep 1
api POST "/api/v1/tickets/$K2/ack" "$TOK_AGENT" '{"comment":"on it"}'
expect 200 "ack $K2"
wait "$SSE" || true
grep -qi '^content-type: text/event-stream' "$IT_TMP/sse.h" || it_fail "stream content type: $(cat "$IT_TMP/sse.h")"
grep -q "^event: hello" "$IT_TMP/sse.txt" || it_fail "no hello: $(cat "$IT_TMP/sse.txt")"
grep -q "^data: {\"head\":$HEAD,\"after\":$HEAD}" "$IT_TMP/sse.txt" || it_fail "hello head: $(cat "$IT_TMP/sse.txt")"
NEXT=$((HEAD + 1))
grep -q "^id: $NEXT\$" "$IT_TMP/sse.txt" || it_fail "no event id $NEXT: $(cat "$IT_TMP/sse.txt")"
LINE=$(sed -n 's/^data: //p' "$IT_TMP/sse.txt" | jq -c 'select(.actor? == "agent-1")' | head -1)
same "$(jq -r '[.key,.kind,.after,.ticket.state] | join(" ")' <<<"$LINE")" "$K2 state_changed acknowledged acknowledged" "the ack arrives live with the ticket"
printf 'ok - stream live\n'

# ---- the stream: catch-up ----
curl -sN --max-time 2 -H "Authorization: Bearer $TOK_VIEWER" -H "Last-Event-ID: 1" \
    "$TICK_URL/api/v1/stream" >"$IT_TMP/sse2.txt" || true
ALL=$(it_psql "SELECT count(*) FROM ticket_events WHERE stream = 'it-tick' AND seq > 1")
same "$(grep -c '^event: ticket' "$IT_TMP/sse2.txt")" "$ALL" "Last-Event-ID: 1 replays every later change"
same "$(grep '^id: ' "$IT_TMP/sse2.txt" | head -1)" "id: 2" "catch-up starts after the last id seen"
curl -sN --max-time 2 "$TICK_URL/api/v1/stream?after=$HEAD&ticket=$TICKET" >"$IT_TMP/sse3.txt" || true
same "$(grep '^id: ' "$IT_TMP/sse3.txt" | head -1)" "id: $NEXT" "?after= catches up from there"

# ---- reports over time ----
api GET "/api/v1/reports/series?bucket=day&by=queue" "$TOK_VIEWER"
expect 200 "series by queue"
same "$(jq_ '.series[0].group')" NOC "one series per queue"
same "$(jq_ '(.buckets|length) == (.series[0].points|length) and (.buckets|length) == (.funnel|length)')" true "one point per bucket"
same "$(jq_ '[.series[0].points[].tickets] | add')" 2 "two tickets in the week"
api GET "/api/v1/reports/series?bucket=minute" "$TOK_VIEWER"
expect 400 "a bad bucket"
api GET "/api/v1/reports/series?since=2026-13-01" "$TOK_VIEWER"
expect 400 "a bad since"

# ---- people and on call ----
api GET /api/v1/people "$TOK_VIEWER"
expect 200 "people"
same "$(jq_ '[.users[0].name, .users[0].display_name, (.users[0].contacts|join(","))] | join("|")')" \
    "alice|Alice Jansen|sms,email" "people: names and contact kinds"
[[ "$BODY" != *"+3161"* && "$BODY" != *"@example.net"* ]] || it_fail "people shows addresses: $BODY"
api GET "/api/v1/oncall?team=noc&days=2" "$TOK_VIEWER"
expect 200 "on call"
same "$(jq_ '.teams[0].team')" noc "on call: the team asked for"
same "$(jq_ '(.teams[0].shifts|length) > 0 and (.teams[0].now|has("until"))')" true "on call: now and shifts"
api GET "/api/v1/oncall?team=nobody" "$TOK_VIEWER"
expect 404 "on call of an unknown team"
api GET "/api/v1/oncall?days=99" "$TOK_VIEWER"
expect 400 "too many days"

# ---- maintenance ----
api GET /api/v1/maintenance "$TOK_VIEWER"
expect 200 "maintenance"
same "$(jq_ '.windows[0] | [.name, (.days|join(",")), .start, .duration_minutes, .time_zone, .matchers[0]] | join("|")')" \
    "sunday-fibre|sun|02:00|120|Europe/Amsterdam|labels.site = ams1" "maintenance window as the rules say"
[[ "$(jq_ '.windows[0].next_start != null or .windows[0].active_now')" == true ]] || it_fail "no next start: $BODY"

# ---- the console's files ----
hdr() { curl -s -D - -o "$IT_TMP/f.body" "$@"; }
H=$(hdr "$TICK_URL/")
[[ "$H" == "HTTP/1.1 200"* ]] || it_fail "GET /: $H"
grep -qi '^content-type: text/html; charset=utf-8' <<<"$H" || it_fail "index type: $H"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'.*frame-ancestors 'none'" <<<"$H" || it_fail "CSP: $H"
grep -qi '^x-content-type-options: nosniff' <<<"$H" || it_fail "nosniff: $H"
grep -qi '^referrer-policy: no-referrer' <<<"$H" || it_fail "referrer: $H"
grep -qi '^cache-control: no-cache' <<<"$H" || it_fail "cache: $H"
ETAG=$(grep -i '^etag:' <<<"$H" | cut -d' ' -f2 | tr -d '\r')
printf 'ok - index with CSP and security headers\n'
same "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$TICK_URL/")" 304 "If-None-Match gives 304"
H=$(hdr "$TICK_URL/app.js")
grep -qi '^content-type: text/javascript' <<<"$H" || it_fail "js type: $H"
H=$(hdr "$TICK_URL/vendor/lib.css")
grep -qi '^cache-control: public, max-age=86400' <<<"$H" || it_fail "vendor cache: $H"
for bad in /sub/ /sub /vendor/ /.hidden/x.txt /../outside.txt /%2e%2e/outside.txt /vendor/..%2f..%2foutside.txt \
    /link.txt /nothing.html /index.php; do
    code=$(curl -s --path-as-is -o "$IT_TMP/f.body" -w '%{http_code}' "$TICK_URL$bad")
    [[ "$code" == 404 ]] || it_fail "$bad: expected 404, got $code: $(cat "$IT_TMP/f.body")"
    ! grep -q 'outside\|secret' "$IT_TMP/f.body" || it_fail "$bad leaked a file"
done
printf 'ok - no listing, hidden files, traversal or symlinks out\n'
same "$(curl -s "$TICK_URL/api/v1/nothing")" '{"error":"no such endpoint"}' "an unknown API path is still a JSON 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$TICK_URL/index.html")
same "$code" 405 "POST to a console file"

# ---- SIGTERM with streams open (suspended connections) exits cleanly ----
CURLS=()
for i in 1 2 3; do
    curl -sN -H "Authorization: Bearer $TOK_VIEWER" "$TICK_URL/api/v1/stream" >"$IT_TMP/open$i.txt" 2>/dev/null &
    CURLS+=($!)
done
sleep 1
same "$(grep -c '^event: hello' "$IT_TMP"/open*.txt | awk -F: '{s+=$2} END {print s}')" 3 "three streams open"
it_stop ticketer
same "$IT_LAST_STATUS" 0 "the ticketer stops cleanly with streams open"
! grep -qi 'panic\|AddressSanitizer\|runtime error' "$IT_TMP/ticketer.log" || it_fail "ticketer log: $(tail -5 "$IT_TMP/ticketer.log")"
for p in "${CURLS[@]}"; do
    wait "$p" 2>/dev/null || true # the server ended their streams
done
it_pass
