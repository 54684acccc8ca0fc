#!/usr/bin/env bash
# Values at the edges of their types, end to end: json/jsonb scalars (a schema that admits them,
# loaded by our target with validate_records into jsonb), dates and timestamps outside the
# years 0001-9999 (clamped, counted), time 24:00:00, arrays of PostGIS geometry (typdelim ':')
# and of box (';'), an array with other lower bounds; the definitions in every SCHEMA and
# catalog stream; MeltanoLabs' dates_as_string and json_as_object; the same values through
# LOG_BASED (pgoutput and wal2json) compared with FULL_TABLE's.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../logical/log_lib.sh"

db=tap_edges
dst=tap_edges_dst
fresh_db "$db"
fresh_db "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE EXTENSION postgis;
CREATE TABLE edges (id int PRIMARY KEY, j json, jb jsonb, d date, ts timestamp, tz timestamptz,
  t time, ttz timetz, g geometry[], b box[], n numeric[], jarr jsonb[], da date[]);
INSERT INTO edges VALUES
 (1, '3.14', '22', '4713-04-03 BC', '10000-09-01 20:10:56', '9999-12-31 23:59:59.999999-03',
  '24:00:00', '24:00:00+02', ARRAY['POINT(1 2)'::geometry, NULL, 'LINESTRING(0 0,1 1)'],
  ARRAY[box '((1,1),(0,0))', NULL, box '((3,3),(2,2))'], '[0:1]={1.1,2.2}',
  ARRAY['1'::jsonb, '"x"', '{"a":1}'], ARRAY[date '4713-01-01 BC', 'infinity']),
 (2, 'true', '"x"', '2024-05-01', '2024-05-01 10:00:00', '0001-01-01 00:00:00.000123+04',
  '10:11:12', '10:11:12.5+02', NULL, NULL, NULL, NULL, NULL),
 (3, '{"a": [1, 2]}', '[1, "b"]', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE plain (id int PRIMARY KEY, v text);
CREATE TABLE decs (id int PRIMARY KEY, a numeric(5,2)[], b numeric(5,2)[], c numeric(7)[], u numeric[]);
INSERT INTO decs VALUES (1, '{1.50,NULL}', NULL, '{{1},{2}}', '{1e-30}');
SQL
tap_config "$db" >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-decs public-edges public-plain | sed 's/"LOG_BASED"/"FULL_TABLE"/' \
    >"$TEST_TMP/catalog.json"
assert_eq 3 "$(grep -c '"replication-method":"FULL_TABLE"' "$TEST_TMP/catalog.json")" "three streams selected"

defs='"definitions":{"sdc_recursive_integer_array":{"type":["null","integer","array"],"items":{"$ref":"#/definitions/sdc_recursive_integer_array"}},"sdc_recursive_number_array":{"type":["null","number","array"],"items":{"$ref":"#/definitions/sdc_recursive_number_array"}},"sdc_recursive_string_array":{"type":["null","string","array"],"items":{"$ref":"#/definitions/sdc_recursive_string_array"}},"sdc_recursive_boolean_array":{"type":["null","boolean","array"],"items":{"$ref":"#/definitions/sdc_recursive_boolean_array"}},"sdc_recursive_timestamp_array":{"type":["null","string","array"],"format":"date-time","items":{"$ref":"#/definitions/sdc_recursive_timestamp_array"}},"sdc_recursive_object_array":{"type":["null","object","array"],"items":{"$ref":"#/definitions/sdc_recursive_object_array"}},"sdc_recursive_json_array":{"type":["null","object","array","string","number","boolean"],"items":{"$ref":"#/definitions/sdc_recursive_json_array"}}}'
plain_schema='"schema":{"type":"object","properties":{"id":{"type":["integer"],"minimum":-2147483648,"maximum":2147483647},"v":{"type":["null","string"]}},'$defs'}'
assert_contains "$(grep '"tap_stream_id":"public-plain"' "$TEST_TMP/catalog.json")" "$plain_schema" \
    "the catalog stream of a table without arrays has pipelinewise's definitions"

# numeric(p,s)[]: pipelinewise's sdc_recursive_decimal_<p>_<s>_array, once per (p,s)
decs_schema='"schema":{"type":"object","properties":{"id":{"type":["integer"],"minimum":-2147483648,"maximum":2147483647},"a":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_decimal_5_2_array"}},"b":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_decimal_5_2_array"}},"c":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_decimal_7_0_array"}},"u":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_number_array"}}},'${defs%\}}',"sdc_recursive_decimal_5_2_array":{"type":["null","number","array"],"exclusiveMaximum":true,"maximum":1e3,"multipleOf":1e-2,"exclusiveMinimum":true,"minimum":-1e3,"items":{"$ref":"#/definitions/sdc_recursive_decimal_5_2_array"}},"sdc_recursive_decimal_7_0_array":{"type":["null","number","array"],"exclusiveMaximum":true,"maximum":1e7,"multipleOf":1,"exclusiveMinimum":true,"minimum":-1e7,"items":{"$ref":"#/definitions/sdc_recursive_decimal_7_0_array"}}}}'
assert_contains "$(grep '"tap_stream_id":"public-decs"' "$TEST_TMP/catalog.json")" "$decs_schema" \
    "numeric(p,s)[] columns refer to a definition of their precision and scale"

# FULL_TABLE
run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "FULL_TABLE run exits 0"
check_jsonl "$TEST_TMP/out1.jsonl" "stdout holds whole Singer messages only"
assert_eq "{\"type\":\"SCHEMA\",\"stream\":\"public-plain\",$plain_schema,\"key_properties\":[\"id\"],\"bookmark_properties\":[]}" \
    "$(grep '^{"type":"SCHEMA","stream":"public-plain"' "$TEST_TMP/out1.jsonl")" \
    "the SCHEMA of a table without arrays has the definitions"
assert_contains "$(grep '^{"type":"SCHEMA","stream":"public-decs"' "$TEST_TMP/out1.jsonl")" "$decs_schema" \
    "the SCHEMA of numeric(p,s)[] columns has their definitions"
assert_contains "$(grep '^{"type":"RECORD","stream":"public-decs"' "$TEST_TMP/out1.jsonl")" \
    '"record":{"id":1,"a":[1.50,null],"b":null,"c":[[1],[2]],"u":[0.000000000000000000000000000001]}' "numeric arrays keep their exact text"
schema=$(grep '^{"type":"SCHEMA","stream":"public-edges"' "$TEST_TMP/out1.jsonl")
assert_contains "$schema" '"j":{"type":["null","object","array","string","number","boolean"]},"jb":{"type":["null","object","array","string","number","boolean"]}' \
    "json and jsonb admit every JSON value"
assert_contains "$schema" '"g":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_string_array"}}' "geometry[]: an array of strings"
assert_contains "$schema" '"jarr":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_json_array"}}' "jsonb[]: an array of any JSON values"
assert_contains "$schema" '"da":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_timestamp_array"}}' "date[]: an array of date-times"
assert_contains "$(grep '^{"type":"RECORD","stream":"public-edges","record":{"id":1,' "$TEST_TMP/out1.jsonl")" \
    '"g":["0101000000000000000000F03F0000000000000040",null,"01020000000200000000000000000000000000000000000000000000000000F03F000000000000F03F"],"b":["(1,1),(0,0)",null,"(3,3),(2,2)"]' \
    "geometry[] is split on PostGIS's typdelim ':' (NULL elements kept), box[] on ';'"
grep '^{"type":"RECORD","stream":"public-edges"' "$TEST_TMP/out1.jsonl" | mask_volatile >"$TEST_TMP/records1"
cat >"$TEST_TMP/records1.expected" <<'EXP'
{"type":"RECORD","stream":"public-edges","record":{"id":1,"j":3.14,"jb":22,"d":"0001-01-01T00:00:00+00:00","ts":"9999-12-31T23:59:59.999999+00:00","tz":"9999-12-31T23:59:59.999999+00:00","t":"23:59:59.999999","ttz":"23:59:59.999999+02:00","g":["0101000000000000000000F03F0000000000000040",null,"01020000000200000000000000000000000000000000000000000000000000F03F000000000000F03F"],"b":["(1,1),(0,0)",null,"(3,3),(2,2)"],"n":[1.1,2.2],"jarr":[1,"x",{"a": 1}],"da":["0001-01-01T00:00:00+00:00","9999-12-31T23:59:59.999999+00:00"]},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-edges","record":{"id":2,"j":true,"jb":"x","d":"2024-05-01T00:00:00+00:00","ts":"2024-05-01T10:00:00+00:00","tz":"0001-01-01T00:00:00+00:00","t":"10:11:12","ttz":"10:11:12.5+02:00","g":null,"b":null,"n":null,"jarr":null,"da":null},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-edges","record":{"id":3,"j":{"a": [1, 2]},"jb":[1, "b"],"d":null,"ts":null,"tz":null,"t":null,"ttz":null,"g":null,"b":null,"n":null,"jarr":null,"da":null},"version":"<V>","time_extracted":"<T>"}
EXP
assert_files_eq "$TEST_TMP/records1.expected" "$TEST_TMP/records1" \
    "json scalars as JSON, out-of-range dates clamped, 24:00:00 -> 23:59:59.999999, arrays split on typdelim"
err=$(cat "$TEST_TMP/err1")
assert_contains "$err" 'stream "public-edges": 2 dates/timestamps after 9999-12-31 and 3 before 0001-01-01 (in UTC) were written as 9999-12-31T23:59:59.999999+00:00 and 0001-01-01T00:00:00+00:00' \
    "clamped dates and timestamps are counted in a warning"
assert_contains "$err" 'stream "public-edges": 1 +infinity and 0 -infinity dates/timestamps' "infinity is counted apart"
assert_contains "$err" 'stream "public-edges": 2 times of 24:00:00 were written as 23:59:59.999999' \
    "24:00:00 is counted in a warning"
assert_not_contains "$err" "did not parse" "every value parsed as its type"

# tap | target with validate_records: every record matches its SCHEMA; json scalars land as jsonb
target_config "$dst" '"default_target_schema":"public","validate_records":true' >"$TEST_TMP/target.json"
set +e
"$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/out1.jsonl" >"$TEST_TMP/states.jsonl" 2>"$TEST_TMP/target.err"
rc=$?
set -e
assert_eq 0 "$rc" "target-postgres with validate_records loads the tap's output"
assert_eq "jsonb jsonb" "$(psql_q "$dst" "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = 'public.edges'::regclass AND attname IN ('j', 'jb')")" \
    "json and jsonb properties become jsonb columns"
assert_eq "1|number|number|22
2|boolean|string|\"x\"
3|object|array|[1, \"b\"]" \
    "$(psql_q "$dst" "SELECT id, jsonb_typeof(j), jsonb_typeof(jb), jb FROM public.edges ORDER BY id")" \
    "json scalars are stored as JSON scalars"
assert_eq "1|0001-01-01 00:00:00+00|9999-12-31 23:59:59.999999+00|23:59:59.999999" \
    "$(psql_q "$dst" "SET TimeZone = 'UTC'; SELECT id, d, tz, t FROM public.edges WHERE id = 1")" \
    "clamped values load as dates and times"

# dates_as_string and json_as_object (MeltanoLabs tap-postgres)
tap_config "$db" '"dates_as_string":true,"json_as_object":true' >"$TEST_TMP/config_ml.json"
run_cmd "$TEST_TMP/out2.jsonl" "$TEST_TMP/err2" "$TAP_BIN" --config "$TEST_TMP/config_ml.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "a run with dates_as_string and json_as_object exits 0"
schema=$(grep '^{"type":"SCHEMA","stream":"public-edges"' "$TEST_TMP/out2.jsonl")
assert_contains "$schema" '"j":{"type":["null","object"]},"jb":{"type":["null","object"]},"d":{"type":["null","string"]},"ts":{"type":["null","string"]},"tz":{"type":["null","string"]},"t":{"type":["null","string"],"format":"time","x-sql-datatype":"time"}' \
    "json_as_object: object; dates_as_string: plain strings (time keeps its format)"
assert_contains "$schema" '"jarr":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_object_array"}},"da":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_string_array"}}' \
    "arrays follow the settings"
grep '^{"type":"RECORD","stream":"public-edges","record":{"id":[12],' "$TEST_TMP/out2.jsonl" |
    sed -E 's/^.*"record":\{"id":([0-9]),"j":[^,]*,"jb":[^,]*,("d":.*"tz":"[^"]*").*"da":([^}]*)\}.*$/\1 \2 \3/' >"$TEST_TMP/records2"
cat >"$TEST_TMP/records2.expected" <<'EXP'
1 "d":"4713-04-03 BC","ts":"10000-09-01 20:10:56","tz":"10000-01-01 02:59:59.999999+00" ["4713-01-01 BC","infinity"]
2 "d":"2024-05-01","ts":"2024-05-01 10:00:00","tz":"0001-12-31 20:00:00.000123+00 BC" null
EXP
assert_files_eq "$TEST_TMP/records2.expected" "$TEST_TMP/records2" "dates_as_string: PostgreSQL's own text"
err=$(cat "$TEST_TMP/err2")
assert_not_contains "$err" "were written as 9999-12-31" "dates_as_string: nothing clamped"
assert_contains "$err" 'stream "public-edges": 7 json values that are not objects were written as they are' \
    "json_as_object: non-objects are counted in a warning"
discovered=$("$TAP_BIN" --config "$TEST_TMP/config_ml.json" --discover 2>/dev/null | grep '"tap_stream_id":"public-edges"')
assert_contains "$discovered" '"jb":{"type":["null","object"]},"d":{"type":["null","string"]}' "the settings apply to discovery too"

# LOG_BASED: the same values through each plugin, compared with FULL_TABLE's records
for plugin in pgoutput wal2json; do
    PLUGIN=$plugin
    drop_slots "$db"
    log_config "$db" >"$TEST_TMP/config_$plugin.json"
    log_catalog "$TEST_TMP/config_$plugin.json" public-edges >"$TEST_TMP/catalog_$plugin.json"
    run_cmd "$TEST_TMP/log1.jsonl" "$TEST_TMP/logerr1" "$TAP_BIN" --config "$TEST_TMP/config_$plugin.json" --catalog "$TEST_TMP/catalog_$plugin.json"
    assert_eq 0 "$RC" "$plugin: the initial copy exits 0"
    last_state "$TEST_TMP/log1.jsonl" >"$TEST_TMP/logstate.json"
    psql_q "$db" "INSERT INTO edges SELECT id + 10, j, jb, d, ts, tz, t, ttz, g, b, n, jarr, da FROM edges WHERE id < 10" >/dev/null
    run_cmd "$TEST_TMP/log2.jsonl" "$TEST_TMP/logerr2" "$TAP_BIN" --config "$TEST_TMP/config_$plugin.json" --catalog "$TEST_TMP/catalog_$plugin.json" --state "$TEST_TMP/logstate.json"
    assert_eq 0 "$RC" "$plugin: the LOG_BASED run exits 0"
    records_only "$TEST_TMP/log2.jsonl" public-edges | sed -E 's/^\{"id":1([0-9]),/{"id":\1,/' >"$TEST_TMP/log_records"
    records_only "$TEST_TMP/out1.jsonl" public-edges >"$TEST_TMP/ft_records"
    assert_files_eq "$TEST_TMP/ft_records" "$TEST_TMP/log_records" "$plugin: LOG_BASED values equal FULL_TABLE's"
    psql_q "$db" "DELETE FROM edges WHERE id > 10" >/dev/null
done
drop_slots "$db"
finish
