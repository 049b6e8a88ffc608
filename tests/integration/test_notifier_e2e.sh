#!/usr/bin/env bash
# test_notifier_e2e.sh - the whole chain on PostgreSQL: an alert posted to
# ingest becomes an incident, a ticket and a page. The notifier pages level 1
# (alice's webhook on our http_receiver), nobody acknowledges, so level 2
# (bob, whose endpoint answers 500) is paged after the delay and retried
# until it fails; the acknowledge link in alice's page: GET does not
# acknowledge, a forged token is refused, POST acknowledges the ticket with
# alice as the actor, a second POST is refused; after the ack nothing more
# is paged. A watcher (carol, added through the API) gets one mail per
# state change over SMTP (our smtp_sink), threaded by the ticket. A resolved
# ticket stops its escalation and cancels what was queued. A kill -9 of the notifier loses no page and doubles at most one.
# Fails if: a page is missing, doubled (idempotency key), sent after the ack,
# or the ticket's audit trail does not name alice.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
source "$(dirname "$0")/lib_ticketer.sh"
it_require_pg
it_setup notifier_e2e

TOOLS=$BIN/tests/tools
HP=$(it_free_port)
NP=$(it_free_port)
SP=$(it_free_port)
REQ=$IT_TMP/requests.jsonl
MAIL=$IT_TMP/mail.jsonl
it_bg sink "$TOOLS/smtp_sink" --port "$SP" --out "$MAIL"
it_wait_until 10 grep -q port= "$IT_TMP/sink.log" || it_fail "smtp_sink did not start"
it_bg receiver "$TOOLS/http_receiver" --port "$HP" --log "$REQ" /alice=200 /bob=500 /carol=200
it_wait_until 10 grep -q port= "$IT_TMP/receiver.log" || it_fail "http_receiver did not start"

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
YAML
cat >"$IT_TMP/routing.yml" <<'YAML'
queues:
  - {name: NOC, key_prefix: NOC, auto_resolve: true, auto_close_after: 24h}
YAML
cat >"$IT_TMP/people.yml" <<YAML
users:
  - {name: alice, contacts: [{type: webhook, address: "http://127.0.0.1:$HP/alice"}]}
  - {name: bob, contacts: [{type: webhook, address: "http://127.0.0.1:$HP/bob"}]}
  - {name: carol, contacts: [{type: email, address: carol@example.net}]}
teams:
  - {name: noc, members: [alice, bob], escalation_policy: fast, queues: [NOC]}
escalation_policies:
  - name: fast
    levels:
      - {delay: 2s, targets: ["user:alice"]}
      - {delay: 2s, targets: ["user:bob"]}
YAML
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" "$IT_TMP/routing.yml"
cat >>"$IT_TMP/a.yml" <<YAML
notifier:
  stream: it-notifier
  people: "$IT_TMP/people.yml"
  http:
    listen: 127.0.0.1:$NP
  tickets: tcp://127.0.0.1:$TICK_PUB_PORT
  public_url: http://127.0.0.1:$NP
  ack_secret: it-ack-secret-0123456789
  survey: true
  allowed_url_prefixes: ["http://127.0.0.1:$HP/"]
  smtp:
    url: smtp://127.0.0.1:$SP
    from: "alertdesk <desk@example.net>"
  heartbeat_interval: 200ms
  retry:
    max_attempts: 3
    base: 100ms
    max: 300ms
YAML
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"
notifier_start() {
    it_bg notifier "$BIN/notifier/alertdesk-notifier" --config "$IT_TMP/a.yml"
    it_wait_http "http://127.0.0.1:$NP/healthz" 30
}
notifier_start

send() { # resource status
    printf '[{"source":"it","resource":"%s","check":"Down","status":"%s","severity":"critical"}]' \
        "$1" "$2" >"$IT_TMP/body.json"
    local out
    out=$(post /api/v1/events "$IT_TMP/body.json")
    [[ "$out" == 202* ]] || it_fail "ingest refused: $out"
}
hits() { grep -c "\"path\":\"/$1\"" "$REQ" 2>/dev/null || true; }

# ---- level 1 pages alice ----
send sw1 firing
wait_alice() { [[ "$(hits alice)" -ge 1 ]]; }
it_wait_until 20 wait_alice || it_fail "alice was not paged"
it_assert_eq "NOC-1" "$(it_psql "SELECT key FROM tickets")" "the alert opened NOC-1"
page=$(grep '"path":"/alice"' "$REQ" | head -n 1)
it_assert_match '"idempotency-key":"page:' "$page" "the page carries an Idempotency-Key"
it_assert_match '\\"key\\":\\"NOC-1\\"' "$page" "the webhook body names the ticket"
ack_url=$(printf '%s' "$page" | grep -o "http://127.0.0.1:$NP/ack/[A-Za-z0-9_.~-]*" | head -n 1)
[[ -n "$ack_url" ]] || it_fail "no acknowledge link in the page: $page"

# ---- carol watches NOC-1 (through the API): she is mailed on state changes ----
out=$(tick_api POST /api/v1/tickets/NOC-1/watch "$TOK_AGENT" '{"user":"carol"}')
it_assert_match '^200 ' "$out" "an agent adds a watcher"
it_assert_match '"watchers": ?\["carol"\]' "$out" "the ticket lists her"
out=$(tick_api POST /api/v1/tickets/NOC-1/watch "$TOK_AGENT" '{"user":"carol"}')
it_assert_match '^409 .*already watches' "$out" "watching twice is refused, saying why"

# ---- nobody acks: level 2 pages bob, whose endpoint fails: retried, then failed ----
wait_bob_failed() { [[ "$(it_psql "SELECT state || ':' || attempts FROM notifications WHERE user_name = 'bob'")" == failed:3 ]]; }
it_wait_until 30 wait_bob_failed || it_fail "bob's page was not retried 3 times then failed: $(it_psql "SELECT state, attempts, last_status FROM notifications WHERE user_name = 'bob'")"
it_assert_eq 3 "$(hits bob)" "bob's endpoint saw exactly the 3 attempts"
it_assert_eq 500 "$(it_psql "SELECT last_status FROM notifications WHERE user_name = 'bob'")" "the last status is kept"

# ---- the acknowledge link ----
code=$(curl -s -o "$IT_TMP/get.html" -w '%{http_code}' "$ack_url")
it_assert_eq 200 "$code" "GET shows the confirmation page"
it_assert_match '<form method="post">' "$(cat "$IT_TMP/get.html")" "with a form to POST"
it_assert_eq new "$(it_psql "SELECT state FROM tickets")" "GET alone does not acknowledge (prefetching chat apps)"
forged="${ack_url%?}x"
[[ "$forged" != "$ack_url" ]] || forged="${ack_url%?}y"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$forged")
it_assert_eq 403 "$code" "a forged token is refused"
code=$(curl -s -o "$IT_TMP/post.html" -w '%{http_code}' -X POST "$ack_url")
it_assert_eq 200 "$code" "POST acknowledges"
it_assert_eq "acknowledged" "$(it_psql "SELECT state FROM tickets")" "the ticket is acknowledged"
it_assert_eq "alice|acknowledged from the page" \
    "$(it_psql "SELECT actor, comment FROM ticket_events WHERE kind = 'state_changed' AND after = 'acknowledged'")" \
    "the audit trail names alice"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$ack_url")
it_assert_eq 409 "$code" "a link works once"
wait_esc_acked() { [[ "$(it_psql "SELECT state FROM escalations")" == acknowledged ]]; }
it_wait_until 10 wait_esc_acked || it_fail "the escalation did not see the acknowledgement"
pages=$(it_psql "SELECT count(*) FROM notifications")
sleep 3 # longer than a level's delay: nothing more may be queued
it_assert_eq "$pages" "$(it_psql "SELECT count(*) FROM notifications")" "nothing is paged after the ack"

# ---- the watcher's mail: one per state change, threaded by the ticket ----
out=$(tick_api POST /api/v1/tickets/NOC-1/resolve "$TOK_AGENT" '{"comment":"fixed"}')
it_assert_match '^200 ' "$out" "the agent resolves NOC-1"
wait_mails() { [[ -s "$MAIL" && "$(jq -s length "$MAIL")" -ge 2 ]]; }
it_wait_until 20 wait_mails || it_fail "carol did not get two mails (ack, resolve): $(cat "$MAIL" 2>/dev/null)"
it_assert_eq 2 "$(jq -s length "$MAIL")" "exactly two mails: acknowledged and resolved"
it_assert_eq '["carol@example.net"]' "$(jq -c -s '.[0].rcpt' "$MAIL")" "to the watcher's address"
m1=$(jq -r -s '.[0].data' "$MAIL")
m2=$(jq -r -s '.[1].data' "$MAIL")
it_assert_match 'Subject: \[NOC-1\] acknowledged' "$m1" "the first mail says acknowledged"
it_assert_match 'changed by alice' "$m1" "and who did it"
it_assert_match 'Subject: \[NOC-1\] resolved' "$m2" "the second says resolved"
mid=$(printf '%s' "$m1" | tr -d '\r' | sed -n 's/^Message-ID: //Ip' | head -n 1)
[[ -n "$mid" ]] || it_fail "the first mail has no Message-ID: $m1"
it_assert_match "In-Reply-To: $mid" "$(printf '%s' "$m2" | tr -d '\r')" "the second mail threads under the first"

# ---- closing mails the survey link: one answer per ticket, in the report ----
out=$(tick_api POST /api/v1/tickets/NOC-1/close "$TOK_AGENT" '{}')
it_assert_match '^200 ' "$out" "the agent closes NOC-1"
wait_three_mails() { [[ "$(jq -s length "$MAIL")" -ge 3 ]]; }
it_wait_until 20 wait_three_mails || it_fail "no closing mail"
m3=$(jq -r -s '.[2].data' "$MAIL" | tr -d '\r')
survey_url=$(printf '%s' "$m3" | tr -d '\n' | grep -o "http://127.0.0.1:$NP/survey/[A-Za-z0-9_.~-]*" | head -n 1)
[[ -n "$survey_url" ]] || it_fail "the closing mail has no survey link: $m3"
it_assert_match '<input type="radio" name="rating"' "$(curl -s "$survey_url")" "the link shows the rating form"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${ack_url/\/ack\//\/survey\/}" --data 'rating=1')
it_assert_eq 403 "$code" "an acknowledge token is no survey token (keys differ)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$survey_url" --data 'rating=9')
it_assert_eq 400 "$code" "a rating outside 1-5 is refused"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$survey_url" --data 'rating=4&comment=quick+fix%21')
it_assert_eq 200 "$code" "the answer is stored"
it_assert_eq "4|quick fix!" "$(it_psql "SELECT rating, comment FROM survey_answers")" "rating and decoded comment"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$survey_url" --data 'rating=1')
it_assert_eq 409 "$code" "one answer per ticket"
out=$(tick_api GET /api/v1/reports/summary "$TOK_AGENT")
it_assert_match '"satisfaction" ?: ?\{"answers" ?: ?1, ?"mean_rating" ?: ?4' "$out" "the report counts it"

# ---- a resolved ticket stops its escalation ----
send sw2 firing
wait_two() { [[ "$(it_psql "SELECT count(*) FROM escalations")" == 2 ]]; }
it_wait_until 20 wait_two || it_fail "no escalation for the second ticket"
send sw2 resolved
wait_stopped() { [[ "$(it_psql "SELECT state || ':' || stop_reason FROM escalations WHERE ticket_key = 'NOC-2'")" == stopped:resolved ]]; }
it_wait_until 20 wait_stopped || it_fail "resolving NOC-2 did not stop its escalation"

# ---- kill -9: nothing lost, no page twice beyond one per crash ----
send sw3 firing
kill -9 "$NOTIFIER_PID"
wait "$NOTIFIER_PID" 2>/dev/null || true
notifier_start
wait_three() { [[ "$(it_psql "SELECT count(*) FROM notifications n JOIN tickets t ON t.id = n.ticket_id WHERE t.key = 'NOC-3' AND n.user_name = 'alice' AND n.state = 'sent'")" == 1 ]]; }
it_wait_until 20 wait_three || it_fail "NOC-3's page to alice was not sent after the restart"
n3=$(grep -c '"idempotency-key":"page:[0-9]*:[0-9]*:0:0:alice' "$REQ" || true)
((n3 >= 2 && n3 <= 3)) || it_fail "alice got $n3 level-1 pages for 2 tickets before and 1 after a crash (expected 2..3)"
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM (SELECT idempotency_key FROM notifications GROUP BY 1 HAVING count(*) > 1) d")" \
    "no notification queued twice"

it_pass "pages escalate, retry and fail as told; ack link acknowledges once as alice; resolve stops; crash-safe"
