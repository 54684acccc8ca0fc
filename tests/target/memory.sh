#!/usr/bin/env bash
# target-postgres memory: many streams, each with a pending batch far below batch_size_bytes,
# stay within max_batch_memory_bytes for all streams together (the largest pending batches are
# loaded early); every row arrives and the last STATE is written.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_memory
fresh_db "$db"
in=$TEST_TMP/in.jsonl

# 100 streams x 400 rows of ~1 KB, interleaved: 40 MB of COPY text, 400 KB per stream
pad=$(head -c 1000 /dev/zero | tr '\0' y)
awk -v pad="$pad" 'BEGIN {
    for (s = 0; s < 100; s++)
        printf "{\"type\":\"SCHEMA\",\"stream\":\"public-s%d\",\"schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},\"v\":{\"type\":\"string\"}}},\"key_properties\":[\"id\"]}\n", s
    for (i = 0; i < 400; i++) {
        for (s = 0; s < 100; s++)
            printf "{\"type\":\"RECORD\",\"stream\":\"public-s%d\",\"record\":{\"id\":%d,\"v\":\"%s\"}}\n", s, i, pad
        if (i % 100 == 99)
            printf "{\"type\":\"STATE\",\"value\":{\"i\":%d}}\n", i
    }
}' >"$in"

target_config "$db" '"default_target_schema":"tgt","max_batch_memory_bytes":4194304' >"$TEST_TMP/config.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" /usr/bin/time -v "$TARGET_BIN" --config "$TEST_TMP/config.json" <"$in"
assert_eq 0 "$RC" "many streams: exit code"
assert_eq '{"i":399}' "$(tail -n 1 "$TEST_TMP/out")" "many streams: the last state"
assert_eq '40000|100' "$(q $db "SELECT sum(n), count(*) FROM (SELECT (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM tgt.%I', c.relname), false, true, '')))[1]::text::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'tgt' AND c.relkind = 'r') t")" \
    "many streams: every row of every stream"
held=$(sed -n -E 's/.*batches held at most ([0-9]+) bytes.*/\1/p' "$TEST_TMP/err")
assert_eq 1 "$([ -n "$held" ] && [ "$held" -le 4194304 ] && echo 1 || echo "0 ($held)")" \
    "many streams: the batches never held more than max_batch_memory_bytes"
assert_contains "$(cat "$TEST_TMP/err")" "max_batch_memory_bytes reached" "many streams: early flushes are said"
# peak RSS: base (~10 MB) + the bound + the input buffer; without the bound it is over 60 MB.
# Not under AddressSanitizer, whose shadow memory makes RSS meaningless.
rss=$(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$TEST_TMP/err")
if [[ "$(ldd "$TARGET_BIN")" == *libasan* ]]; then
    ok "many streams: peak RSS not checked under AddressSanitizer ($rss MB)"
else
    assert_eq 1 "$([ "$rss" -lt 40 ] && echo 1 || echo "0 ($rss MB)")" "many streams: peak RSS under 40 MB"
fi
finish
