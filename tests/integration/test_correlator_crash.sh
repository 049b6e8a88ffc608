#!/usr/bin/env bash
# test_correlator_crash.sh - a storm of ~1900 alerts (40 switches with 20 hosts
# each, parents first and children first, repeats, recoveries) while the
# correlator is stopped with SIGTERM and killed with -9 and restarted; then an
# uninterrupted correlator over a copy of the same events. Both must hold the
# same incidents, memberships and alert counts; incident_changes has no holes;
# every incident was opened once; the offset is the events head. Also
# `rules replay --file` twice over the same storm: byte-identical output.
# Fails if: the two runs differ (something applied twice or lost), the
# stream has holes, an incident opened twice, or replay is not deterministic.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
it_require_pg
it_setup correlator_crash

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules:
  - name: switches
    match: ["check = NodeDown"]
    group_by: [resource]
    join_window: 10m
    hold_down: 0s
topology:
  parent_label: parent
  window: 10m
  on_parent_recovery: promote
YAML

# The storm: one JSON array of events per line, occurred_at for replay.
gen() {
    local k j n=0 line=() t
    emit() { # resource check status [parent]
        n=$((n + 1))
        printf -v t '2026-11-25T03:%02d:%02dZ' $((n / 60 % 60)) $((n % 60))
        line+=("{\"source\":\"it\",\"resource\":\"$1\",\"check\":\"$2\",\"status\":\"$3\",\"severity\":\"major\",\"occurred_at\":\"$t\"${4:+,\"labels\":{\"parent\":\"$4\"\}}}")
        if ((${#line[@]} == 25)); then
            (IFS=, && printf '[%s]\n' "${line[*]}")
            line=()
        fi
    }
    for k in $(seq -w 1 40); do
        if ((10#$k % 2)); then emit "sw-$k" NodeDown firing; fi
        for j in $(seq -w 1 20); do emit "h-$k-$j" Unreachable firing "sw-$k"; done
        if ((10#$k % 2 == 0)); then emit "sw-$k" NodeDown firing; fi
        for j in $(seq -w 1 20); do emit "h-$k-$j" Unreachable firing "sw-$k"; done
        for j in 01 02 03 04 05; do emit "h-$k-$j" Unreachable resolved "sw-$k"; done
        if ((10#$k % 5 == 0)); then emit "sw-$k" NodeDown resolved; fi
    done
    if ((${#line[@]})); then (IFS=, && printf '[%s]\n' "${line[*]}"); fi
}
gen >"$IT_TMP/storm.jsonl"
total=$(grep -o '"resource"' "$IT_TMP/storm.jsonl" | wc -l)
it_log "storm: $total events in $(wc -l <"$IT_TMP/storm.jsonl") requests"

# ---- replay: deterministic, and it sees the storm the daemon will ----
"$BIN/cli/alertdesk" rules replay --rules "$IT_TMP/rules.yml" --file "$IT_TMP/storm.jsonl" >"$IT_TMP/replay1.txt"
"$BIN/cli/alertdesk" rules replay --rules "$IT_TMP/rules.yml" --file "$IT_TMP/storm.jsonl" >"$IT_TMP/replay2.txt"
cmp -s "$IT_TMP/replay1.txt" "$IT_TMP/replay2.txt" || it_fail "two replays differ: $(diff "$IT_TMP/replay1.txt" "$IT_TMP/replay2.txt" | head)"
it_assert_match "events: $total -> alerts: 840 -> incidents: 40 " "$(cat "$IT_TMP/replay1.txt")" "replay: one incident per switch"
sed 's/^topology:/unused_topology:/; /parent_label\|window: 10m$\|on_parent/d' "$IT_TMP/rules.yml" >"$IT_TMP/flat.yml"
printf 'unmatched: per_fingerprint\nrules:\n  - name: switches\n    match: ["check = NodeDown"]\n    group_by: [resource]\n' >"$IT_TMP/flat.yml"
out=$("$BIN/cli/alertdesk" rules replay --rules "$IT_TMP/rules.yml" --live-rules "$IT_TMP/flat.yml" --file "$IT_TMP/storm.jsonl")
it_assert_match 'summary: [0-9]+ same, 0 added, 0 removed, 0 split, [1-9][0-9]* merged' "$out" "replay diff: topology merges the flat incidents"
it_pass "replay is deterministic and shows the difference from other rules"

# ---- the storm through ingest, with a SIGTERM and a kill -9 ----
corr_config "$IT_TMP/a.yml" "$IT_TMP/rules.yml"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
poster() {
    local body
    while IFS= read -r body; do
        printf '%s' "$body" >"$IT_TMP/req.json"
        [[ "$(post /api/v1/events "$IT_TMP/req.json")" == 202* ]] || echo refused >>"$IT_TMP/refused"
        sleep 0.03
    done <"$IT_TMP/storm.jsonl"
}
poster &
poster_pid=$!
sleep 0.8
it_stop correlator
it_log "SIGTERM: correlator exited with $IT_LAST_STATUS at offset $(it_psql "SELECT coalesce(max(last_seq), 0) FROM consumer_offsets")"
corr_start "$IT_TMP/a.yml"
sleep 0.8
kill -9 "$CORRELATOR_PID"
wait "$CORRELATOR_PID" 2>/dev/null || true
it_log "kill -9 at offset $(it_psql "SELECT coalesce(max(last_seq), 0) FROM consumer_offsets")"
corr_start "$IT_TMP/a.yml"
wait "$poster_pid"
[[ ! -e "$IT_TMP/refused" ]] || it_fail "ingest refused $(wc -l <"$IT_TMP/refused") requests"
corr_wait_applied 60
it_assert_eq "$total" "$(it_psql "SELECT last_seq FROM consumer_offsets WHERE consumer = 'it-corr'")" "the offset is the events head"
it_assert_eq "1|t" "$(it_psql "SELECT min(seq), count(*) = max(seq) FROM incident_changes WHERE stream = 'it-corr'")" \
    "incident_changes seq has no holes"
it_assert_eq "$(it_psql "SELECT count(*) FROM incidents")" \
    "$(it_psql "SELECT count(*) FROM incident_changes WHERE kind = 'incident_opened'")" "every incident opened exactly once"
dump() {
    corr_dump
    it_psql "SELECT resource || ' ' || \"check\" || ' ' || state || ' count=' || count || ' symptom=' || symptom FROM alerts ORDER BY 1"
}
dump >"$IT_TMP/crashed.txt"

# ---- the same events, one uninterrupted correlator, another database ----
db2="${IT_DATABASE}_b"
createdb -T template0 -E UTF8 "$db2"
PGDATABASE=$db2 ingest_migrate "$IT_TMP/a.yml"
it_psql "COPY (SELECT * FROM events) TO STDOUT" | PGDATABASE=$db2 it_psql "COPY events FROM STDIN"
it_psql "COPY (SELECT * FROM stream_heads WHERE stream = 'it-ingest') TO STDOUT" | PGDATABASE=$db2 it_psql "COPY stream_heads FROM STDIN"
sed -e "s|127.0.0.1:${CORR_URL##*:}|127.0.0.1:$(it_free_port)|" -e "s|tcp://127.0.0.1:$CORR_PUB_PORT|tcp://127.0.0.1:$(it_free_port)|" \
    -e "s|pid_file: .*|pid_file: \"\"|" "$IT_TMP/a.yml" >"$IT_TMP/b.yml"
it_bg correlator2 env PGDATABASE="$db2" "$BIN/correlator/alertdesk-correlator" --config "$IT_TMP/b.yml"
PGDATABASE=$db2 it_wait_until 60 corr__caught_up || it_fail "the uninterrupted correlator did not catch up"
PGDATABASE=$db2 dump >"$IT_TMP/clean.txt"
it_stop correlator2
dropdb --force "$db2"
diff -u "$IT_TMP/clean.txt" "$IT_TMP/crashed.txt" >"$IT_TMP/diff.txt" ||
    it_fail "state after SIGTERM and kill -9 differs from an uninterrupted run: $(head -n 20 "$IT_TMP/diff.txt")"
it_assert_eq 40 "$(it_psql "SELECT count(*) FROM incidents WHERE state <> 'merged'")" "one incident per switch"
it_pass "kill -9 and SIGTERM during a storm: same incidents, memberships and counts as an uninterrupted run"
