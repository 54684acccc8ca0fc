#!/usr/bin/env bash
# End to end on the demo database (samples/demo.sql: every common type, NULLs, unicode, a large
# TOASTed text, a view, a table without a key): tap-postgres | target-postgres into a second
# database, then every table compared with SQL both ways (EXCEPT), each side's values put in
# the form the Singer types give them (date -> timestamptz at UTC, interval -> ISO 8601,
# arrays and hstore -> JSON, NaN/Infinity -> NULL, +infinity -> 9999-12-31T23:59:59.999999Z).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
src=target_e2e_demo_src
dst=target_e2e_demo_dst
fresh_db "$src"
fresh_db "$dst"
psql_f "$src" "$SOURCE_DIR/samples/demo.sql"
export PGTZ=UTC PGOPTIONS="-c IntervalStyle=iso_8601 -c extra_float_digits=1 -c client_min_messages=warning"

tap_config "$src" '"filter_schemas":"shop","itersize":100' >"$TEST_TMP/tap.json"
target_config "$dst" '"default_target_schema":"public","primary_key_required":false,"batch_size_rows":200' >"$TEST_TMP/target.json"
"$TAP_BIN" --config "$TEST_TMP/tap.json" --discover >"$TEST_TMP/catalog.json"
sed -E -e 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' \
    -e '/"tap_stream_id":"shop-order_summary"/ s/"breadcrumb":\[\],"metadata":\{/&"view-key-properties":["order_id"],/' \
    "$TEST_TMP/catalog.json" >"$TEST_TMP/selected.json"
set +e
"$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/selected.json" 2>"$TEST_TMP/tap.err" |
    "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/states.jsonl" 2>"$TEST_TMP/target.err"
rc=("${PIPESTATUS[@]}")
set -e
assert_eq "0 0" "${rc[*]}" "tap | target: both exit 0"
[ "${rc[1]}" = 0 ] || tail -n 5 "$TEST_TMP/target.err" >&2

# compare TABLE SRC_EXPRS DST_EXPRS: copy the target's rows into the source database, then
# EXCEPT both ways; both lists must produce the same column types
compare() {
    local table=$1 src_cols=$2 dst_cols=$3
    psql_q "$src" "DROP TABLE IF EXISTS cmp_src, cmp_dst;
        CREATE TABLE cmp_src AS SELECT $src_cols FROM shop.$table;
        CREATE TABLE cmp_dst AS SELECT * FROM cmp_src WHERE false" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$dst" -c "\\copy (SELECT $dst_cols FROM public.$table) TO STDOUT" |
        psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c "\\copy cmp_dst FROM STDIN"
    local n_src n_dst only_src only_dst
    n_src=$(psql_q "$src" "SELECT count(*) FROM cmp_src")
    n_dst=$(psql_q "$src" "SELECT count(*) FROM cmp_dst")
    only_src=$(psql_q "$src" "SELECT * FROM (SELECT * FROM cmp_src EXCEPT ALL SELECT * FROM cmp_dst) d LIMIT 3")
    only_dst=$(psql_q "$src" "SELECT * FROM (SELECT * FROM cmp_dst EXCEPT ALL SELECT * FROM cmp_src) d LIMIT 3")
    assert_eq "$n_src" "$n_dst" "$table: same row count ($n_src)"
    assert_eq "" "$only_src" "$table: every source row is in the target"
    assert_eq "" "$only_dst" "$table: every target row is in the source"
}

compare customers \
    "id, email::text, full_name, country::text, birthday::timestamptz, vip, preferences, hstore_to_jsonb(attributes) AS attributes, created_at" \
    "id, email, full_name, country, birthday, vip, preferences, attributes, created_at"
compare products \
    "sku::text, title, NULLIF(price, 'NaN') AS price, weight_kg::text, to_jsonb(tags) AS tags, to_jsonb(dimensions) AS dimensions, description, image::text, warranty::text" \
    "sku, title, price, weight_kg::text, tags, dimensions, description, image, warranty"
compare orders \
    "id, customer_id, status::text, total, ordered_at, delivery_window::text, host(client_ip) AS client_ip, note, updated_at" \
    "id, customer_id, status, total, ordered_at, delivery_window, client_ip, note, updated_at"
compare order_lines \
    "order_id, line_no::int, sku::text, quantity, unit_price" \
    "order_id, line_no, sku, quantity, unit_price"
compare measurements \
    "sensor::text, CASE WHEN taken_at = 'infinity' THEN '9999-12-31 23:59:59.999999+00' ELSE taken_at AT TIME ZONE 'UTC' END AS taken_at, CASE WHEN value IN ('Infinity', '-Infinity', 'NaN') THEN NULL ELSE value::text END AS value, flags::text, ok = B'1' AS ok" \
    "sensor, taken_at, value::text, flags, ok"
compare order_summary \
    "order_id, full_name, status::text, total, lines" \
    "order_id, full_name, status, total, lines"

# the large TOASTed description arrived whole
assert_eq 76000 "$(psql_q "$dst" "SELECT length(description) FROM public.products WHERE sku = 'SKU-002'")" \
    "the TOASTed text arrived whole"
assert_contains "$(tail -n 1 "$TEST_TMP/states.jsonl")" '"bookmarks"' "the last line is a state"
finish
