#!/usr/bin/env bash
# Running at scale: several tap | target pairs at once, as Meltano or Airflow jobs run them.
# Three pairs, each with its own tap_id (so its own slot and publication) and its own stream
# selection (two from one source database, one from another), load one target database and
# one target schema concurrently. Twice: the first run copies (LOG_BASED initial copy, all
# pairs started together so their CREATE SCHEMA / CREATE TABLE race), then changes are made in
# every table and a second concurrent run streams them. After each round every target table
# equals its source, and each pair has its own slot.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
src1=target_scale_src1
src2=target_scale_src2
dst=target_scale_dst
fresh_db "$src1"
fresh_db "$src2"
fresh_db "$dst"
for db in "$src1" "$src2"; do
    for t in a b c; do
        psql_q "$db" "CREATE TABLE public.${t}_${db##*_} (id bigint PRIMARY KEY, v text, n integer);
            INSERT INTO public.${t}_${db##*_} SELECT i, md5(i::text), i FROM generate_series(1, 3000) i" >/dev/null
    done
done

# pair NAME DB TABLES...: a tap config (tap_id NAME) and a catalog selecting TABLES, LOG_BASED
pair() {
    local name=$1 db=$2
    shift 2
    tap_config "$db" "\"tap_id\":\"$name\",\"logical_decoding_plugin\":\"pgoutput\"" >"$TEST_TMP/$name.tap.json"
    "$TAP_BIN" --config "$TEST_TMP/$name.tap.json" --discover >"$TEST_TMP/$name.discovered.json"
    local sel=()
    for t in "$@"; do sel+=(-e "/\"tap_stream_id\":\"public-$t\"/ s/\"breadcrumb\":\\[\\],\"metadata\":\\{/&\"selected\":true,\"replication-method\":\"LOG_BASED\",/"); done
    sed -E "${sel[@]}" "$TEST_TMP/$name.discovered.json" >"$TEST_TMP/$name.catalog.json"
    : >"$TEST_TMP/$name.states.jsonl"
}
pair p1 "$src1" a_src1 b_src1
pair p2 "$src1" c_src1
pair p3 "$src2" a_src2 b_src2 c_src2
target_config "$dst" '"default_target_schema":"loaded","hard_delete":true,"batch_size_rows":500' >"$TEST_TMP/target.json"

# round N: the three pairs at once, each from its own last state
round() {
    local r=$1 p pids=()
    for p in p1 p2 p3; do
        local state=()
        [ -s "$TEST_TMP/$p.state.json" ] && state=(--state "$TEST_TMP/$p.state.json")
        ( "$TAP_BIN" --config "$TEST_TMP/$p.tap.json" --catalog "$TEST_TMP/$p.catalog.json" "${state[@]}" 2>"$TEST_TMP/$p.tap.$r.err" |
            "$TARGET_BIN" --config "$TEST_TMP/target.json" >>"$TEST_TMP/$p.states.jsonl" 2>"$TEST_TMP/$p.target.$r.err"
          echo "${PIPESTATUS[*]}" >"$TEST_TMP/$p.rc.$r" ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    for p in p1 p2 p3; do
        assert_eq "0 0" "$(cat "$TEST_TMP/$p.rc.$r")" "round $r: pair $p (tap | target) exits 0"
        [ "$(cat "$TEST_TMP/$p.rc.$r")" = "0 0" ] || tail -n 3 "$TEST_TMP/$p.tap.$r.err" "$TEST_TMP/$p.target.$r.err" >&2
        tail -n 1 "$TEST_TMP/$p.states.jsonl" >"$TEST_TMP/$p.state.json"
    done
}
same() { # DB TABLE: the target table equals the source one
    local a b
    a=$(psql_q "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || v || ':' || n, ',' ORDER BY id)), '-') FROM public.$2")
    b=$(psql_q "$dst" "SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || v || ':' || n, ',' ORDER BY id)), '-') FROM loaded.$2")
    assert_eq "$a" "$b" "round $3: loaded.$2 equals $1's public.$2"
}
check_all() {
    for t in a b c; do same "$src1" "${t}_src1" "$1"; same "$src2" "${t}_src2" "$1"; done
}

round 1
check_all 1
assert_eq "3" "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('pipelinewise_${src1}_p1', 'pipelinewise_${src1}_p2', 'pipelinewise_${src2}_p3')")" \
    "each pair has its own slot (pipelinewise_<dbname>_<tap_id>)"
for db in "$src1" "$src2"; do
    for t in a b c; do
        psql_q "$db" "INSERT INTO public.${t}_${db##*_} SELECT i, 'new', i FROM generate_series(3001, 3200) i;
            UPDATE public.${t}_${db##*_} SET v = 'changed', n = n + 1 WHERE id % 10 = 0;
            DELETE FROM public.${t}_${db##*_} WHERE id % 17 = 0" >/dev/null
    done
done
round 2
check_all 2
for p in p1 p2 p3; do
    assert_contains "$(cat "$TEST_TMP/$p.state.json")" '"lsn":' "pair $p's state holds its slot position"
done
for s in "pipelinewise_${src1}_p1" "pipelinewise_${src1}_p2" "pipelinewise_${src2}_p3"; do
    psql_q postgres "SELECT pg_drop_replication_slot('$s')" >/dev/null
done
finish
