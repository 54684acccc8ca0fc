#!/usr/bin/env bash
# The state-file loop: one run of tap-postgres | target-postgres that starts from the state the
# previous run's target wrote, and leaves the state for the next one. Run it from cron, a
# systemd timer or a job scheduler as often as you like; a run that fails or is killed loses
# nothing (the target writes a state line only after the rows before it are committed, so the
# last line written is always safe to start from).
#
#   samples/sync.sh TAP_CONFIG CATALOG TARGET_CONFIG STATE_DIR
#
# STATE_DIR keeps:
#   states.jsonl  every state line the target wrote, appended run after run
#   state.json    the last of them: the next run's --state (absent before the first run)
#   tap.log, target.log   the last run's stderr
# TAP_BIN and TARGET_BIN choose the programs (default: tap-postgres and target-postgres on the
# PATH, else the build/ folder of this checkout). Exit status: 0, or the failing program's.
set -uo pipefail
if [ $# != 4 ]; then
    sed -n '8p' "$0" | sed 's/^# *//' >&2
    exit 2
fi
tap_config=$1 catalog=$2 target_config=$3 dir=$4
root=$(cd "$(dirname "$0")/.." && pwd)
pick() { # NAME: the program on the PATH, else the one built in this checkout
    command -v "$1" 2>/dev/null || echo "$root/build/$1/$1"
}
tap=${TAP_BIN:-$(pick tap-postgres)}
target=${TARGET_BIN:-$(pick target-postgres)}
mkdir -p "$dir" || exit 1

# complete_lines: drop a last line without its newline (a kill can cut the target's last write)
complete_lines() {
    local f=$dir/states.jsonl n
    [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ] || return 0
    n=$(wc -l <"$f")
    head -n "$n" "$f" >"$f.new" && mv "$f.new" "$f"
}
complete_lines
state_args=()
[ -s "$dir/state.json" ] && state_args=(--state "$dir/state.json")
before=0
[ -f "$dir/states.jsonl" ] && before=$(wc -l <"$dir/states.jsonl")

"$tap" --config "$tap_config" --catalog "$catalog" "${state_args[@]}" 2>"$dir/tap.log" |
    "$target" --config "$target_config" >>"$dir/states.jsonl" 2>"$dir/target.log"
codes=("${PIPESTATUS[@]}")

# the next run's state: the last complete line the target wrote (a cut one is dropped, before
# a run so that the target's first line is not glued to it, and after, so it is not taken)
complete_lines
after=$(wc -l <"$dir/states.jsonl")
if [ "$after" -gt 0 ]; then
    tail -n 1 "$dir/states.jsonl" >"$dir/state.json.new" && mv "$dir/state.json.new" "$dir/state.json"
fi
echo "sync: $((after - before)) state line(s) this run; tap exit ${codes[0]}, target exit ${codes[1]}" >&2
if [ "${codes[0]}" != 0 ]; then
    tail -n 3 "$dir/tap.log" >&2
    exit "${codes[0]}"
fi
if [ "${codes[1]}" != 0 ]; then
    tail -n 3 "$dir/target.log" >&2
    exit "${codes[1]}"
fi
exit 0
