#!/usr/bin/env bash
# samples/sync.sh, the state-file loop, run twice end to end with the sample catalogs: each run
# starts from the state the previous run's target wrote, and after each one the warehouse
# holds what the source holds.
#   1. FULL_TABLE + INCREMENTAL (samples/catalog.json): run 1 loads everything; an order is
#      added; run 2 brings it (INCREMENTAL from the bookmark of run 1's state).
#   2. LOG_BASED (samples/catalog_log_based.json, samples/tap_config_log_based.json): run 1
#      copies the tables; an insert, an update and a delete follow; run 2 streams them from
#      run 1's position (hard_delete: the row is gone).
#   3. A state line cut by a kill (no newline) is dropped, not taken nor glued to the next line.
#   4. A failing run (the target cannot connect) exits with the target's code and keeps the
#      last good state.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
src=target_sync_loop_src
dst=target_sync_loop_dst
fresh_db "$src"
fresh_db "$dst"
psql_f "$src" "$SOURCE_DIR/samples/demo.sql"
export TAP_BIN TARGET_BIN
sync=$SOURCE_DIR/samples/sync.sh

# the sample configs, pointed at the test cluster (and at the test databases)
sample_config() { # FILE DB -> the sample with this cluster's connection
    sed -E -e "s/\"host\": *\"[^\"]*\"/\"host\": \"$PGHOST\"/" -e "s/\"port\": *[0-9]+/\"port\": $PGPORT/" \
        -e "s/\"user\": *\"[^\"]*\"/\"user\": \"$PGUSER\"/" -e 's/"password": *"[^"]*"/"password": ""/' \
        -e "s/\"dbname\": *\"[^\"]*\"/\"dbname\": \"$2\"/" "$1"
}
sample_config "$SOURCE_DIR/samples/tap_config.json" "$src" >"$TEST_TMP/tap.json"
sample_config "$SOURCE_DIR/samples/tap_config_log_based.json" "$src" |
    sed -e 's/"slot_name": "shop_warehouse"/"slot_name": "sync_loop"/' -e 's/"publication_name": "shop_warehouse"/"publication_name": "sync_loop"/' >"$TEST_TMP/tap_log.json"
target_config "$dst" '"default_target_schema":"shop","primary_key_required":false' >"$TEST_TMP/target.json"
target_config "$dst" '"default_target_schema":"cdc","hard_delete":true' >"$TEST_TMP/target_log.json"
grep -q '"dbname": "target_sync_loop_src"' "$TEST_TMP/tap.json" || not_ok "the sample tap config was rewritten"

count() { psql_q "$1" "SELECT count(*) FROM $2"; }
same_rows() { # SCHEMA_IN_DST TABLE: EXCEPT both ways over the key and one column
    local a b
    a=$(psql_q "$src" "SELECT string_agg(id || ':' || coalesce($3::text, '-'), ',' ORDER BY id) FROM shop.$2")
    b=$(psql_q "$dst" "SELECT string_agg(id || ':' || coalesce($3::text, '-'), ',' ORDER BY id) FROM $1.$2")
    assert_eq "$a" "$b" "$1.$2 holds the source's rows ($3)"
}

# ---- 1. FULL_TABLE + INCREMENTAL
run_cmd "$TEST_TMP/run1.out" "$TEST_TMP/run1.err" "$sync" "$TEST_TMP/tap.json" "$SOURCE_DIR/samples/catalog.json" "$TEST_TMP/target.json" "$TEST_TMP/loop"
assert_eq 0 "$RC" "run 1 exits 0"
[ "$RC" = 0 ] || cat "$TEST_TMP/run1.err" >&2
assert_eq "" "$(cat "$TEST_TMP/run1.out")" "the loop itself writes nothing on stdout"
assert_contains "$(cat "$TEST_TMP/run1.err")" "tap exit 0, target exit 0" "it says how each program ended"
assert_eq "$(tail -n 1 "$TEST_TMP/loop/states.jsonl")" "$(cat "$TEST_TMP/loop/state.json")" "state.json is the last state line"
for t in customers products orders order_lines measurements; do
    assert_eq "$(count "$src" "shop.$t")" "$(count "$dst" "shop.$t")" "run 1: shop.$t has the source's row count"
done
lines1=$(wc -l <"$TEST_TMP/loop/states.jsonl")
psql_q "$src" "INSERT INTO shop.orders (customer_id, status, total, ordered_at, updated_at) VALUES (2, 'new', 9.99, now(), now() + interval '1 day')" >/dev/null
run_cmd "$TEST_TMP/run2.out" "$TEST_TMP/run2.err" "$sync" "$TEST_TMP/tap.json" "$SOURCE_DIR/samples/catalog.json" "$TEST_TMP/target.json" "$TEST_TMP/loop"
assert_eq 0 "$RC" "run 2 (from run 1's state) exits 0"
lines2=$(wc -l <"$TEST_TMP/loop/states.jsonl")
[ "$lines2" -gt "$lines1" ] && ok "run 2 appended state lines ($lines1 -> $lines2)" || not_ok "run 2 appended state lines ($lines1 -> $lines2)"
same_rows shop orders status
assert_contains "$(cat "$TEST_TMP/loop/state.json")" '"replication_key_value":"' "the state carries the INCREMENTAL bookmark on"
new_total=$(psql_q "$dst" "SELECT total FROM shop.orders WHERE status = 'new' AND total = 9.99")
assert_eq "9.99" "$new_total" "the order added between the runs arrived in run 2"

# ---- 2. LOG_BASED
run_cmd "$TEST_TMP/log1.out" "$TEST_TMP/log1.err" "$sync" "$TEST_TMP/tap_log.json" "$SOURCE_DIR/samples/catalog_log_based.json" "$TEST_TMP/target_log.json" "$TEST_TMP/loop_log"
assert_eq 0 "$RC" "LOG_BASED run 1 (the copy) exits 0"
[ "$RC" = 0 ] || cat "$TEST_TMP/log1.err" "$TEST_TMP/loop_log/tap.log" >&2
assert_contains "$(cat "$TEST_TMP/loop_log/state.json")" '"lsn":' "its state holds the slot position"
psql_q "$src" "INSERT INTO shop.customers (email, full_name, country) VALUES ('loop@example.com', 'Loop Customer', 'NL');
    UPDATE shop.customers SET full_name = 'Renamed' WHERE id = 1;
    DELETE FROM shop.order_lines WHERE order_id = 1;
    DELETE FROM shop.orders WHERE id = 1" >/dev/null
run_cmd "$TEST_TMP/log2.out" "$TEST_TMP/log2.err" "$sync" "$TEST_TMP/tap_log.json" "$SOURCE_DIR/samples/catalog_log_based.json" "$TEST_TMP/target_log.json" "$TEST_TMP/loop_log"
assert_eq 0 "$RC" "LOG_BASED run 2 (the changes) exits 0"
same_rows cdc customers full_name
same_rows cdc orders status
assert_eq "$(count "$src" shop.order_lines)" "$(count "$dst" cdc.order_lines)" "the deleted order lines are gone (hard_delete)"

# ---- 3. a cut state line
before=$(cat "$TEST_TMP/loop_log/state.json")
printf '{"type":"STATE","value":{"bookm' >>"$TEST_TMP/loop_log/states.jsonl" # as a kill leaves it
psql_q "$src" "UPDATE shop.customers SET vip = NOT coalesce(vip, false) WHERE id = 2" >/dev/null
run_cmd "$TEST_TMP/log3.out" "$TEST_TMP/log3.err" "$sync" "$TEST_TMP/tap_log.json" "$SOURCE_DIR/samples/catalog_log_based.json" "$TEST_TMP/target_log.json" "$TEST_TMP/loop_log"
assert_eq 0 "$RC" "a run after a cut state line exits 0"
assert_eq 0 "$(grep -c 'bookm$\|bookm{' "$TEST_TMP/loop_log/states.jsonl")" "the cut line is dropped, not glued to the next one"
same_rows cdc customers vip
[ "$before" != "$(cat "$TEST_TMP/loop_log/state.json")" ] && ok "the state moved on" || not_ok "the state moved on"

# ---- 4. a failing run keeps the last good state
good=$(cat "$TEST_TMP/loop_log/state.json")
sed -E "s/\"port\":[0-9]+/\"port\":1/" "$TEST_TMP/target_log.json" >"$TEST_TMP/target_bad.json"
run_cmd "$TEST_TMP/log4.out" "$TEST_TMP/log4.err" "$sync" "$TEST_TMP/tap_log.json" "$SOURCE_DIR/samples/catalog_log_based.json" "$TEST_TMP/target_bad.json" "$TEST_TMP/loop_log"
[ "$RC" != 0 ] && ok "a run whose target cannot connect fails (exit $RC)" || not_ok "a run whose target cannot connect fails"
assert_eq "$good" "$(cat "$TEST_TMP/loop_log/state.json")" "the last good state is kept"
psql_q postgres "SELECT pg_drop_replication_slot('sync_loop')" >/dev/null
finish
