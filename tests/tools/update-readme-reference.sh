#!/usr/bin/env bash
# update-readme-reference.sh - regenerates README's configuration reference
# from the settings table: tests/tools/update-readme-reference.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
ref=$("$build/cli/alertdesk" config reference)
awk -v ref="$ref" '
    /<!-- settings-reference:begin -->/ { print; print ref; skip = 1; next }
    /<!-- settings-reference:end -->/ { skip = 0 }
    !skip' "$root/README.md" >"$root/README.md.new"
mv "$root/README.md.new" "$root/README.md"
