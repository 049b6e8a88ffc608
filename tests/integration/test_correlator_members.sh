#!/usr/bin/env bash
# test_correlator_members.sh - the correlator writes incident members and
# repeat counts as deltas (only what a change named; merged incidents in
# bulk; repeats as a narrow UPDATE), so the stored state must not depend on
# where batches end. The same events (switches with hosts: parents first and
# children first, repeats, members clearing and re-firing, parents
# recovering; children's incidents kept after a merge and forgotten at once)
# go through one correlator that commits every event on its own
# (batch.max_events 1) and one that commits them all at once, for
# on_parent_recovery promote and split. The alerts, incidents and
# incident_members tables (every column but updated_at) must be equal.
# Fails if: a member row, an alert row or an incident row differs between
# the two batchings.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
source "$(dirname "$0")/lib_correlator.sh"
it_require_pg
it_setup correlator_members

# Hosts of switches 1, 5, ... open incidents of rule `hosts` (kept after a
# merge for their reopen window); hosts of switches 3, 7, ... match no rule
# (an incident per fingerprint, forgotten as soon as it is merged). Windows
# are 0 or 10m, so that the wall-clock heartbeat after the catch-up fires
# nothing the events did not.
rules() {
    cat <<YAML
unmatched: per_fingerprint
rules:
  - name: switches
    match: ["check = NodeDown"]
    group_by: [resource]
    join_window: 10m
    hold_down: 10m
  - name: hosts
    match: ["check = Unreachable"]
    group_by: [resource]
    join_window: 10m
    hold_down: 10m
    reopen_window: 10m
topology:
  parent_label: parent
  window: 10m
  on_parent_recovery: $1
YAML
}

gen() {
    local k j line=() check
    emit() { # resource check status [parent]
        line+=("{\"source\":\"it\",\"resource\":\"$1\",\"check\":\"$2\",\"status\":\"$3\",\"severity\":\"${5:-major}\"${4:+,\"labels\":{\"parent\":\"$4\"\}}}")
        if ((${#line[@]} == 10)); then
            (IFS=, && printf '[%s]\n' "${line[*]}")
            line=()
        fi
    }
    for k in 1 2 3 4 5 6 7 8; do
        check=Unreachable
        if ((k % 4 == 3)); then check=Ping; fi
        if ((k % 2 == 0)); then emit "sw-$k" NodeDown firing; fi
        for j in 1 2 3 4 5 6 7 8; do emit "h-$k-$j" "$check" firing "sw-$k"; done
        if ((k % 2)); then emit "sw-$k" NodeDown firing; fi
        for j in 1 2 3 4 5 6 7 8 1 2 3; do emit "h-$k-$j" "$check" firing "sw-$k"; done
        emit "sw-$k" NodeDown firing "" critical
        for j in 2 3; do emit "h-$k-$j" "$check" resolved "sw-$k"; done
        emit "h-$k-4" "$check" firing "sw-$k" minor
        emit "sw-$k" NodeDown resolved
        for j in 2 5 6; do emit "h-$k-$j" "$check" firing "sw-$k"; done
        emit "h-$k-7" "$check" resolved "sw-$k"
        if ((k % 3 == 0)); then emit "sw-$k" NodeDown firing; fi
        for j in 1 8; do emit "h-$k-$j" "$check" firing "sw-$k"; done
    done
    if ((${#line[@]})); then (IFS=, && printf '[%s]\n' "${line[*]}"); fi
}

dump() {
    # Not what names unmatched incidents: forgotten as soon as they are
    # merged (reopen window 0), they keep the member rows of earlier batches
    # but none written in the batch that forgot them, and a cleared alert
    # keeps their id unless the same batch forgot them (as before deltas).
    it_psql "SELECT incident_id, fingerprint, resource, symptom, active, ord, joined_at
               FROM incident_members
              WHERE incident_id IN (SELECT id FROM incidents WHERE rule <> '') ORDER BY 1, 2"
    it_psql "SELECT id, domain, rule, group_key, state, severity, cause_fingerprint, cause_resource,
                    opened_at, last_activity_at, resolving_since, resolved_at, merged_into
               FROM incidents ORDER BY id"
    it_psql "SELECT domain, fingerprint, source, resource, \"check\", severity, summary, labels, state,
                    count, first_seen, last_seen, refreshed_at, fired_at, cleared_at,
                    CASE WHEN rule = '' AND state = 'cleared' THEN NULL ELSE incident_id END,
                    symptom, parent, rule, group_key, held, routed, flapping, incident_active,
                    flap_changes, silenced_by, maint_window
               FROM alerts ORDER BY 1, 2"
}

# ---- the events, once, through ingest ----
ingest_config "$IT_TMP/in.yml"
ingest_migrate "$IT_TMP/in.yml"
ingest_start "$IT_TMP/in.yml"
gen >"$IT_TMP/events.jsonl"
while IFS= read -r body; do
    printf '%s' "$body" >"$IT_TMP/req.json"
    [[ "$(post /api/v1/events "$IT_TMP/req.json")" == 202* ]] || it_fail "ingest refused a request: $(cat "$IT_TMP/post.out")"
done <"$IT_TMP/events.jsonl"
it_stop ingest
total=$(it_psql "SELECT count(*) FROM events")
it_log "$total events"

# run NAME MODE MAX_EVENTS - a fresh database with the events, one correlator
# catching up over them, the tables dumped to $IT_TMP/NAME.txt.
run() {
    local name=$1 db="${IT_DATABASE}_$1"
    createdb -T template0 -E UTF8 "$db"
    PGDATABASE=$db ingest_migrate "$IT_TMP/in.yml"
    it_psql "COPY (SELECT * FROM events) TO STDOUT" | PGDATABASE=$db it_psql "COPY events FROM STDIN"
    it_psql "COPY (SELECT * FROM stream_heads WHERE stream = 'it-ingest') TO STDOUT" |
        PGDATABASE=$db it_psql "COPY stream_heads FROM STDIN"
    rules "$2" >"$IT_TMP/rules-$name.yml"
    corr_config "$IT_TMP/$name.yml" "$IT_TMP/rules-$name.yml"
    printf '  batch:\n    max_events: %s\n' "$3" >>"$IT_TMP/$name.yml"
    it_bg correlator env PGDATABASE="$db" "$BIN/correlator/alertdesk-correlator" --config "$IT_TMP/$name.yml"
    PGDATABASE=$db it_wait_until 60 corr__caught_up || it_fail "$name: the correlator did not catch up"
    it_stop correlator
    PGDATABASE=$db dump >"$IT_TMP/$name.txt"
    dropdb --force "$db"
}

for mode in promote split; do
    run "$mode-each" "$mode" 1
    run "$mode-once" "$mode" 100000
    diff -u "$IT_TMP/$mode-once.txt" "$IT_TMP/$mode-each.txt" >"$IT_TMP/$mode.diff" ||
        it_fail "$mode: one commit per event and one for all differ: $(head -n 30 "$IT_TMP/$mode.diff")"
    grep -q '|merged|' "$IT_TMP/$mode-once.txt" || it_fail "$mode: no incident was merged"
    it_pass "$mode: members, incidents and alerts do not depend on where batches end ($(wc -l <"$IT_TMP/$mode-once.txt") rows)"
done
