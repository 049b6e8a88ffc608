#!/usr/bin/env bash
# test_oncall_cli.sh - `alertdesk oncall who|show` on the example people file
# (deploy/examples/people.yml): the weekly noc rotation hands over on Monday
# 09:00 Amsterdam time, winter or summer; dave's Christmas override covers
# alice; times print in the schedule's zone; an unknown team exits 1 naming
# it. Needs no database. Fails if: the person, the hand-off instant, the
# override mark or the exit status differ.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
it_setup oncall_cli

CLI=$BIN/cli/alertdesk
PEOPLE=$SRC/deploy/examples/people.yml
who() { "$CLI" oncall who --people "$PEOPLE" --team noc --at "$1"; }

it_assert_match '^noc-primary \(Europe/Amsterdam\) at 2026-12-02 13:00 CET: alice \(Alice Jansen\), until 2026-12-07 09:00 CET$' \
    "$(who 2026-12-02T12:00:00Z)" "the first week is alice's, until Monday 09:00 local"
it_assert_match ': bob \(Bob de Vries\), until 2026-12-14 09:00 CET$' "$(who 2026-12-07T08:00:01Z)" \
    "Monday 09:00 CET (08:00 UTC) hands over to bob"
it_assert_match ': dave \(Dave Bakker\) \[override\], until 2026-12-27 09:00 CET$' "$(who 2026-12-25T12:00:00+01:00)" \
    "the Christmas override puts dave on call and says so"
# Summer: 2027-03-29 is a Monday after the spring change (CEST, UTC+2):
# the hand-off is 09:00 local = 07:00 UTC.
out=$(who 2027-03-29T07:00:01Z)
it_assert_match 'at 2027-03-29 09:00 CEST: .*, until 2027-04-05 09:00 CEST$' "$out" \
    "after the DST change the hand-off stays at 09:00 local"
show=$("$CLI" oncall show --people "$PEOPLE" --team noc --at 2026-12-24T00:00:00+01:00 --days 4)
it_assert_match 'dave \(Dave Bakker\)' "$show" "show lists the override's shift"
rc=0
out=$("$CLI" oncall who --people "$PEOPLE" --team nope 2>&1) || rc=$?
it_assert_eq 1 "$rc" "an unknown team exits 1"
it_assert_match 'no team "nope"' "$out" "and names it"
it_pass "who is on call, hand-offs across DST, overrides"
