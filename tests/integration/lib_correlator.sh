# shellcheck shell=bash
# tests/integration/lib_correlator.sh - starting alertdesk-correlator next to
# ingest in a test. Source after lib.sh, lib_ingest.sh and it_setup.
# Functions:
#   corr_config FILE RULES [EXTRA_YAML]
#                      writes an ingest + correlator config on free ports
#                      (ingest_config plus a correlator: block reading
#                      ingest's publisher, rules file RULES, pid file
#                      $IT_TMP/correlator.pid). Sets CORR_URL, CORR_PUB_PORT.
#   corr_start FILE    starts alertdesk-correlator (it_bg name "correlator")
#                      and waits for its /healthz.
#   corr_wait_applied  waits until consumer_offsets has caught up with the
#                      events head (every stored event applied and committed).
#   corr_dump          prints the canonical state: incidents (without ids:
#                      rule, group, state, cause) with their members, sorted.
#   native_events FILE JSON...  writes a JSON array of the given objects.

corr_config() {
    local file=$1 rules=$2 extra=${3:-}
    ingest_config "$file" "$extra"
    local http
    http=$(it_free_port)
    CORR_PUB_PORT=$(it_free_port)
    CORR_URL="http://127.0.0.1:$http"
    cat >>"$file" <<YAML
correlator:
  stream: it-corr
  rules: "$rules"
  http:
    listen: 127.0.0.1:$http
  publish: tcp://127.0.0.1:$CORR_PUB_PORT
  events: tcp://127.0.0.1:$PUB_PORT
  heartbeat_interval: 200ms
  silence_refresh: 200ms
  pid_file: $IT_TMP/correlator.pid
YAML
}

corr_start() {
    it_bg correlator "$BIN/correlator/alertdesk-correlator" --config "$1"
    it_wait_http "$CORR_URL/healthz" 30
}

corr__caught_up() {
    [[ "$(it_psql "SELECT coalesce((SELECT last_seq FROM stream_heads WHERE stream = 'it-ingest'), 0) =
                          coalesce((SELECT last_seq FROM consumer_offsets WHERE consumer = 'it-corr'
                                    AND stream = 'it-ingest'), 0)")" == t ]]
}

corr_wait_applied() {
    it_wait_until "${1:-30}" corr__caught_up || it_fail "correlator did not catch up with the events head"
}

corr_dump() {
    it_psql "SELECT i.rule || ' ' || i.group_key || ' ' || i.state || ' cause=' || a.resource || ' members=' ||
                    (SELECT string_agg(ma.resource || ':' || CASE WHEN m.symptom THEN 'symptom' ELSE 'member' END
                                       || ':' || CASE WHEN m.active THEN 'active' ELSE 'clear' END, ','
                                       ORDER BY ma.resource)
                       FROM incident_members m JOIN alerts ma ON ma.fingerprint = m.fingerprint
                      WHERE m.incident_id = i.id)
               FROM incidents i LEFT JOIN alerts a ON a.fingerprint = i.cause_fingerprint
              ORDER BY 1"
}
