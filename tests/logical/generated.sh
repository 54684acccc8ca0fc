#!/usr/bin/env bash
# LOG_BASED and generated columns, per plugin and server version (label "matrix": run on every
# major of tests/run.sh). A stored generated column: wal2json sends it; pgoutput publishes it
# only from PostgreSQL 18, with publish_generated_columns = stored, and leaves it out otherwise
# (a warning naming stream and column). A virtual generated column (PostgreSQL 18): no plugin
# carries its values (wal2json null, pgoutput leaves it out; a warning). The initial copy has
# every value.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

ver=$(psql_q postgres "SHOW server_version_num")
for PLUGIN in pgoutput wal2json; do
    db=log_gen_$PLUGIN
    fresh_db "$db"
    virtual=""
    [ "$ver" -ge 180000 ] && virtual=", v integer GENERATED ALWAYS AS (a * 3) VIRTUAL"
    psql_q "$db" "CREATE TABLE g (id integer PRIMARY KEY, a integer,
        s integer GENERATED ALWAYS AS (a * 2) STORED $virtual);
        INSERT INTO g (id, a) VALUES (1, 10)" >/dev/null
    log_config "$db" >"$TEST_TMP/config.json"
    log_catalog "$TEST_TMP/config.json" public-g >"$TEST_TMP/catalog.json"
    run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq 0 "$RC" "$PLUGIN: run 1 exits 0"
    if [ "$ver" -ge 180000 ]; then
        expected='{"id":1,"a":10,"s":20,"v":30}'
    else
        expected='{"id":1,"a":10,"s":20}'
    fi
    assert_eq "$expected" "$(records_only "$TEST_TMP/out1.jsonl" public-g)" "$PLUGIN: the initial copy has every value"
    last_state "$TEST_TMP/out1.jsonl" >"$TEST_TMP/state1.json"

    psql_q "$db" "UPDATE g SET a = 11 WHERE id = 1" >/dev/null
    run_cmd "$TEST_TMP/out2.jsonl" "$TEST_TMP/err2" "$TAP_BIN" --config "$TEST_TMP/config.json" \
        --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state1.json"
    assert_eq 0 "$RC" "$PLUGIN: run 2 exits 0"
    err=$(cat "$TEST_TMP/err2")
    stored_warn="WARNING tap-postgres: stream \"public-g\": column \"s\" is a stored generated column, which pgoutput does not publish"
    virtual_warn="WARNING tap-postgres: stream \"public-g\": column \"v\" is a virtual generated column, whose values logical decoding does not carry: the records of changes"
    case "$PLUGIN,$ver" in
    pgoutput,*)
        if [ "$ver" -ge 180000 ]; then
            assert_contains "$err" "$stored_warn unless the publication has publish_generated_columns = stored: the records of changes leave it out (the initial copy has its values; wal2json sends them)" \
                "pgoutput 18: the stored generated column is named in a warning"
            assert_contains "$err" "$virtual_warn leave it out (pgoutput) (the initial copy has its values)" \
                "pgoutput 18: the virtual generated column is named in a warning"
        else
            assert_contains "$err" "$stored_warn before PostgreSQL 18: the records of changes leave it out (the initial copy has its values; wal2json sends them)" \
                "pgoutput: the stored generated column is named in a warning"
        fi
        expected='{"id":1,"a":11}'
        ;;
    wal2json,*)
        assert_not_contains "$err" "$stored_warn" "wal2json: no warning for the stored generated column"
        if [ "$ver" -ge 180000 ]; then
            assert_contains "$err" "$virtual_warn have null for it (wal2json) (the initial copy has its values)" \
                "wal2json 18: the virtual generated column is named in a warning"
            expected='{"id":1,"a":11,"s":22,"v":null}'
        else
            expected='{"id":1,"a":11,"s":22}'
        fi
        ;;
    esac
    assert_eq "$expected" "$(records_only "$TEST_TMP/out2.jsonl" public-g)" "$PLUGIN: the record of the update"

    if [ "$PLUGIN" = pgoutput ] && [ "$ver" -ge 180000 ]; then
        # PostgreSQL 18: the publication can publish stored generated columns
        last_state "$TEST_TMP/out2.jsonl" >"$TEST_TMP/state2.json"
        psql_q "$db" "ALTER PUBLICATION pipelinewise_$db SET (publish_generated_columns = stored)"
        psql_q "$db" "UPDATE g SET a = 12 WHERE id = 1" >/dev/null
        run_cmd "$TEST_TMP/out3.jsonl" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/config.json" \
            --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state2.json"
        assert_eq 0 "$RC" "pgoutput 18, publish_generated_columns = stored: run 3 exits 0"
        assert_not_contains "$(cat "$TEST_TMP/err3")" "$stored_warn" \
            "pgoutput 18, publish_generated_columns = stored: no warning for the stored column"
        assert_eq '{"id":1,"a":12,"s":24}' "$(records_only "$TEST_TMP/out3.jsonl" public-g)" \
            "pgoutput 18, publish_generated_columns = stored: the stored column arrives"
    fi
    drop_slots "$db"
done
finish
