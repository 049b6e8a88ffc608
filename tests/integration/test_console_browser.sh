#!/usr/bin/env bash
# test_console_browser.sh - the NOC console in a real browser: Playwright
# (playwright-core from npm, tests/browser/) driving Debian's chromium
# headless against ingest, the correlator and a ticketer serving
# ticketer/console/. The scenarios (tests/browser/console.mjs): sign in
# (a wrong token refused); an alert posted to ingest appears in the queue
# without reload, its <script>/<img onerror> summary rendered as text; the
# response SLA counts down; j + a acknowledge it, the state changes and the
# countdown stops; filters survive a reload from the URL; the ticket page
# has its timeline entries, cause tree and runbook link; a concurrent
# change shows "changed by agent-1" and Reload shows it; a silence made
# from the ticket's labels is created and expired, the maintenance window
# is on the week view; on call and report charts render; Persian gives
# dir="rtl" and a Persian-calendar date with Persian digits, remembered
# across reloads; a viewer sees no actions and a phone-sized screen does
# not overflow; bulk assign; no page error or CSP violation anywhere.
# Screenshots of the queue and the ticket page (1280x720) go to
# $ALERTDESK_BUILD/test-output/console_browser/ and are copied to
# docs/screenshots/ only with CONSOLE_SCREENSHOTS=1 (a test run never changes the
# repository; refresh the README's pictures on purpose).
# Installs what it needs when missing (chromium with apt-get, node and npm,
# npm ci); skips (77) only when chromium cannot be installed, saying why.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
source "$(dirname "$0")/lib_ticketer.sh"
SRC=${ALERTDESK_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}

apt_install() { # packages...
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/tmp/console_browser_apt.log 2>&1 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/tmp/console_browser_apt.log 2>&1; }
}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$CHROMIUM" ]]; then
    if ! apt_install chromium; then
        echo "SKIP: console_browser needs chromium, and it cannot be installed here:" \
            "$( [[ $(id -u) -ne 0 ]] && echo "not root" || tail -n 3 /tmp/console_browser_apt.log 2>/dev/null | tr '\n' ' ')"
        exit 77
    fi
    CHROMIUM=$(command -v chromium)
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm || { echo "FAIL: console_browser: node and npm are missing and cannot be installed" >&2; exit 1; }
fi
if [[ ! -f "$SRC/tests/browser/node_modules/playwright-core/package.json" ]]; then
    (cd "$SRC/tests/browser" && npm ci --no-audit --no-fund >/tmp/console_browser_npm.log 2>&1) ||
        { echo "FAIL: console_browser: npm ci failed: $(tail -n 5 /tmp/console_browser_npm.log)" >&2; exit 1; }
fi

it_require_pg
it_setup console_browser
OUT=${ALERTDESK_BUILD:-$SRC/build-test}/test-output/console_browser
mkdir -p "$OUT"

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules: []
maintenance:
  - name: sunday-fibre
    match: ["labels.site = ams1"]
    days: [sun]
    start: "02:00"
    duration: 3h
    time_zone: Europe/Amsterdam
    comment: carrier window
YAML
cat >"$IT_TMP/routing.yml" <<'YAML'
comment_interval: 1s
queues:
  - {name: NOC, key_prefix: NOC}
  - {name: DC, key_prefix: DC}
sla_policies:
  - {name: std, first_response: 15m, resolution: 4h}
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
sed -i "/^ticketer:/a\\
  console_dir: $SRC/ticketer/console" "$IT_TMP/a.yml"
printf 'notifier:\n  people: %s\n' "$SRC/deploy/examples/people.yml" >>"$IT_TMP/a.yml"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"

# An older, resolved ticket so the queue, similar and reports have history.
printf '[{"source":"browser","resource":"core-sw9","check":"NodeDown","status":"firing","severity":"critical","summary":"core-sw9 down","labels":{"site":"ams1"}}]' >"$IT_TMP/e.json"
[[ "$(post /api/v1/events "$IT_TMP/e.json")" == 202* ]] || it_fail "ingest refused the first alert"
corr_wait_applied
tick_wait_applied
K=$(curl -s -H "Authorization: Bearer $TOK_AGENT" "$TICK_URL/api/v1/tickets" | jq -r '.tickets[0].key')
curl -sf -X POST -H "Authorization: Bearer $TOK_AGENT" -d '{"comment":"power-cycled the line card"}' \
    "$TICK_URL/api/v1/tickets/$K/resolve" >/dev/null || it_fail "resolve $K"
sed -i 's/"status":"firing"/"status":"resolved"/' "$IT_TMP/e.json"
[[ "$(post /api/v1/events "$IT_TMP/e.json")" == 202* ]] || it_fail "ingest refused the resolve"
corr_wait_applied
tick_wait_applied

# A few open tickets around it, for a queue that looks like a shift.
ev() { printf '{"source":"%s","resource":"%s","check":"%s","status":"firing","severity":"%s","summary":"%s","labels":{"site":"%s"}}' "$@"; }
printf '[%s,%s,%s,%s]' "$(ev zabbix dist-sw4 IfDown major 'Gi0/12 down on dist-sw4' fra1)" \
    "$(ev alertmanager pdu-b7 PowerHigh warning 'PDU B7 load at 91%' fra1)" \
    "$(ev alertmanager bgp-ams-2 BGPPeerDown critical 'BGP peer AS64500 down' ams1)" \
    "$(ev zabbix ups-2 OnBattery minor 'UPS-2 on battery' fra1)" >"$IT_TMP/more.json"
[[ "$(post /api/v1/events "$IT_TMP/more.json")" == 202* ]] || it_fail "ingest refused the other alerts"
corr_wait_applied
tick_wait_applied
for k in $(curl -s -H "Authorization: Bearer $TOK_AGENT" "$TICK_URL/api/v1/tickets?queue=DC&limit=2" | jq -r '.tickets[].key'); do
    curl -sf -X POST -H "Authorization: Bearer $TOK_AGENT" -d '{"assignee":"bob"}' "$TICK_URL/api/v1/tickets/$k/assign" >/dev/null
done

start=$(date +%s)
CONSOLE_URL=$TICK_URL INGEST_URL=$INGEST_URL INGEST_TOKEN=$INGEST_TOKEN TOK_VIEWER=$TOK_VIEWER \
    TOK_AGENT=$TOK_AGENT TOK_OPERATOR=$TOK_OPERATOR CHROMIUM=$CHROMIUM OUT=$OUT \
    node "$SRC/tests/browser/console.mjs" || it_fail "browser scenarios failed (screenshots so far: $OUT)"
echo "browser scenarios took $(($(date +%s) - start)) s"
if [[ "${CONSOLE_SCREENSHOTS:-0}" == 1 ]]; then
    mkdir -p "$SRC/docs/screenshots"
    cp "$OUT/console-queue.png" "$OUT/console-ticket.png" "$SRC/docs/screenshots/"
fi
it_pass
