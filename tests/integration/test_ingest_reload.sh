#!/usr/bin/env bash
# test_ingest_reload.sh - SIGHUP rotates tokens and integrations without a
# restart; a broken file is refused and the running settings stay.
# Fails if: a new token is refused after the reload, a removed token still
# works, a broken file is applied (or kills the daemon), or --check-config
# does not name the line of the error.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_ingest.sh"
it_require_pg
it_setup ingest_reload
ingest_config "$IT_TMP/ingest.yml"
ingest_migrate "$IT_TMP/ingest.yml"
ingest_start "$IT_TMP/ingest.yml"
printf '{"resource":"r","check":"c"}' >"$IT_TMP/ev.json"
NEW_TOKEN=rotated-token-abcdefghijklmnop

it_assert_match '^401 ' "$(post /api/v1/events "$IT_TMP/ev.json" "$NEW_TOKEN")" "new token unknown before the reload"
# Rotate: the new token replaces the old one, given as its sha256 this time.
hash=$(printf '%s\n' "$NEW_TOKEN" | "$BIN/cli/alertdesk" token hash)
sed -i "s|      token: $INGEST_TOKEN|      sha256: $hash|" "$IT_TMP/ingest.yml"
"$BIN/ingest/alertdesk-ingest" --config "$IT_TMP/ingest.yml" --check-config >/dev/null ||
    it_fail "the rotated file does not pass --check-config"
kill -HUP "$INGEST_PID"
it_wait_until 10 bash -c "grep -q 'auth and integrations reloaded' '$IT_TMP/ingest.log'" || it_fail "no reload logged"
it_assert_match '^202 ' "$(post /api/v1/events "$IT_TMP/ev.json" "$NEW_TOKEN")" "new token accepted after SIGHUP"
it_assert_match '^401 ' "$(post /api/v1/events "$IT_TMP/ev.json")" "old token refused after SIGHUP"

# A broken file: refused with file:line, the running settings stay.
cp "$IT_TMP/ingest.yml" "$IT_TMP/good.yml"
sed -i 's/heartbeat_interval:/heartbeat_intreval:/' "$IT_TMP/ingest.yml"
set +e
out=$("$BIN/ingest/alertdesk-ingest" --config "$IT_TMP/ingest.yml" --check-config 2>&1)
rc=$?
set -e
it_assert_eq 1 "$rc" "--check-config fails on the broken file"
it_assert_match 'ingest.yml:[0-9]+: .*heartbeat_intreval' "$out" "--check-config names file, line and key"
kill -HUP "$INGEST_PID"
it_wait_until 10 bash -c "grep -q 'reload refused' '$IT_TMP/ingest.log'" || it_fail "broken reload not refused"
it_assert_match '^202 ' "$(post /api/v1/events "$IT_TMP/ev.json" "$NEW_TOKEN")" "still serving with the previous settings"
kill -0 "$INGEST_PID" || it_fail "ingest died on a broken reload"
it_pass "tokens rotate on SIGHUP; a broken file keeps the running settings"
