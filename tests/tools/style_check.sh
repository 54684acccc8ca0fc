#!/usr/bin/env bash
# The house rules a machine can check (../shared/docs/STYLE.md), run by the suite as the ctest
# entry "style":
#   1. none of the banned string functions (strcpy, strcat, sprintf, vsprintf, strncpy, strtok,
#      atoi, atol, atof, gets) in our C sources;
#   2. every C source and header formatted as .clang-format says (clang-format --dry-run).
# Prints each offence as file:line and exits 1 when there is one.
#
#   tests/tools/style_check.sh [SOURCE_DIR]
set -uo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 2
status=0

mapfile -t files < <(git ls-files -- '*.c' '*.h' 2>/dev/null ||
    find tap-postgres target-postgres shared tests -name '*.[ch]')
if [ ${#files[@]} = 0 ]; then
    echo "style: no C sources found under $src" >&2
    exit 2
fi

banned='\b(strcpy|strcat|sprintf|vsprintf|strncpy|strtok|atoi|atol|atof|gets)[[:space:]]*\('
if grep -nE "$banned" "${files[@]}"; then
    echo "style: banned function above (STYLE.md rule 8: use buf_*, snprintf, strtol with checks)" >&2
    status=1
fi

if ! command -v clang-format >/dev/null; then
    echo "style: clang-format is not installed (tests/deps.sh installs it)" >&2
    exit 1
fi
unformatted=()
for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
    printf '%s: differs from .clang-format\n' "${unformatted[@]}"
    echo "style: ${#unformatted[@]} file(s) differ; format with: clang-format -i FILE" >&2
    status=1
fi
exit "$status"
