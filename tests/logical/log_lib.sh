# Helpers for the LOG_BASED scenarios (on top of tests/tap/tap_lib.sh). Source it first:
#   . "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"
# PLUGIN (wal2json or pgoutput, set by CMake per scenario) picks the plugin of new slots.
LOG_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
. "$LOG_TESTS_DIR/../tap/tap_lib.sh"

PLUGIN=${PLUGIN:-pgoutput}
LOG_GOLDEN=$LOG_TESTS_DIR/golden

# log_catalog CONFIG STREAM_ID... > catalog: discovery keeping those streams, selected LOG_BASED
log_catalog() {
    local config=$1
    shift
    local ids
    ids=$(printf '%s\t' "$@")
    "$TAP_BIN" --config "$config" --discover 2>/dev/null |
        awk -v ids="$ids" '
            BEGIN { n = split(ids, want, "\t") - 1 }
            NR == 1 { print; next }
            /^\]\}/ { if (kept != "") print kept; print; next }
            {
                for (i = 1; i <= n; i++)
                    if (index($0, "{\"tap_stream_id\":\"" want[i] "\",") == 1) {
                        line = $0; sub(/,$/, "", line)
                        kept = (kept == "" ? line : kept ",\n" line)
                    }
            }' |
        select_streams LOG_BASED
}

# log_config DB [extra members]: a tap config for DB using PLUGIN (extra members come last:
# the last of two equal keys wins, as in Python's json, with a warning)
log_config() {
    tap_config "$1" "\"logical_decoding_plugin\":\"$PLUGIN\",\"logical_poll_total_seconds\":20${2:+,$2}"
}

# mask_cdc: mask_volatile plus the commit times of deletes
mask_cdc() {
    mask_volatile | sed -E 's/"_sdc_deleted_at":"[^"]*"/"_sdc_deleted_at":"<D>"/g'
}

# records_only FILE STREAM: the record bodies of STREAM, without _sdc_deleted_at null
records_only() {
    grep "^{\"type\":\"RECORD\",\"stream\":\"$2\"" "$1" |
        sed -E -e 's/^.*"record":(\{.*\}),"version".*$/\1/' -e 's/,"_sdc_deleted_at":null\}$/}/'
}

# wait_for FILE PATTERN SECONDS [POLLS_A_SECOND (10)]: wait until FILE holds a line matching PATTERN
wait_for() {
    local i per=${4:-10} # polls a second
    for i in $(seq 1 $(($3 * per))); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep "$(awk -v p="$per" 'BEGIN { printf "%.3f", 1 / p }')"
    done
    echo "timed out waiting for $2 in $1" >&2
    return 1
}

# slot_lsn SLOT COLUMN: confirmed_flush_lsn / restart_lsn of a slot as an integer
slot_lsn() {
    psql_q postgres "SELECT ($2 - '0/0'::pg_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '$1'"
}

# state_lsns STATE_FILE: the lsn bookmarks of a state, one per line
state_lsns() {
    grep -o '"lsn":[0-9]*' "$1" | cut -d: -f2
}

# drop_slots DB: drop the (inactive) slots of DB
drop_slots() {
    psql_q postgres "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE database = '$1' AND NOT active" >/dev/null
}
