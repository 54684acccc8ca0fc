#!/usr/bin/env bash
# target-postgres: the Singer SDK's BATCH messages. A jsonl file and a jsonl.gz file (gzip, as
# the SDK's JSONLinesBatcher writes them: one record object per line) load as their RECORDs
# would, mixed with RECORD lines of the same stream, through the same conversion (flattening,
# validation, metadata) and batching; a missing file fails before anything of its message is
# loaded (exit 6, no STATE); parquet, other compressions and non-file:// URLs are errors naming
# what is not supported; a 62 MB file loads in bounded memory (read a chunk at a time).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_batch
fresh_db "$db"
in=$TEST_TMP/in.jsonl
dir=$TEST_TMP/batches
mkdir -p "$dir"

S='{"type":"SCHEMA","stream":"public-b","schema":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":["null","string"]},"o":{"type":["null","object"],"properties":{"x":{"type":["null","integer"]}}}}},"key_properties":["id"]}'
# two files: plain (CRLF, a blank line, no newline at the end) and gzip
printf '{"id":1,"name":"a","o":{"x":10}}\r\n\n{"id":2,"name":"b"}\n{"id":3,"name":"c","o":null}' >"$dir/b-1.jsonl"
printf '%s\n' '{"id":4,"name":"d"}' '{"id":5,"name":"é \"q\""}' '{"id":2,"name":"b2"}' | gzip >"$dir/b-2.json.gz"

# --- jsonl and jsonl.gz, mixed with RECORD lines, flattened
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-b","record":{"id":0,"name":"r0"}}' \
    "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"none\"},\"manifest\":[\"file://$dir/b-1.jsonl\"]}" \
    '{"type":"RECORD","stream":"public-b","record":{"id":6,"name":"r6"}}' \
    "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"gzip\"},\"manifest\":[\"file://$dir/b-2.json.gz\"]}" \
    '{"type":"RECORD","stream":"public-b","record":{"id":3,"name":"r3"}}' \
    '{"type":"STATE","value":{"s":1}}' >"$in"
load "$db" '"data_flattening_max_level":1,"validate_records":true,"batch_size_rows":2' "$in"
assert_eq 0 "$RC" "BATCH jsonl + jsonl.gz mixed with RECORD: exit 0"
assert_eq '{"s":1}' "$(cat "$OUT")" "BATCH: the STATE after the batches is written"
assert_eq '0|r0|
1|a|10
2|b2|
3|r3|
4|d|
5|é "q"|
6|r6|' "$(q $db "SELECT id, name, o__x FROM tgt.b ORDER BY id")" \
    "BATCH: every record of both files, in order with the RECORD lines (later ones win), flattened"

# --- the same records as RECORD lines load the same table (the same conversion path)
fresh_db "$db"
{
    echo "$S"
    for f in "$dir/b-1.jsonl"; do tr -d '\r' <"$f" | grep -v '^$' | sed 's/^/{"type":"RECORD","stream":"public-b","record":/; s/$/}/'; done
    gzip -dc "$dir/b-2.json.gz" | sed 's/^/{"type":"RECORD","stream":"public-b","record":/; s/$/}/'
} >"$TEST_TMP/records.jsonl"
load "$db" '"data_flattening_max_level":1' "$TEST_TMP/records.jsonl"
q $db "SELECT id, name, o__x FROM tgt.b ORDER BY id" >"$TEST_TMP/as_records"
fresh_db "$db"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":null},\"manifest\":[\"file://$dir/b-1.jsonl\",\"file://$dir/b-2.json.gz\"]}" >"$in"
load "$db" '"data_flattening_max_level":1' "$in"
assert_eq 0 "$RC" "BATCH of two files in one manifest (compression null): exit 0"
q $db "SELECT id, name, o__x FROM tgt.b ORDER BY id" >"$TEST_TMP/as_batch"
assert_files_eq "$TEST_TMP/as_records" "$TEST_TMP/as_batch" "BATCH loads what the same RECORD lines load"

# --- a missing file: exit 6 naming it, nothing of the message loaded, no STATE
fresh_db "$db"
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-b","record":{"id":100}}' '{"type":"STATE","value":{"s":1}}' \
    "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"gzip\"},\"manifest\":[\"file://$dir/b-2.json.gz\",\"file://$dir/missing.json.gz\"]}" \
    '{"type":"STATE","value":{"s":2}}' >"$in"
load "$db" '"batch_size_rows":1,"async_flush":false' "$in"
assert_eq 6 "$RC" "BATCH with a missing file: exit 6"
assert_contains "$(cat "$ERR")" "line 4: stream \"public-b\": BATCH manifest: cannot open \"$dir/missing.json.gz\": No such file or directory" "BATCH missing file: named"
assert_eq '100' "$(q $db "SELECT string_agg(id::text, ',' ORDER BY id) FROM tgt.b")" "BATCH missing file: nothing of the message loaded (the earlier record stays)"
assert_eq '{"s":1}' "$(cat "$OUT")" "BATCH missing file: no STATE after it"

# --- a bad record inside a file: its file and line named, exit 6
printf '%s\n' '{"id":7}' '{"id":"eight"}' >"$dir/bad.jsonl"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"none\"},\"manifest\":[\"file://$dir/bad.jsonl\"]}" >"$in"
load "$db" '"validate_records":true' "$in"
assert_eq 6 "$RC" "BATCH bad record: exit 6"
assert_contains "$(cat "$ERR")" "line 2: BATCH file \"$dir/bad.jsonl\" line 2: stream \"public-b\": record does not match the schema" "BATCH bad record: the file and its line named"
# a malformed line: the byte offset is the file line's
printf '%s\n' '{"id":7}' '{"id":8,' >"$dir/malformed.jsonl"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"none\"},\"manifest\":[\"file://$dir/malformed.jsonl\"]}" >"$in"
load "$db" '' "$in"
assert_eq 6 "$RC" "BATCH malformed line: exit 6"
assert_contains "$(cat "$ERR")" "line 2: BATCH file \"$dir/malformed.jsonl\" line 2: malformed JSON at byte 8:" "BATCH malformed line: file, line and byte named"
# a line that is not one JSON object (it cannot add members to the RECORD line it becomes)
printf '%s\n' '{"id":7},"version":5' >"$dir/two.jsonl"
printf '%s\n' '[1]' >"$dir/array.jsonl"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"none\"},\"manifest\":[\"file://$dir/two.jsonl\"]}" >"$in"
load "$db" '' "$in"
assert_eq 6 "$RC" "BATCH line with more than an object: exit 6"
assert_contains "$(cat "$ERR")" "line 2: BATCH file \"$dir/two.jsonl\" line 1: stream \"public-b\": the line holds more than one JSON object" "BATCH line with more than an object: named"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"none\"},\"manifest\":[\"file://$dir/array.jsonl\"]}" >"$in"
load "$db" '' "$in"
assert_contains "$(cat "$ERR")" "line 2: BATCH file \"$dir/array.jsonl\" line 1: stream \"public-b\": the line is not a JSON object" "BATCH line that is an array: named"
# a corrupt gzip file
printf '%s\n' '{"id":1}' | gzip | head -c 15 >"$dir/cut.json.gz"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"gzip\"},\"manifest\":[\"file://$dir/cut.json.gz\"]}" >"$in"
load "$db" '' "$in"
assert_eq 6 "$RC" "BATCH truncated gzip: exit 6"
assert_contains "$(cat "$ERR")" "BATCH file \"$dir/cut.json.gz\" line 1: stream \"public-b\": cannot read the file: $dir/cut.json.gz: unexpected end of file" "BATCH truncated gzip: named"

# --- what we do not read: parquet, another compression, another storage, before SCHEMA
unsupported() { # NAME MESSAGE BATCH_LINE
    printf '%s\n' "$S" "$3" '{"type":"STATE","value":{"s":1}}' >"$in"
    load "$db" '' "$in"
    assert_eq 6 "$RC" "$1: exit 6"
    assert_contains "$(cat "$ERR")" "$2" "$1: message"
    assert_eq "" "$(cat "$OUT")" "$1: no STATE"
}
unsupported "parquet" 'line 2: stream "public-b": BATCH encoding format "parquet" is not supported (only jsonl' \
    '{"type":"BATCH","stream":"public-b","encoding":{"format":"parquet","compression":"gzip"},"manifest":["file:///tmp/b.parquet"]}'
unsupported "zstd" 'line 2: stream "public-b": BATCH encoding compression "zstd" is not supported (gzip or none)' \
    '{"type":"BATCH","stream":"public-b","encoding":{"format":"jsonl","compression":"zstd"},"manifest":["file:///tmp/b.zst"]}'
unsupported "s3 URL" 'line 2: stream "public-b": BATCH manifest: "s3://bucket/b-1.json.gz" is not a file:// URL (s3 storage is not supported; only local files are read)' \
    '{"type":"BATCH","stream":"public-b","encoding":{"format":"jsonl","compression":"gzip"},"manifest":["s3://bucket/b-1.json.gz"]}'
printf '%s\n' "{\"type\":\"BATCH\",\"stream\":\"public-z\",\"encoding\":{\"format\":\"jsonl\"},\"manifest\":[\"file://$dir/b-1.jsonl\"]}" >"$in"
load "$db" '' "$in"
assert_eq 6 "$RC" "BATCH before SCHEMA: exit 6"
assert_contains "$(cat "$ERR")" 'line 1: stream "public-z": BATCH before its SCHEMA' "BATCH before SCHEMA: message"

# --- bounded memory: a 200,000-record gzip file (62 MB of JSON, 0.9 MB gzipped), read a chunk
# at a time: the batches stay under max_batch_memory_bytes, the process far under the file
fresh_db "$db"
pad=$(head -c 300 /dev/zero | tr '\0' p)
seq 1 200000 | sed "s/.*/{\"id\":&,\"name\":\"$pad\"}/" | gzip -1 >"$dir/big.json.gz"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"gzip\"},\"manifest\":[\"file://$dir/big.json.gz\"]}" '{"type":"STATE","value":{"s":9}}' >"$in"
target_config "$db" '"default_target_schema":"tgt","batch_size_rows":10000,"max_batch_memory_bytes":8388608' >"$TEST_TMP/config.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" /usr/bin/time -v "$TARGET_BIN" --config "$TEST_TMP/config.json" <"$in"
assert_eq 0 "$RC" "BATCH of 200,000 records: exit 0"
assert_eq '200000|200000|300' "$(q $db "SELECT count(*), max(id), min(length(name)) FROM tgt.b")" "BATCH of 200,000 records: all loaded"
assert_eq '{"s":9}' "$(cat "$TEST_TMP/out")" "BATCH of 200,000 records: STATE"
held=$(sed -n -E 's/.*batches held at most ([0-9]+) bytes.*/\1/p' "$TEST_TMP/err")
assert_eq 1 "$([ -n "$held" ] && [ "$held" -le 8388608 ] && echo 1 || echo "0 ($held)")" \
    "BATCH of 200,000 records: the batches never held more than max_batch_memory_bytes"
rss=$(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$TEST_TMP/err")
if [[ "$(ldd "$TARGET_BIN")" == *libasan* ]]; then
    ok "BATCH of 200,000 records: peak RSS not checked under AddressSanitizer ($rss MB)"
else
    assert_eq 1 "$([ "$rss" -lt 40 ] && echo 1 || echo "0 ($rss MB)")" "BATCH of 200,000 records: peak RSS under 40 MB (the file is 62 MB)"
fi
# a line over max_line_bytes inside a file
{ printf '{"id":1,"name":"'; head -c 5000 /dev/zero | tr '\0' x; printf '"}\n'; } >"$dir/long.jsonl"
printf '%s\n' "$S" "{\"type\":\"BATCH\",\"stream\":\"public-b\",\"encoding\":{\"format\":\"jsonl\",\"compression\":\"none\"},\"manifest\":[\"file://$dir/long.jsonl\"]}" >"$in"
load "$db" '"max_line_bytes":2048' "$in"
assert_eq 6 "$RC" "BATCH line over max_line_bytes: exit 6"
assert_contains "$(cat "$ERR")" "BATCH file \"$dir/long.jsonl\" line 1: stream \"public-b\": the line is longer than max_line_bytes (2048 bytes)" "BATCH line over max_line_bytes: named"
finish
