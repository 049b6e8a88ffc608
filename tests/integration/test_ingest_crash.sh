#!/usr/bin/env bash
# test_ingest_crash.sh - kill -9 alertdesk-ingest in the middle of load and
# restart it: every event that got a 2xx is in `events`, and the stream's seq
# continues without holes or repeats.
# Fails if: an acknowledged event is missing after the restart, seq has a
# hole or a duplicate, or the stream head disagrees with the table.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_crash
ingest_config "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"

# writer K: posts batches of 5 events until $IT_TMP/stop exists; records the
# resources of every batch answered 202 (and only those).
writer() {
    local k=$1 i=0 code
    while [[ ! -e "$IT_TMP/stop" ]]; do
        i=$((i + 1))
        printf '[' >"$IT_TMP/w$k.json"
        for j in 1 2 3 4 5; do
            printf '%s{"resource":"w%d-%d-%d","check":"load"}' "$([[ $j == 1 ]] || echo ,)" "$k" "$i" "$j"
        done >>"$IT_TMP/w$k.json"
        printf ']' >>"$IT_TMP/w$k.json"
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST -H "Authorization: Bearer $INGEST_TOKEN" \
            --data-binary "@$IT_TMP/w$k.json" "$INGEST_URL/api/v1/events" || true)
        if [[ "$code" == 202 ]]; then
            for j in 1 2 3 4 5; do echo "w$k-$i-$j"; done >>"$IT_TMP/acked"
        else
            echo "$code" >>"$IT_TMP/refused"
        fi
    done
}
writers=()
for k in 1 2 3 4; do
    writer "$k" &
    writers+=($!)
done

for round in 1 2 3; do
    sleep 1.5
    kill -9 "$INGEST_PID"
    wait "$INGEST_PID" 2>/dev/null || true
    it_log "round $round: killed ingest with $(wc -l <"$IT_TMP/acked") events acknowledged so far"
    sleep 0.3
    ingest_start "$IT_TMP/ingest.yml"
done
sleep 1
touch "$IT_TMP/stop"
wait "${writers[@]}"

acked=$(sort -u "$IT_TMP/acked" | wc -l)
((acked > 100)) || it_fail "the load was too small to prove anything ($acked acknowledged)"
it_psql "SELECT resource FROM events" | sort -u >"$IT_TMP/stored"
missing=$(comm -23 <(sort -u "$IT_TMP/acked") "$IT_TMP/stored" | wc -l)
it_assert_eq 0 "$missing" "acknowledged events missing after kill -9 (of $acked)"
it_assert_eq "1|t|t" \
    "$(it_psql "SELECT min(seq), count(*) = max(seq), count(DISTINCT seq) = count(*) FROM events WHERE stream='it-ingest'")" \
    "seq starts at 1 with no holes and no repeats"
it_assert_eq "$(it_psql "SELECT max(seq) FROM events")" "$(it_psql "SELECT last_seq FROM stream_heads WHERE stream='it-ingest'")" \
    "stream head equals the last stored seq"
it_log "acknowledged=$acked stored=$(wc -l <"$IT_TMP/stored") refused_while_down=$(wc -l <"$IT_TMP/refused" 2>/dev/null || echo 0)"
it_pass "kill -9 under load loses no acknowledged event; seq has no holes"
