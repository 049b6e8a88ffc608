#!/usr/bin/env bash
# test_notifier_breach.sh - an SLA breach escalates: the ticket's policy
# pages alice at level 1 with a long delay (1h), so level 2 (carol) could
# only be paged early by the breach; the routing gives the ticket a 2 s
# first-response target and the policy `breach_level: 2`. Alice acknowledges
# nothing; when the response SLA breaches, carol is paged at once.
# Fails if: carol is not paged after the breach, is paged before it, or the
# page is not level 2.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
source "$(dirname "$0")/lib_ticketer.sh"
it_require_pg
it_setup notifier_breach

TOOLS=$BIN/tests/tools
HP=$(it_free_port)
NP=$(it_free_port)
REQ=$IT_TMP/requests.jsonl
it_bg receiver "$TOOLS/http_receiver" --port "$HP" --log "$REQ" /alice=200 /carol=200
it_wait_until 10 grep -q port= "$IT_TMP/receiver.log" || it_fail "http_receiver did not start"

printf 'unmatched: per_fingerprint\n' >"$IT_TMP/rules.yml"
cat >"$IT_TMP/routing.yml" <<'YAML'
queues:
  - {name: NOC, key_prefix: NOC}
sla_policies:
  - {name: fast, first_response: 2s, resolution: 1h}
routes:
  - {name: all, match: [], queue: NOC, sla: fast}
YAML
cat >"$IT_TMP/people.yml" <<YAML
users:
  - {name: alice, contacts: [{type: webhook, address: "http://127.0.0.1:$HP/alice"}]}
  - {name: carol, contacts: [{type: webhook, address: "http://127.0.0.1:$HP/carol"}]}
escalation_policies:
  - name: p
    levels:
      - {delay: 1h, targets: ["user:alice"]}
      - {delay: 1h, targets: ["user:carol"]}
    breach_level: 2
routing:
  policies:
    - {queue: NOC, policy: p}
YAML
tick_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml" "$IT_TMP/routing.yml"
cat >>"$IT_TMP/a.yml" <<YAML
notifier:
  stream: it-notifier
  people: "$IT_TMP/people.yml"
  http:
    listen: 127.0.0.1:$NP
  tickets: tcp://127.0.0.1:$TICK_PUB_PORT
  allowed_url_prefixes: ["http://127.0.0.1:$HP/"]
  heartbeat_interval: 200ms
YAML
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"
it_bg notifier "$BIN/notifier/alertdesk-notifier" --config "$IT_TMP/a.yml"
it_wait_http "http://127.0.0.1:$NP/healthz" 30

printf '[{"source":"it","resource":"sw1","check":"Down","severity":"critical"}]' >"$IT_TMP/body.json"
out=$(post /api/v1/events "$IT_TMP/body.json")
[[ "$out" == 202* ]] || it_fail "ingest refused: $out"

paged() { grep -q "\"path\":\"/$1\"" "$REQ" 2>/dev/null; }
it_wait_until 20 paged alice || it_fail "alice (level 1) was not paged"
it_assert_eq 0 "$(grep -c '"path":"/carol"' "$REQ" || true)" "carol is not paged before the breach (level 1 waits 1h)"
it_wait_until 20 paged carol || it_fail "carol was not paged after the SLA breach"
it_assert_eq "sla_breached" "$(it_psql "SELECT kind FROM ticket_events WHERE kind = 'sla_breached'")" \
    "the response SLA breached"
it_assert_eq "t" "$(it_psql "SELECT (SELECT min(created_at) FROM notifications WHERE user_name = 'carol') >=
                                   (SELECT min(committed_at) FROM ticket_events WHERE kind = 'sla_breached')")" \
    "carol's page was queued after the breach"
it_assert_eq 2 "$(it_psql "SELECT level FROM notifications WHERE user_name = 'carol'")" "as level 2 (breach_level)"
it_pass "an SLA breach pages the policy's breach level at once"
