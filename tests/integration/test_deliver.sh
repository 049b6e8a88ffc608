#!/usr/bin/env bash
# test_deliver.sh - notifier/deliver.h against real peers on loopback: an
# HTTP receiver (tests/tools/http_receiver) and an SMTP sink
# (tests/tools/smtp_sink), driven by tests/tools/deliver_cli. Proves the
# OK/RETRY/FATAL classification, Retry-After, timeouts, closed ports, the
# allow-list (no request made), slow endpoints not delaying fast ones, the
# HMAC signature (checked with openssl), chat and SMS bodies, SMTP headers
# and threading, the circuit breaker, the rate limit and that no secret
# reaches the logs. Needs no PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
it_setup deliver

TOOLS=$BIN/tests/tools
[[ -x $TOOLS/deliver_cli ]] || it_fail "$TOOLS/deliver_cli is not built"
HP=$(it_free_port)  # http_receiver
SP=$(it_free_port)  # smtp_sink
CP=$(it_free_port)  # nothing listens here: a closed port
SECRET=hmac-key-DO-NOT-LOG
SMTPPW=smtp-pw-DO-NOT-LOG
REQ=$IT_TMP/requests.jsonl
MAIL=$IT_TMP/mail.jsonl

it_bg receiver "$TOOLS/http_receiver" --port "$HP" --log "$REQ" \
    /ok=200 /chat=200 /sms=200 /fail=500 /cfail=503 /busy=429:2 /later=503:d5 \
    /slow=200@3000 /bad=400 /rate=200
it_bg sink "$TOOLS/smtp_sink" --port "$SP" --out "$MAIL" \
    --tempfail later@example.org --reject nobody@example.org
it_wait_until 10 grep -q port= "$IT_TMP/receiver.log" || it_fail "http_receiver did not start"
it_wait_until 10 grep -q port= "$IT_TMP/sink.log" || it_fail "smtp_sink did not start"

# config NAME [EXTRA YAML under notifier:] - writes $IT_TMP/NAME.yml.
config() {
    cat >"$IT_TMP/$1.yml" <<EOF
notifier:
  allowed_url_prefixes: ["http://127.0.0.1:$HP/", "http://127.0.0.1:$CP/"]
  webhook_secret: $SECRET
  sms:
    url: http://127.0.0.1:$HP/sms
    template: '{"to": "{{to}}", "message": "{{text}}"}'
  smtp:
    url: smtp://127.0.0.1:$SP
    from: "Alertdesk <desk@example.net>"
    user: desk
    password: $SMTPPW
${2:-}
EOF
}
config base "  timeout: 1s"
config patient "  timeout: 5s"
config circuit "$(printf '  circuit:\n    failures: 3\n    cooldown: 60s')"
config rate "  rate_limit_per_minute: 2"

# send CONFIG ARGS... - runs deliver_cli; its stdout in OUT, stderr appended
# to $IT_TMP/cli.log (checked for secrets at the end).
send() {
    local cfg=$1
    shift
    OUT=$("$TOOLS/deliver_cli" --config "$IT_TMP/$cfg.yml" "$@" 2>>"$IT_TMP/cli.log") ||
        it_fail "deliver_cli $* exited $?"
}
# line N - the result line of message N in OUT.
line() { grep "^id=$1 " <<<"$OUT" || it_fail "no result for id=$1 in: $OUT"; }
# field NAME LINE - one key=value of a result line.
field() { [[ $2 =~ (^| )$1=([^ ]*) ]] && echo "${BASH_REMATCH[2]}"; }
# requests PATH - how many requests the receiver got on PATH.
requests() { jq -s --arg p "$1" '[.[] | select(.path == $p)] | length' "$REQ"; }
U=http://127.0.0.1:$HP

# --- classification, one batch submitted together ---------------------------
BODY='{"ticket":"NOC-1","event":"opened"}'
send base --channel webhook --json "$BODY" --key idem-42 \
    --target "$U/ok" --target "$U/fail" --target "$U/busy" --target "$U/later" \
    --target "$U/slow" --target "http://127.0.0.1:$CP/TOKENPATH" --target "$U/bad" \
    --target "https://evil.example.net/hook"
l=$(line 1)
it_assert_eq OK "$(field result "$l")" "200 -> OK (fails when a 2xx is not OK)"
it_assert_eq 200 "$(field status "$l")" "200 -> status 200"
l=$(line 2)
it_assert_eq RETRY/500 "$(field result "$l")/$(field status "$l")" "500 -> RETRY (fails when 5xx is FATAL)"
l=$(line 3)
it_assert_eq RETRY/429/2000 "$(field result "$l")/$(field status "$l")/$(field retry_after_ms "$l")" \
    "429 + Retry-After: 2 -> RETRY after 2000 ms (fails when Retry-After is ignored)"
l=$(line 4)
ra=$(field retry_after_ms "$l")
it_assert_eq RETRY "$(field result "$l")" "503 + Retry-After date -> RETRY"
((ra >= 3000 && ra <= 5000)) || it_fail "Retry-After as an HTTP-date 5 s ahead gave $ra ms"
echo "ok - Retry-After as an HTTP-date -> $ra ms"
l=$(line 5)
it_assert_eq RETRY/0 "$(field result "$l")/$(field status "$l")" \
    "3 s endpoint with a 1 s timeout -> RETRY without status (fails when timeouts are not enforced)"
el=$(field elapsed_ms "$l")
((el < 2500)) || it_fail "the timeout of 1 s took $el ms"
it_assert_match "timed out" "$l" "the timeout is named in the error"
l=$(line 6)
it_assert_eq RETRY/0 "$(field result "$l")/$(field status "$l")" "closed port -> RETRY (fails when refused connections are FATAL)"
[[ $l != *TOKENPATH* ]] || it_fail "the URL's path (a credential for chat hooks) is in the error: $l"
echo "ok - the error of a closed port names the endpoint, not the path"
l=$(line 7)
it_assert_eq FATAL/400 "$(field result "$l")/$(field status "$l")" "400 -> FATAL (fails when other 4xx retry)"
l=$(line 8)
it_assert_eq FATAL/0 "$(field result "$l")/$(field status "$l")" "target outside the allow-list -> FATAL"
it_assert_match "allowed_url_prefixes" "$l" "the refusal names notifier.allowed_url_prefixes"
it_assert_eq 0 "$(jq -s '[.[] | select(.headers.host | test("evil"))] | length' "$REQ")" \
    "no request reached the receiver for the refused host"
it_assert_eq 6 "$(jq -s 'length' "$REQ")" \
    "6 requests reached the receiver for 8 messages (closed port, refused host: none)"

# --- the webhook request itself and its HMAC signature ------------------------
r=$(jq -c 'select(.path == "/ok")' "$REQ" | head -n 1)
it_assert_eq "$BODY" "$(jq -r .body <<<"$r")" "the webhook body is the daemon's JSON, byte for byte"
it_assert_eq application/json "$(jq -r '.headers["content-type"]' <<<"$r")" "Content-Type: application/json"
it_assert_eq idem-42 "$(jq -r '.headers["idempotency-key"]' <<<"$r")" "Idempotency-Key header"
it_assert_match '^alertdesk/' "$(jq -r '.headers["user-agent"]' <<<"$r")" "User-Agent: alertdesk/<version>"
ts=$(jq -r '.headers["x-alertdesk-timestamp"]' <<<"$r")
sig=$(jq -r '.headers["x-alertdesk-signature"]' <<<"$r")
now=$(date +%s)
((ts > now - 60 && ts <= now)) || it_fail "X-Alertdesk-Timestamp $ts is not now ($now)"
want=$(printf '%s.%s' "$ts" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
it_assert_eq "sha256=$want" "$sig" \
    "X-Alertdesk-Signature verifies with openssl (fails when the signed text is not timestamp.body)"

# --- a slow endpoint does not delay a fast one submitted after it -------------
send patient --channel webhook --target "$U/slow" --target "$U/ok" --text hi
fast=$(field elapsed_ms "$(line 2)")
slow=$(field elapsed_ms "$(line 1)")
it_assert_eq OK/OK "$(field result "$(line 1)")/$(field result "$(line 2)")" "slow and fast both OK with a 5 s timeout"
((fast < 1000)) || it_fail "the fast endpoint took $fast ms behind a 3 s one (head-of-line blocking)"
((slow >= 2900)) || it_fail "the slow endpoint answered in $slow ms, so the check proves nothing"
it_assert_match "^id=2 " "$(head -n 1 <<<"$OUT")" "the fast result ($fast ms) comes before the slow one ($slow ms)"

# --- chat and SMS bodies ------------------------------------------------------
send base --channel chat --target "$U/chat" --subject 'P1 core-1 down' --text 'BGP "down"' \
    --ack-url "http://desk/ack/tok"
it_assert_eq OK "$(field result "$(line 1)")" "chat -> OK"
chat=$(jq -r 'select(.path == "/chat") | .body' "$REQ")
it_assert_eq $'*P1 core-1 down*\nBGP "down"\nAcknowledge: http://desk/ack/tok' "$(jq -r .text <<<"$chat")" \
    "chat body is {\"text\"} with subject, text and the ack link"
[[ -z $(jq -r '.headers["x-alertdesk-signature"] // empty' < <(jq -c 'select(.path == "/chat")' "$REQ")) ]] ||
    it_fail "chat requests must not carry the webhook signature"
send base --channel sms --target '+31 6 1234 5678' --subject 'P1 "core-1"' --text down
it_assert_eq OK "$(field result "$(line 1)")" "sms -> OK"
sms=$(jq -r 'select(.path == "/sms") | .body' "$REQ")
it_assert_eq '+31 6 1234 5678' "$(jq -r .to <<<"$sms")" "SMS template: {{to}} replaced"
it_assert_eq $'P1 "core-1"\ndown' "$(jq -r .message <<<"$sms")" \
    "SMS template: {{text}} replaced, JSON-escaped (fails when quotes break the JSON)"
send base --channel sms --target 'not-a-number; rm' --text x
it_assert_eq FATAL "$(field result "$(line 1)")" "an SMS target that is no phone number -> FATAL"

# --- SMTP: headers, threading, 4xx/5xx ----------------------------------------
send base --channel email --target oncall@example.org --subject 'NOC-7 opened' \
    --text $'BGP down\n.starts with a dot' --key mail-1 --thread-key NOC-7 --thread-first
it_assert_eq OK/250 "$(field result "$(line 1)")/$(field status "$(line 1)")" "first mail -> OK 250"
send base --channel email --target oncall@example.org --subject 'NOC-7 acknowledged' \
    --text 'ack' --key mail-2 --thread-key NOC-7 --ack-url http://desk/ack/x
it_assert_eq OK "$(field result "$(line 1)")" "second mail -> OK"
it_assert_eq 2 "$(jq -s length "$MAIL")" "the sink received both mails"
m1=$(jq -r -s '.[0].data' "$MAIL")
m2=$(jq -r -s '.[1].data' "$MAIL")
it_assert_eq desk@example.net "$(jq -r -s '.[0].from' "$MAIL")" "MAIL FROM is the bare address of notifier.smtp.from"
it_assert_eq '["oncall@example.org"]' "$(jq -c -s '.[0].rcpt' "$MAIL")" "RCPT TO is the target"
it_assert_match $'\r\nMessage-ID: <t\\.NOC-7@example\\.net>\r\n' "$m1" "the first mail's Message-ID is the thread's id"
[[ $m1 != *In-Reply-To* ]] || it_fail "the first mail of a thread must not reply to anything"
it_assert_match $'\r\nMessage-ID: <mail-2@example\\.net>\r\n' "$m2" "the second mail has its own Message-ID"
it_assert_match $'\r\nIn-Reply-To: <t\\.NOC-7@example\\.net>\r\n' "$m2" \
    "the second mail of the thread has In-Reply-To the first (fails when threading is lost)"
it_assert_match $'\r\nReferences: <t\\.NOC-7@example\\.net>\r\n' "$m2" "and References"
for h in '^Date: ' $'\r\nFrom: Alertdesk <desk@example\\.net>\r\n' $'\r\nTo: oncall@example\\.org\r\n' \
    $'\r\nSubject: NOC-7 opened\r\n' $'\r\nMIME-Version: 1\\.0\r\n' \
    $'\r\nContent-Type: text/plain; charset=UTF-8\r\n'; do
    it_assert_match "$h" "$m1" "mail header /${h//$'\r\n'/ }/"
done
it_assert_match $'\r\n\\.starts with a dot' "$m1" "a body line starting with '.' survives SMTP dot-stuffing"
it_assert_match $'Acknowledge: http://desk/ack/x' "$m2" "the ack link is in the mail"
send base --channel email --target later@example.org --target nobody@example.org --text x
it_assert_eq RETRY/451 "$(field result "$(line 1)")/$(field status "$(line 1)")" "SMTP 451 -> RETRY"
it_assert_eq FATAL/550 "$(field result "$(line 2)")/$(field status "$(line 2)")" "SMTP 550 -> FATAL"
send base --channel email --target 'a@b>, evil@example.org' --text x
it_assert_eq FATAL "$(field result "$(line 1)")" "an address that would change the RCPT command -> FATAL"

# --- circuit breaker ----------------------------------------------------------
before=$(requests /cfail)
send circuit --channel webhook --target "$U/cfail" --repeat 5 --metrics "$IT_TMP/metrics.txt"
for i in 1 2 3; do
    it_assert_eq RETRY/503 "$(field result "$(line $i)")/$(field status "$(line $i)")" "circuit: failure $i reaches the endpoint"
done
for i in 4 5; do
    l=$(line $i)
    it_assert_eq RETRY/0 "$(field result "$l")/$(field status "$l")" "circuit: send $i after 3 failures is refused"
    it_assert_match "circuit open" "$l" "circuit: the refusal says so"
    ra=$(field retry_after_ms "$l")
    ((ra > 50000 && ra <= 60000)) || it_fail "circuit: retry_after_ms $ra is not the remaining 60 s cool-down"
done
it_assert_eq 3 "$(($(requests /cfail) - before))" "circuit: only 3 requests reached the endpoint (fails when it never opens)"
it_assert_match 'alertdesk_notifier_circuit_opened_total 1' "$(cat "$IT_TMP/metrics.txt")" "metrics: the circuit opened once"
it_assert_match 'alertdesk_notifier_sends_total\{channel="webhook",result="retry"\} 5' "$(cat "$IT_TMP/metrics.txt")" \
    "metrics: 5 webhook RETRY results"
it_assert_match 'alertdesk_notifier_retries_total\{channel="webhook"\} 4' "$(cat "$IT_TMP/metrics.txt")" \
    "metrics: attempts 2..5 counted as retries"
it_assert_match 'alertdesk_notifier_send_seconds_count\{channel="webhook"\} 3' "$(cat "$IT_TMP/metrics.txt")" \
    "metrics: latency observed for the 3 attempts made"

# --- rate limit ---------------------------------------------------------------
send rate --channel webhook --target "$U/rate" --repeat 3
it_assert_eq OK/OK "$(field result "$(line 1)")/$(field result "$(line 2)")" "rate: 2 sends within the limit"
l=$(line 3)
it_assert_eq RETRY "$(field result "$l")" "rate: the 3rd send in the same minute waits"
ra=$(field retry_after_ms "$l")
((ra > 25000 && ra <= 30001)) || it_fail "rate: retry_after_ms $ra, want about 30 s (2 per minute)"
it_assert_eq 2 "$(requests /rate)" "rate: only 2 requests reached the endpoint"

# --- secrets ------------------------------------------------------------------
grep -q . "$IT_TMP/cli.log" || it_fail "deliver_cli logged nothing, so the secret check proves nothing"
! grep -q -e "$SECRET" -e "$SMTPPW" -e TOKENPATH "$IT_TMP/cli.log" ||
    it_fail "a secret or a URL path is in the logs: $(grep -e "$SECRET" -e "$SMTPPW" -e TOKENPATH "$IT_TMP/cli.log")"
echo "ok - neither the webhook secret, the SMTP password nor a URL path reached the logs"

it_pass "classification, Retry-After, timeouts, allow-list, no head-of-line blocking, HMAC, chat, SMS, SMTP threading, circuit breaker, rate limit, no secrets in logs"
