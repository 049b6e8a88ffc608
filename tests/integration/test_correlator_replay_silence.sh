#!/usr/bin/env bash
# test_correlator_replay_silence.sh - `alertdesk rules replay --since` applies
# the silences stored in the silences table at their recorded times, as the
# live correlator did (PEERS promise 4: test rules offline, at a given time,
# with suppression). Events go through ingest; a silence for site ams1 is
# added with `alertdesk silence add` between two bursts.
# Fails if: alerts that fired under the silence open an incident in the
# replay, an alert that fired before the silence started is muted, a silence
# outside the replayed period is used, --no-silences still mutes, or two
# replays differ.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup correlator_replay_silence

cat >"$IT_TMP/rules.yml" <<'YAML'
unmatched: per_fingerprint
rules:
  - name: hosts
    match: ["check = Ping"]
    group_by: [resource]
YAML
ingest_config "$IT_TMP/a.yml"
ingest_migrate "$IT_TMP/a.yml"
ingest_start "$IT_TMP/a.yml"

ev() { # resource site
    printf '{"source":"it","resource":"%s","check":"Ping","status":"firing","severity":"major","labels":{"site":"%s"}}' "$1" "$2"
}
send() { # events...
    (IFS=, && printf '[%s]' "$*") >"$IT_TMP/body.json"
    local out
    out=$(post /api/v1/events "$IT_TMP/body.json")
    [[ "$out" == 202* ]] || it_fail "ingest refused: $out"
}
stored() { [[ "$(it_psql "SELECT count(*) FROM events")" == "$1" ]]; }
replay() { "$BIN/cli/alertdesk" rules replay --config "$IT_TMP/a.yml" --rules "$IT_TMP/rules.yml" --since 1h "$@"; }

# before the silence: ams-early fires (not muted: silences act when an alert opens)
send "$(ev ams-early ams1)"
it_wait_until 30 stored 1 || it_fail "the first event was not stored"
sleep 0.2
"$BIN/cli/alertdesk" silence add --config "$IT_TMP/a.yml" --match 'labels.site = ams1' --duration 2h \
    --comment 'maintenance ams1' --creator it >"$IT_TMP/silence.out" || it_fail "silence add: $(cat "$IT_TMP/silence.out")"
# outside the replayed period: one that ended 3h ago and one that starts in
# 2h, both matching fra1 - neither may mute fra-1
"$BIN/cli/alertdesk" silence add --config "$IT_TMP/a.yml" --match 'labels.site = fra1' --duration 1h \
    --starts-in 2h --comment 'later' >/dev/null || it_fail "silence add (future)"
it_psql "INSERT INTO silences (matchers, starts_at, ends_at, comment)
         VALUES ('{\"labels.site = fra1\"}', now() - interval '4h', now() - interval '3h', 'long ago')"
sleep 0.2
send "$(ev ams-1 ams1)" "$(ev ams-2 ams1)" "$(ev fra-1 fra1)"
it_wait_until 30 stored 4 || it_fail "the events were not stored"

replay >"$IT_TMP/replay1.txt" || it_fail "replay failed: $(cat "$IT_TMP/replay1.txt")"
replay >"$IT_TMP/replay2.txt"
cmp -s "$IT_TMP/replay1.txt" "$IT_TMP/replay2.txt" || it_fail "two replays differ: $(diff "$IT_TMP/replay1.txt" "$IT_TMP/replay2.txt" | head)"
out=$(cat "$IT_TMP/replay1.txt")
it_assert_match 'silences: 1 \(from the silences table\)' "$out" "only the silence overlapping the period is loaded"
it_assert_match 'events: 4 -> alerts: 4 -> incidents: 2 ' "$out" "two incidents with the silence"
it_assert_match 'suppressed: silence/maintenance 2,' "$out" "two alerts muted"
it_assert_match '  ams-early/Ping member' "$out" "an alert that fired before the silence keeps its incident"
it_assert_match '  fra-1/Ping member' "$out" "fra1 is not silenced (other silences are outside the period)"
if grep -q '  ams-[12]/Ping' <<<"$out"; then
    it_fail "a silenced alert opened an incident in the replay: $out"
fi
it_pass "replay --since mutes alerts with the stored silence at its recorded time"

out=$(replay --no-silences)
it_assert_match 'silences: 0' "$out" "--no-silences loads none"
it_assert_match 'events: 4 -> alerts: 4 -> incidents: 4 ' "$out" "without the silence every alert opens an incident"
it_assert_match '  ams-1/Ping member' "$out" "ams-1 has an incident without the silence"
it_assert_match '  ams-2/Ping member' "$out" "ams-2 has an incident without the silence"
it_pass "without the silence the same events open an incident per alert"
