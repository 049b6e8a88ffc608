# shellcheck shell=bash
# tests/integration/lib_ticketer.sh - starting alertdesk-ticketer next to
# ingest and the correlator in a test. Source after lib.sh, lib_ingest.sh,
# lib_correlator.sh and it_setup.
# Functions:
#   tick_config FILE RULES ROUTING [EXTRA_YAML]
#                      corr_config plus a ticketer: block reading the
#                      correlator's publisher, routing file ROUTING ("" =
#                      defaults), and tokens for each API role:
#                      $TOK_VIEWER $TOK_AGENT $TOK_OPERATOR $TOK_ADMIN (names
#                      viewer-1, agent-1, operator-1, admin-1). Sets
#                      TICK_URL (the API base) and TICK_PUB_PORT.
#   tick_start FILE    starts alertdesk-ticketer (it_bg name "ticketer") and
#                      waits for its /healthz.
#   tick_wait_applied  waits until the ticketer applied every committed
#                      incident change (its consumer_offsets at the head).
#   tick_api METHOD PATH TOKEN [BODY]
#                      curl against the API; prints "STATUS BODY".

TOK_VIEWER=viewer-token-0123456789abcdef
TOK_AGENT=agent-token-0123456789abcdefgh
TOK_OPERATOR=operator-token-0123456789abcd
TOK_ADMIN=admin-token-0123456789abcdefgh

tick_config() {
    local file=$1 rules=$2 routing=$3 extra=${4:-}
    local http
    http=$(it_free_port)
    TICK_PUB_PORT=$(it_free_port)
    TICK_URL="http://127.0.0.1:$http"
    corr_config "$file" "$rules" "$extra"
    # The API's tokens join the auth.tokens list ingest_config wrote.
    local tokens="    - {name: viewer-1, role: viewer, token: $TOK_VIEWER}\n"
    tokens+="    - {name: agent-1, role: agent, token: $TOK_AGENT}\n"
    tokens+="    - {name: operator-1, role: operator, token: $TOK_OPERATOR}\n"
    tokens+="    - {name: admin-1, role: admin, token: $TOK_ADMIN}"
    sed -i "/^      token: $INGEST_TOKEN\$/a\\
$tokens" "$file"
    cat >>"$file" <<YAML
ticketer:
  stream: it-tick
  routing: "$routing"
  http:
    listen: 127.0.0.1:$http
  publish: tcp://127.0.0.1:$TICK_PUB_PORT
  incidents: tcp://127.0.0.1:$CORR_PUB_PORT
  heartbeat_interval: 200ms
YAML
}

tick_start() {
    it_bg ticketer "$BIN/ticketer/alertdesk-ticketer" --config "$1"
    it_wait_http "$TICK_URL/healthz" 30
}

tick__caught_up() {
    [[ "$(it_psql "SELECT coalesce((SELECT last_seq FROM stream_heads WHERE stream = 'it-corr'), 0) =
                          coalesce((SELECT last_seq FROM consumer_offsets WHERE consumer = 'it-tick'
                                    AND stream = 'it-corr'), 0)")" == t ]]
}

tick_wait_applied() {
    it_wait_until "${1:-30}" tick__caught_up || it_fail "ticketer did not catch up with the incidents head"
}

tick_api() { # METHOD PATH TOKEN [BODY]
    local method=$1 path=$2 token=$3 body=${4:-}
    local args=(-s -o "$IT_TMP/api.body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token")
    if [[ -n "$body" ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    local code
    code=$(curl "${args[@]}" "$TICK_URL$path")
    printf '%s %s' "$code" "$(cat "$IT_TMP/api.body")"
}
