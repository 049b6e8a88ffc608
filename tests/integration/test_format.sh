#!/usr/bin/env bash
# test_format.sh - the format check: every *.c and *.h of ours must be laid
# out as .clang-format says (clang-format --dry-run --Werror). Lists the
# files that are not; fix them with `clang-format -i FILE`.
# Covers common/, the daemon dirs, cli/ and tests/, but not build dirs nor
# tests/fuzz/corpus/ (fuzz inputs, not code). Skips (77) without clang-format.
set -euo pipefail

SRC=${ALERTDESK_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
    echo "SKIP: $CLANG_FORMAT not installed"
    exit 77
fi
cd "$SRC"

# A style file this clang-format cannot read would fail every file with the
# same message; say it once instead.
if ! err=$(echo 'int x;' | "$CLANG_FORMAT" --assume-filename=common/x.c 2>&1 >/dev/null) ||
    [[ -n "$err" ]]; then
    echo "FAIL: $($CLANG_FORMAT --version | head -n 1) cannot use .clang-format:"
    echo "$err"
    exit 1
fi

dirs=()
for d in common ingest correlator ticketer notifier cli tests; do
    if [[ -d "$d" ]]; then
        dirs+=("$d")
    fi
done

mapfile -t files < <(find "${dirs[@]}" \
    \( -path 'tests/fuzz/corpus' -o -name 'build*' -o -name 'CMakeFiles' \) -prune -o \
    -type f \( -name '*.c' -o -name '*.h' \) -print | sort)

bad=()
for f in "${files[@]}"; do
    if ! "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done

if ((${#bad[@]})); then
    echo "FAIL: ${#bad[@]} of ${#files[@]} files are not clang-formatted:"
    printf '  %s\n' "${bad[@]}"
    echo "first differences (${bad[0]}):"
    diff -u "${bad[0]}" <("$CLANG_FORMAT" "${bad[0]}") | head -n 30 || true
    exit 1
fi
echo "ok - ${#files[@]} files clang-formatted"
