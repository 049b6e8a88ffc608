#!/usr/bin/env bash
# test_docs.sh - README's configuration reference is the settings table's
# own output, and every binary answers --help.
# Fails if: a setting was added, removed or re-documented without
# regenerating README (run tests/tools/update-readme-reference.sh), or a
# binary's --help exits non-zero or prints nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
it_setup docs
sed -n '/<!-- settings-reference:begin -->/,/<!-- settings-reference:end -->/p' "$SRC/README.md" |
    sed '1d;$d' >"$IT_TMP/readme.md"
"$BIN/cli/alertdesk" config reference >"$IT_TMP/table.md"
diff -u "$IT_TMP/readme.md" "$IT_TMP/table.md" >"$IT_TMP/diff" ||
    it_fail "README's reference is stale: $(head -n 20 "$IT_TMP/diff")"
it_pass "README reference matches the settings table"
for bin in "$BIN/ingest/alertdesk-ingest" "$BIN/cli/alertdesk"; do
    out=$("$bin" --help)
    it_assert_match 'Usage: ' "$out" "$(basename "$bin") --help"
done
for cmd in migrate send tail config token; do
    out=$("$BIN/cli/alertdesk" "$cmd" --help)
    it_assert_match 'Usage: ' "$out" "alertdesk $cmd --help"
done
it_pass "every binary and command has --help"
