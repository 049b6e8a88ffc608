#!/usr/bin/env bash
# test_migrate.sh - `alertdesk migrate` applies the numbered migrations once,
# records them with their checksum, is a no-op when re-run, lists them with
# `migrate status`, and refuses a migration edited after it was applied.
# Fails if: a re-run applies anything, schema_migrations misses a file, the
# edited file is accepted, or the message does not name the file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
it_require_pg
it_setup migrate
printf 'database:\n  url: ""\n' >"$IT_TMP/a.yml"
mig() { "$BIN/cli/alertdesk" migrate --config "$IT_TMP/a.yml" "$@"; }

nfiles=$(find "$SRC/deploy/schema" -name '[0-9][0-9][0-9][0-9]_*.sql' | wc -l)
out=$(mig)
it_assert_match "\\($nfiles applied now\\)" "$out" "first run applies every migration"
it_assert_eq "$nfiles" "$(it_psql 'SELECT count(*) FROM schema_migrations')" "each recorded"
it_assert_match '\(0 applied now\)' "$(mig)" "second run applies nothing"
it_assert_eq 0 "$(mig status | grep -vc '^applied ')" "status lists every migration as applied"

# An applied migration edited afterwards is refused, naming the file.
cp -r "$SRC/deploy/schema" "$IT_TMP/schema"
echo "-- edited" >>"$IT_TMP/schema/0001_events.sql"
set +e
out=$(mig --schema-dir "$IT_TMP/schema" 2>&1)
rc=$?
set -e
it_assert_eq 1 "$rc" "an edited applied migration fails"
it_assert_match '0001_events.sql was edited after it was applied' "$out" "the message names the file"
it_assert_match '^applied-but-edited 0001_events.sql' "$(mig --schema-dir "$IT_TMP/schema" status)" "status shows the edit"

# A new numbered file is applied in order.
printf 'CREATE TABLE it_extra (x int);\n' >"$IT_TMP/schema/9999_extra.sql"
git -C "$SRC" show HEAD:deploy/schema/0001_events.sql >"$IT_TMP/schema/0001_events.sql" 2>/dev/null ||
    cp "$SRC/deploy/schema/0001_events.sql" "$IT_TMP/schema/0001_events.sql"
it_assert_match 'applying 9999_extra.sql' "$(mig --schema-dir "$IT_TMP/schema")" "a new migration is applied"
it_assert_eq 1 "$(it_psql "SELECT count(*) FROM schema_migrations WHERE version = 9999")" "and recorded"
it_pass "migrations apply once, in order, and edits are caught"
