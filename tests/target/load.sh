#!/usr/bin/env bash
# target-postgres loading: merge semantics, schema changes, names, flattening, metadata,
# hard delete, ACTIVATE_VERSION, exact values. Asserts table contents and the exact stdout.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_load
fresh_db "$db"
in=$TEST_TMP/in.jsonl

# --- duplicates in one batch, absent vs null, empty strings, exact numbers, composite keys
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-dups","schema":{"type":"object","properties":{"id":{"type":"integer"},"k2":{"type":"string"},"name":{"type":["null","string"]},"amount":{"type":["null","number"]},"ts":{"type":["null","string"],"format":"date-time"},"d":{"type":["null","string"],"format":"date"},"t":{"type":["null","string"],"format":"time"},"big":{"type":["null","integer"]}}},"key_properties":["id","k2"]}
{"type":"RECORD","stream":"public-dups","record":{"id":1,"k2":"a,b","name":"first","amount":12345678901234567890.123456789,"ts":"2024-05-01T10:11:12.123456+02:00","d":"2024-02-29","t":"10:11:12.5","big":9223372036854775807}}
{"type":"RECORD","stream":"public-dups","record":{"id":1,"k2":"a","name":"other key","amount":1}}
{"type":"STATE","value":{"bookmarks":{"public-dups":{"n":1}}}}
{"type":"RECORD","stream":"public-dups","record":{"id":1,"k2":"a,b","name":"second"}}
{"type":"RECORD","stream":"public-dups","record":{"id":2,"k2":"","name":"","amount":null}}
{"type":"RECORD","stream":"public-dups","record":{"id":1,"k2":"a,b","amount":0.1,"big":-9223372036854775808}}
{"type":"record","stream":"public-dups","record":{"id":3,"k2":"x","name":"tab\there \\ \"q\" \u00e9\u4e2d\ud83d\ude00"}}
{"type":"STATE","value":{"bookmarks":{"public-dups":{"n":2}}}}
JSON
load "$db" '' "$in"
assert_eq 0 "$RC" "duplicates: exit code"
assert_eq '{"bookmarks":{"public-dups":{"n":2}}}' "$(cat "$OUT")" "duplicates: only the last state (nothing committed before the end)"
assert_eq '1|a|other key|1||||
1|a,b|second|0.1|2024-05-01 08:11:12.123456+00|2024-02-29|10:11:12.5+00|-9223372036854775808
2|||||||
3|x|tab	here \ "q" é中😀|||||' \
    "$(q $db "SELECT id, k2, name, amount, ts, d, t, big FROM tgt.dups ORDER BY id, k2")" \
    "duplicates: last record per key wins, absent keeps, null stores NULL, exact keys and values"
assert_eq '1' "$(q $db "SELECT count(*) FROM tgt.dups WHERE id = 2 AND k2 = '' AND name = '' AND amount IS NULL")" \
    "empty strings stay empty strings"
assert_eq 'id,k2' "$(q $db "SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'tgt.dups'::regclass AND i.indisprimary")" \
    "composite primary key from key_properties"
assert_eq 'bigint|text|text|numeric|timestamp with time zone|date|time with time zone|bigint' \
    "$(q $db "SELECT string_agg(format_type(atttypid, atttypmod), '|' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'tgt.dups'::regclass AND attnum > 0")" \
    "type mapping"

# --- a second run updates across batches (absent keeps the stored value)
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-dups","schema":{"type":"object","properties":{"id":{"type":"integer"},"k2":{"type":"string"},"name":{"type":["null","string"]},"amount":{"type":["null","number"]}}},"key_properties":["id","k2"]}
{"type":"RECORD","stream":"public-dups","record":{"id":3,"k2":"x","amount":7}}
{"type":"RECORD","stream":"public-dups","record":{"id":2,"k2":"","name":null}}
JSON
load "$db" '"batch_size_rows":1' "$in"
assert_eq 0 "$RC" "update run: exit code"
assert_eq '2|||
3|x|tab	here \ "q" é中😀|7' "$(q $db "SELECT id, k2, name, amount FROM tgt.dups WHERE id > 1 ORDER BY id")" \
    "update run: absent property keeps the stored value, explicit null stores NULL"

# --- schema updates: new boolean, object, array columns; a widened integer column
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"test_schema_updates","key_properties":["id"],"schema":{"type":"object","properties":{"id":{"type":"integer"},"a1":{"type":"integer","minimum":-32768,"maximum":32767},"a2":{"type":"string"}}}}
{"type":"RECORD","stream":"test_schema_updates","record":{"id":1,"a1":101,"a2":"string1"}}
{"type":"SCHEMA","stream":"test_schema_updates","key_properties":["id"],"schema":{"type":"object","properties":{"id":{"type":"integer"},"a1":{"type":"integer","minimum":-32768,"maximum":32767},"a2":{"type":"string"},"a3":{"type":"boolean"}}}}
{"type":"RECORD","stream":"test_schema_updates","record":{"id":2,"a1":102,"a2":"string2","a3":true}}
{"type":"SCHEMA","stream":"test_schema_updates","key_properties":["id"],"schema":{"type":"object","properties":{"id":{"type":"integer"},"a1":{"type":"number"},"a2":{"type":"string"},"a3":{"type":"boolean"},"a4":{"type":"object","properties":{"id":{"type":"integer"},"value":{"type":"integer"}}},"a5":{"type":"array","items":{"type":"string"}}}}}
{"type":"RECORD","stream":"test_schema_updates","record":{"id":3,"a1":103.5,"a2":"string3","a3":false,"a4":{"id":1,"value":1},"a5":["banana","apple"]}}
{"type":"STATE","value":{"test_schema_updates":3}}
JSON
load "$db" '' "$in"
assert_eq 0 "$RC" "schema updates: exit code"
assert_eq '{"test_schema_updates":3}' "$(cat "$OUT")" "schema updates: stdout"
assert_eq 'id:bigint a1:numeric a2:text a3:boolean a4:jsonb a5:jsonb' \
    "$(q $db "SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'tgt.test_schema_updates'::regclass AND attnum > 0 AND NOT attisdropped")" \
    "schema updates: columns added, smallint widened in place to numeric"
assert_eq '1|101|string1|||
2|102|string2|t||
3|103.5|string3|f|{"id": 1, "value": 1}|["banana", "apple"]' \
    "$(q $db "SELECT id, a1, a2, a3, a4, a5 FROM tgt.test_schema_updates ORDER BY id")" \
    "schema updates: rows"

# --- primary key change (the Singer SDK case): key_properties [id] then [email]; the records
# after the change merge on email (the table's primary key stays on id: nothing is dropped)
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"pk_change","schema":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"email":{"type":"string"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"pk_change","record":{"id":1,"name":"Alice","email":"alice@example.com"}}
{"type":"SCHEMA","stream":"pk_change","schema":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"email":{"type":"string"}}},"key_properties":["email"]}
{"type":"RECORD","stream":"pk_change","record":{"id":2,"name":"Bob","email":"bob@example.com"}}
{"type":"RECORD","stream":"pk_change","record":{"id":3,"name":"Bob again","email":"bob@example.com"}}
{"type":"STATE","value":{"pk":1}}
JSON
load "$db" '' "$in"
assert_eq 0 "$RC" "primary key change: exit code"
assert_eq '{"pk":1}' "$(cat "$OUT")" "primary key change: stdout"
assert_eq '1|Alice|alice@example.com
3|Bob again|bob@example.com' "$(q $db "SELECT id, name, email FROM tgt.pk_change ORDER BY id")" \
    "primary key change: later records merge on the new key"

# --- camelCase and special characters; long names; no primary key
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"test:SpecialChars!in?attributes","schema":{"type":"object","properties":{"_id":{"type":"string"},"CamelCaseKey":{"type":"string"},"with space & $ymbols":{"type":"integer"},"a_property_name_that_is_much_longer_than_sixty_three_bytes_in_total_1":{"type":"string"}}},"key_properties":["_id"]}
{"type":"RECORD","stream":"test:SpecialChars!in?attributes","record":{"_id":"a2e98886","CamelCaseKey":"v","with space & $ymbols":5,"a_property_name_that_is_much_longer_than_sixty_three_bytes_in_total_1":"long"}}
{"type":"SCHEMA","stream":"public-nopk","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":"string"}}},"key_properties":[]}
{"type":"RECORD","stream":"public-nopk","record":{"id":1,"v":"x"}}
{"type":"RECORD","stream":"public-nopk","record":{"id":1,"v":"x"}}
{"type":"RECORD","stream":"public-nopk","record":{"id":2}}
JSON
load "$db" '"primary_key_required":false' "$in"
assert_eq 0 "$RC" "names: exit code"
long=$(q $db "SELECT attname FROM pg_attribute WHERE attrelid = 'tgt.\"test:specialchars!in?attributes\"'::regclass AND attname LIKE 'a_property%'")
assert_eq 63 "${#long}" "names: a long name is cut to 63 bytes"
assert_contains "$long" "a_property_name_that_is_much_longer_than_sixty_three_b_" "names: cut name keeps its prefix"
assert_eq 'a2e98886|v|5|long' "$(q $db "SELECT _id, camelcasekey, \"with space & \$ymbols\", \"$long\" FROM tgt.\"test:specialchars!in?attributes\"")" \
    "names: lower-cased, quoted, special characters kept"
assert_eq '1|x
1|x
2|' "$(q $db "SELECT id, v FROM tgt.nopk ORDER BY id")" "no primary key: rows appended, duplicates kept"

# --- flattening levels
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-flat","schema":{"type":"object","properties":{"id":{"type":"integer"},"a":{"type":["null","object"],"properties":{"b":{"type":"string"},"c":{"type":"object","properties":{"d":{"type":"integer"}}}}},"e":{"type":"object"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-flat","record":{"id":1,"a":{"b":"x","c":{"d":4}},"e":{"z":1}}}
{"type":"RECORD","stream":"public-flat","record":{"id":2,"a":null}}
JSON
load "$db" '"data_flattening_max_level":1' "$in"
assert_eq 0 "$RC" "flatten level 1: exit code"
assert_eq '1|x|{"d": 4}|{"z": 1}
2|||' "$(q $db "SELECT id, a__b, a__c, e FROM tgt.flat ORDER BY id")" "flatten level 1: a__b, a__c stays jsonb"
psql_q $db "DROP TABLE tgt.flat" >/dev/null
load "$db" '"data_flattening_max_level":2' "$in"
assert_eq '1|x|4' "$(q $db "SELECT id, a__b, a__c__d FROM tgt.flat WHERE id = 1")" "flatten level 2: a__c__d"
# updates of flattened columns: an absent parent or child keeps the stored values, a null parent
# stores NULL in all its columns
cat >"$TEST_TMP/flat2.jsonl" <<'JSON'
{"type":"SCHEMA","stream":"public-flat","schema":{"type":"object","properties":{"id":{"type":"integer"},"a":{"type":["null","object"],"properties":{"b":{"type":"string"},"c":{"type":"object","properties":{"d":{"type":"integer"}}}}},"e":{"type":"object"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-flat","record":{"id":1,"e":{"z":2}}}
{"type":"RECORD","stream":"public-flat","record":{"id":2,"a":{"b":"y"}}}
JSON
load "$db" '"data_flattening_max_level":2' "$TEST_TMP/flat2.jsonl"
assert_eq '1|x|4|{"z": 2}' "$(q $db "SELECT id, a__b, a__c__d, e FROM tgt.flat WHERE id = 1")" "flatten, update: an absent parent keeps its columns"
printf '%s\n' "$(head -n 1 "$TEST_TMP/flat2.jsonl")" '{"type":"RECORD","stream":"public-flat","record":{"id":1,"a":{"c":{}}}}' >"$TEST_TMP/flat3.jsonl"
load "$db" '"data_flattening_max_level":2' "$TEST_TMP/flat3.jsonl"
assert_eq '1|x|4' "$(q $db "SELECT id, a__b, a__c__d FROM tgt.flat WHERE id = 1")" "flatten, update: absent children keep their columns"
printf '%s\n' "$(head -n 1 "$TEST_TMP/flat2.jsonl")" '{"type":"RECORD","stream":"public-flat","record":{"id":1,"a":null}}' >"$TEST_TMP/flat3.jsonl"
load "$db" '"data_flattening_max_level":2' "$TEST_TMP/flat3.jsonl"
assert_eq '1|||{"z": 2}' "$(q $db "SELECT id, a__b, a__c__d, e FROM tgt.flat WHERE id = 1")" "flatten, update: a null parent stores NULL in its columns"
psql_q $db "DROP TABLE tgt.flat" >/dev/null
load "$db" '' "$in"
assert_eq '1|{"b": "x", "c": {"d": 4}}' "$(q $db "SELECT id, a FROM tgt.flat WHERE id = 1")" "flatten level 0: objects stay jsonb"

# --- metadata columns, hard delete, ACTIVATE_VERSION
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-hd","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]},"_sdc_deleted_at":{"type":["null","string"],"format":"date-time"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-hd","record":{"id":1,"v":"one"},"version":1,"time_extracted":"2024-05-01T10:11:12.123456Z"}
{"type":"RECORD","stream":"public-hd","record":{"id":2,"v":"two"},"version":1,"time_extracted":"2024-05-01T10:11:12.123456Z"}
{"type":"RECORD","stream":"public-hd","record":{"id":3,"v":"three"},"version":1}
{"type":"STATE","value":{"s":1}}
{"type":"RECORD","stream":"public-hd","record":{"id":2,"_sdc_deleted_at":"2024-05-02T00:00:00Z"},"version":1}
{"type":"RECORD","stream":"public-hd","record":{"id":3,"_sdc_deleted_at":"2024-05-02T00:00:00Z"},"version":1}
{"type":"RECORD","stream":"public-hd","record":{"id":3,"v":"three again"},"version":1}
{"type":"STATE","value":{"s":2}}
JSON
load "$db" '"hard_delete":true,"batch_size_rows":3,"async_flush":false' "$in"
assert_eq 0 "$RC" "hard delete: exit code"
assert_eq '{"s":1}
{"s":2}' "$(cat "$OUT")" "hard delete: states after each commit"
assert_eq '1|one|2024-05-01 10:11:12.123456+00|1|t|t|t
3|three again||1|t|t|t' \
    "$(q $db "SELECT id, v, _sdc_extracted_at, _sdc_table_version, _sdc_received_at IS NOT NULL, _sdc_batched_at IS NOT NULL, _sdc_sequence IS NOT NULL FROM tgt.hd ORDER BY id")" \
    "hard delete: the deleted key is gone, a re-insert after a delete stays, metadata filled"
assert_eq '1' "$(q $db "SELECT count(*) FROM pg_indexes WHERE schemaname = 'tgt' AND tablename = 'hd' AND indexdef LIKE '%(_sdc_deleted_at) WHERE (_sdc_deleted_at IS NOT NULL)'")" \
    "hard delete: index on _sdc_deleted_at, partial (it holds no row: deleted rows are removed)"

cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-av","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":100}
{"type":"RECORD","stream":"public-av","record":{"id":1},"version":100}
{"type":"RECORD","stream":"public-av","record":{"id":2},"version":100}
{"type":"RECORD","stream":"public-av","record":{"id":3},"version":100}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":100}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":200}
{"type":"RECORD","stream":"public-av","record":{"id":1},"version":200}
{"type":"RECORD","stream":"public-av","record":{"id":3},"version":200}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":200}
{"type":"STATE","value":{"v":200}}
JSON
load "$db" '"add_metadata_columns":true' "$in"
assert_eq 0 "$RC" "activate version (soft): exit code"
assert_eq '1|200|f
2|100|t
3|200|f' "$(q $db "SELECT id, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM tgt.av ORDER BY id")" \
    "activate version (soft): rows of older versions marked deleted"
psql_q $db "DROP TABLE tgt.av" >/dev/null
load "$db" '"hard_delete":true' "$in"
assert_eq '1|200
3|200' "$(q $db "SELECT id, _sdc_table_version FROM tgt.av ORDER BY id")" \
    "activate version (hard delete): rows of older versions deleted"
load "$db" '"add_metadata_columns":false' "$in"
assert_contains "$(cat "$ERR")" "ACTIVATE_VERSION ignored" "activate version without metadata columns: ignored, said once"

# two streams on one table: ACTIVATE_VERSION of one would remove the other's rows (the table
# has no column saying which stream a row came from), so it is ignored, with a warning
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"east-avs","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
{"type":"SCHEMA","stream":"west-avs","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"east-avs","record":{"id":1},"version":100}
{"type":"ACTIVATE_VERSION","stream":"east-avs","version":100}
{"type":"RECORD","stream":"west-avs","record":{"id":2},"version":200}
{"type":"ACTIVATE_VERSION","stream":"west-avs","version":200}
JSON
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "activate version, two streams on one table: exit code"
assert_eq '1|100
2|200' "$(q $db "SELECT id, _sdc_table_version FROM tgt.avs ORDER BY id")" \
    "activate version, two streams on one table: neither stream's rows removed"
assert_contains "$(cat "$ERR")" 'ACTIVATE_VERSION of stream "east-avs" ignored: streams "east-avs" and "west-avs" load' \
    "activate version, two streams on one table: said"

# --- a table created by someone else: no primary key (update + insert path), narrower type
psql_q $db "CREATE TABLE tgt.legacy (id bigint, v character varying, n integer)" >/dev/null
psql_q $db "INSERT INTO tgt.legacy VALUES (1, 'old', 5)" >/dev/null
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-legacy","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]},"n":{"type":["null","integer"]},"w":{"type":["null","boolean"]}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-legacy","record":{"id":1,"n":9223372036854775807}}
{"type":"RECORD","stream":"public-legacy","record":{"id":2,"v":"new","w":true}}
{"type":"RECORD","stream":"public-legacy","record":{"id":2,"v":"newer"}}
JSON
load "$db" '' "$in"
assert_eq 0 "$RC" "existing table without a key: exit code"
assert_eq '1|old|9223372036854775807|
2|newer||t' "$(q $db "SELECT id, v, n, w FROM tgt.legacy ORDER BY id")" \
    "existing table without a key: updated and inserted, integer widened to bigint"
assert_eq 'bigint|character varying|bigint|boolean' \
    "$(q $db "SELECT string_agg(format_type(atttypid, atttypmod), '|' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'tgt.legacy'::regclass AND attnum > 0")" \
    "existing table: compatible column kept, narrower one widened, new one added"

# --- a pipelinewise table: timestamp without time zone and double precision columns are kept;
# a date-time with an offset is stored as its UTC time (not with the offset dropped)
psql_q $db "CREATE TABLE tgt.pwts (id bigint PRIMARY KEY, ts timestamp(6) without time zone, x double precision)" >/dev/null
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-pwts","schema":{"type":"object","properties":{"id":{"type":"integer"},"ts":{"type":["null","string"],"format":"date-time"},"x":{"type":["null","number"]}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-pwts","record":{"id":1,"ts":"2024-05-01T10:11:12.5+02:00","x":0.1}}
{"type":"RECORD","stream":"public-pwts","record":{"id":2,"ts":"2024-05-01T23:30:00-05:30","x":1e300}}
{"type":"RECORD","stream":"public-pwts","record":{"id":3,"ts":"2024-05-01T10:11:12Z"}}
JSON
load "$db" '' "$in"
assert_eq 0 "$RC" "pipelinewise timestamp column: exit code"
assert_eq '1|2024-05-01 08:11:12.5|0.1
2|2024-05-02 05:00:00|1e+300
3|2024-05-01 10:11:12|' "$(q $db "SELECT id, ts, x FROM tgt.pwts ORDER BY id")" \
    "pipelinewise timestamp column: offsets converted to UTC, double precision kept"
assert_eq 'timestamp(6) without time zone|double precision' \
    "$(q $db "SELECT string_agg(format_type(atttypid, atttypmod), '|' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'tgt.pwts'::regclass AND attnum > 1")" \
    "pipelinewise timestamp column: column types kept"

# --- schema_mapping, grants and indices
psql_q $db "DO \$\$ BEGIN CREATE ROLE target_reader; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"sales-Orders","schema":{"type":"object","properties":{"id":{"type":"integer"},"customer":{"type":"integer"},"day":{"type":"string"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"sales-Orders","record":{"id":1,"customer":7,"day":"mon"}}
JSON
load "$db" '"schema_mapping":{"sales":{"target_schema":"Mapped","target_schema_select_permissions":["target_reader"],"indices":{"Orders":["customer","customer,day"]}}}' "$in"
assert_eq 0 "$RC" "schema_mapping: exit code"
assert_eq '1|7|mon' "$(q $db "SELECT * FROM mapped.orders")" "schema_mapping: target schema"
assert_eq 't|t' "$(q $db "SELECT has_schema_privilege('target_reader', 'mapped', 'USAGE'), has_table_privilege('target_reader', 'mapped.orders', 'SELECT')")" \
    "schema_mapping: grants"
assert_eq '2' "$(q $db "SELECT count(*) FROM pg_indexes WHERE schemaname = 'mapped' AND tablename = 'orders' AND indexname LIKE 'i_orders%'")" \
    "schema_mapping: indices"

# --- two streams loading one table (two source schemas, one target schema), flushed in
# parallel, both adding columns: their flushes take turns (table lock) and see each other's DDL
{
    for s in a b; do
        echo '{"type":"SCHEMA","stream":"'$s'-shared","schema":{"type":"object","properties":{"id":{"type":"integer"},"src":{"type":"string"},"v":{"type":"string"}}},"key_properties":["id","src"]}'
    done
    for i in $(seq 1 600); do
        if [ "$i" = 301 ]; then
            for s in a b; do
                echo '{"type":"SCHEMA","stream":"'$s'-shared","schema":{"type":"object","properties":{"id":{"type":"integer"},"src":{"type":"string"},"v":{"type":"string"},"w":{"type":["null","integer"]}}},"key_properties":["id","src"]}'
            done
        fi
        for s in a b; do
            if [ "$i" -gt 300 ]; then
                echo '{"type":"RECORD","stream":"'$s'-shared","record":{"id":'$i',"src":"'$s'","v":"x","w":'$i'}}'
            else
                echo '{"type":"RECORD","stream":"'$s'-shared","record":{"id":'$i',"src":"'$s'","v":"x"}}'
            fi
        done
        [ $((i % 100)) = 0 ] && echo '{"type":"STATE","value":{"i":'$i'}}'
    done
} >"$in"
# small batches: many chances for a stream's next batch to start before its previous one
load "$db" '"batch_size_rows":10' "$in"
assert_eq 0 "$RC" "two streams, one table: exit code"
[ "$RC" = 0 ] || grep -m 3 ERROR "$ERR" >&2
assert_eq '{"i":600}' "$(tail -n 1 "$OUT")" "two streams, one table: the last state"
assert_eq '1200|600' "$(q $db "SELECT count(*), count(w) FROM tgt.shared")" "two streams, one table: every row, the new column filled"
assert_contains "$(cat "$ERR")" 'streams "a-shared" and "b-shared" load the same table "tgt"."shared"' \
    "two streams, one table: said once"

# --- encoded strings (the Singer SDK case): escapes, control characters, a literal "\u0000"
# (escaped backslash), surrogate pairs as Python taps write them, in text, jsonb and arrays
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-enc","schema":{"type":"object","properties":{"id":{"type":"integer"},"s":{"type":"string"},"o":{"type":"object","properties":{"v":{"type":"string"}}},"a":{"type":"array","items":{"type":"string"}}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-enc","record":{"id":1,"s":"lit \\u0000 \\u0041 ctl \u0001\b\f \/ \ud83d\ude00","o":{"v":"\ud83d\ude00 \\u0000 \u00e9"},"a":["\ud83d\ude00","\\u0000","\u0001"]}}
JSON
load "$db" '' "$in"
assert_eq 0 "$RC" "encoded strings: exit code"
assert_eq 't|t|t|t|t' "$(q $db "SELECT s = E'lit \\\\u0000 \\\\u0041 ctl \\x01\\b\\f / \\U0001F600', o->>'v' = E'\\U0001F600 \\\\u0000 \\u00e9', a->>0 = E'\\U0001F600', a->>1 = E'\\\\u0000', a->>2 = E'\\x01' FROM tgt.enc")" \
    "encoded strings: stored as sent (surrogate pairs in jsonb too)"

# --- NUL policy replace / strip
printf '%s\n' '{"type":"SCHEMA","stream":"public-nul","schema":{"type":"object","properties":{"id":{"type":"integer"},"s":{"type":"string"},"j":{"type":"object"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-nul","record":{"id":1,"s":"a\u0000b","j":{"k":"c\u0000d"}}}' >"$in"
load "$db" '"nul_character_policy":"strip"' "$in"
assert_eq '1|ab|{"k": "cd"}' "$(q $db "SELECT id, s, j FROM tgt.nul")" "NUL strip"
load "$db" '"nul_character_policy":"replace","nul_replacement":"?"' "$in"
assert_eq '1|a?b|{"k": "c?d"}' "$(q $db "SELECT id, s, j FROM tgt.nul")" "NUL replace"

finish
