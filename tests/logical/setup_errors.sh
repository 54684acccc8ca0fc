#!/usr/bin/env bash
# Every LOG_BASED setup error gets its own message naming the setting or privilege and the fix,
# and a non-zero exit: wal_level not logical, all replication slots in use, wal2json not in
# output_plugin_libraries, no REPLICATION privilege, a publication we may not create or extend,
# a table without a replica identity, a slot in use by another process, a slot the server
# invalidated (replaced, not an error). Server settings are
# changed on a second throwaway cluster, never on the shared one.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

c2=$TEST_TMP/c2
cluster() { "$LOG_TESTS_DIR/../pg_cluster.sh" "$1" "$c2" >/dev/null 2>&1; }
trap 'cluster stop' EXIT
cluster start
C2PORT=$(. "$c2/env" && echo "$PGPORT")
p2() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$C2PORT" -U postgres -d "${2:-postgres}" -c "$1"; }
restart() {
    cluster stop
    cluster start
    C2PORT=$(. "$c2/env" && echo "$PGPORT")
}
c2_config() { # USER PLUGIN [extra]
    printf '{"host":"127.0.0.1","port":%s,"user":"%s","password":"","dbname":"e","logical_decoding_plugin":"%s","logical_poll_total_seconds":5%s}\n' \
        "$C2PORT" "$1" "$2" "${3:+,$3}"
}
run_tap() { # USER PLUGIN CATALOG_STREAMS...
    local user=$1 plugin=$2
    shift 2
    c2_config "$user" "$plugin" >"$TEST_TMP/config.json"
    c2_config postgres pgoutput >"$TEST_TMP/config_admin.json"
    log_catalog "$TEST_TMP/config_admin.json" "$@" >"$TEST_TMP/catalog.json"
    run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
    ERR=$(cat "$TEST_TMP/err")
}

p2 "CREATE DATABASE e"
p2 "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');
    CREATE TABLE t2 (id int PRIMARY KEY); CREATE TABLE nopk (a int, b text)" e

# wal_level
p2 "ALTER SYSTEM SET wal_level = replica"
p2 "ALTER SYSTEM SET max_replication_slots = 1"
restart
run_tap postgres pgoutput public-t
assert_eq 4 "$RC" "wal_level = replica: exit 4"
assert_contains "$ERR" "needs wal_level = logical, and the server has wal_level = replica" "wal_level: the message names the setting"
assert_contains "$ERR" "ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL" "wal_level: the message gives the fix"
assert_eq "" "$(grep -v '^{"type":"SCHEMA"' "$TEST_TMP/out" || true)" "wal_level: nothing but whole lines, no record, no STATE"

# too few slots
p2 "ALTER SYSTEM SET wal_level = logical"
restart
p2 "SELECT count(*) FROM pg_create_physical_replication_slot('filler')" >/dev/null
run_tap postgres pgoutput public-t
assert_eq 4 "$RC" "no free slot: exit 4"
assert_contains "$ERR" "all replication slots are in use (1 of max_replication_slots = 1)" "no free slot: the message names the setting"
assert_contains "$ERR" "raise max_replication_slots" "no free slot: the message gives the fix"
assert_eq 0 "$(p2 "SELECT count(*) FROM pg_publication" e)" "no free slot: nothing was changed (no publication)"
p2 "SELECT pg_drop_replication_slot('filler')" >/dev/null

# wal2json refused by output_plugin_libraries (minor releases from 2026: 15.19 and later)
# set_plugins VALUE|default: change the setting and wait until new sessions see it
set_plugins() {
    if [ "$1" = default ]; then
        p2 "ALTER SYSTEM RESET output_plugin_libraries"
    else
        p2 "ALTER SYSTEM SET output_plugin_libraries = $1"
    fi
    p2 "SELECT pg_reload_conf()" >/dev/null
    local want=${2:-}
    for _ in $(seq 1 100); do
        [ "$(p2 "SHOW output_plugin_libraries")" = "$want" ] && return 0
        sleep 0.05
    done
    echo "output_plugin_libraries did not become '$want'" >&2
    return 1
}
if [ "$(p2 "SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'")" = 1 ]; then
    set_plugins "pgoutput, test_decoding" "pgoutput, test_decoding"
    run_tap postgres wal2json public-t
    assert_eq 4 "$RC" "wal2json refused: exit 4"
    assert_contains "$ERR" "does not allow wal2json as an output plugin (output_plugin_libraries = 'pgoutput, test_decoding')" \
        "wal2json refused: the message names the setting"
    assert_contains "$ERR" "ALTER SYSTEM SET output_plugin_libraries = 'pgoutput', 'test_decoding', 'wal2json'; SELECT pg_reload_conf();" \
        "wal2json refused: the message gives the fix"
    assert_eq 0 "$(p2 "SELECT count(*) FROM pg_replication_slots")" "no slot was created"
    # the server's own refusal (a wal2json slot that existed before the setting changed)
    set_plugins default "pgoutput, test_decoding, wal2json"
    p2 "SELECT count(*) FROM pg_create_logical_replication_slot('pipelinewise_e', 'wal2json')" e >/dev/null
    set_plugins pgoutput pgoutput
    run_tap postgres pgoutput public-t
    assert_eq 4 "$RC" "an existing wal2json slot on a server that refuses it: exit 4"
    assert_contains "$ERR" "slot \"pipelinewise_e\" uses wal2json and keeps it" "an existing slot keeps its plugin"
    assert_contains "$ERR" "does not allow wal2json" "the refusal is explained"
    set_plugins default "pgoutput, test_decoding, wal2json"
    p2 "SELECT pg_drop_replication_slot('pipelinewise_e')" >/dev/null
else
    # a server from before output_plugin_libraries (15.18 and older) loads any installed plugin
    run_tap postgres wal2json public-t
    assert_eq 0 "$RC" "a server without output_plugin_libraries: wal2json is used"
    assert_not_contains "$ERR" "does not allow wal2json" "a server without output_plugin_libraries: nothing refused"
    p2 "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
    p2 "DROP PUBLICATION IF EXISTS pipelinewise_e" e
fi

# no REPLICATION privilege
p2 "CREATE ROLE norepl LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO norepl" e
run_tap norepl pgoutput public-t
assert_eq 4 "$RC" "no REPLICATION privilege: exit 4"
assert_contains "$ERR" "role \"norepl\" lacks the REPLICATION privilege" "no REPLICATION: the message names the privilege"
assert_contains "$ERR" "ALTER ROLE \"norepl\" REPLICATION;" "no REPLICATION: the message gives the fix"

# a publication we may not create, then one we may not extend
p2 "CREATE ROLE rep LOGIN REPLICATION; GRANT SELECT ON ALL TABLES IN SCHEMA public TO rep" e
run_tap rep pgoutput public-t
assert_eq 4 "$RC" "publication not creatable: exit 4"
assert_contains "$ERR" "could not create publication \"pipelinewise_e\"" "publication: the message says what failed"
assert_contains "$ERR" "must run: CREATE PUBLICATION \"pipelinewise_e\" FOR TABLE \"public\".\"t\";" \
    "publication: the message gives the SQL to run"
p2 "CREATE PUBLICATION pipelinewise_e FOR TABLE t2" e
run_tap rep pgoutput public-t
assert_eq 4 "$RC" "publication not extendable: exit 4"
assert_contains "$ERR" "must run: ALTER PUBLICATION \"pipelinewise_e\" ADD TABLE \"public\".\"t\";" \
    "publication: the message gives the ALTER to run"
assert_eq 0 "$(p2 "SELECT count(*) FROM pg_replication_slots")" "no slot was created by the failed runs"

# a table without a replica identity is not put into the publication
run_tap postgres pgoutput public-nopk
assert_eq 4 "$RC" "table without replica identity: exit 4"
assert_contains "$ERR" "table \"public\".\"nopk\" has no replica identity" "no replica identity: the message names the table"
assert_contains "$ERR" "ALTER TABLE \"public\".\"nopk\" REPLICA IDENTITY FULL;" "no replica identity: the message gives the fix"
assert_eq 0 "$(p2 "SELECT count(*) FROM pg_publication_rel WHERE prrelid = 'nopk'::regclass" e)" "nopk was not published"

# a slot in use by another process
run_tap postgres pgoutput public-t
assert_eq 0 "$RC" "a working setup: exit 0"
"$PGBIN/pg_recvlogical" -h 127.0.0.1 -p "$C2PORT" -U postgres -d e -S pipelinewise_e --start -f /dev/null \
    -o proto_version=1 -o publication_names=pipelinewise_e >/dev/null 2>&1 &
recv=$!
for _ in $(seq 1 50); do [ "$(p2 "SELECT count(*) FROM pg_replication_slots WHERE active")" = 1 ] && break; sleep 0.1; done
run_tap postgres pgoutput public-t
assert_eq 4 "$RC" "slot in use: exit 4"
assert_contains "$ERR" "replication slot \"pipelinewise_e\" is in use by another process (pid" "slot in use: the message says so"
assert_contains "$ERR" "waiting up to 10 s for it to be released" "slot in use: the tap waited for it first"
kill "$recv"
wait "$recv" 2>/dev/null || true

# a slot that its holder lets go within the wait (a run killed a moment ago): the run goes on
for _ in $(seq 1 50); do [ "$(p2 "SELECT count(*) FROM pg_replication_slots WHERE active")" = 0 ] && break; sleep 0.1; done
"$PGBIN/pg_recvlogical" -h 127.0.0.1 -p "$C2PORT" -U postgres -d e -S pipelinewise_e --start -f /dev/null \
    -o proto_version=1 -o publication_names=pipelinewise_e >/dev/null 2>&1 &
recv=$!
for _ in $(seq 1 50); do [ "$(p2 "SELECT count(*) FROM pg_replication_slots WHERE active")" = 1 ] && break; sleep 0.1; done
(sleep 2 && kill "$recv") &
killer=$!
run_tap postgres pgoutput public-t
wait "$killer" "$recv" 2>/dev/null || true
# (this cluster has max_replication_slots = 1: the copy's own temporary slot does not fit, which
# is not what this checks)
if grep -q "is in use by another process" <<<"$ERR"; then not_ok "slot released during the wait: the run goes on"; else ok "slot released during the wait: the run goes on"; fi
assert_contains "$ERR" "replication slot \"pipelinewise_e\" was released" "slot released during the wait: the tap says so"

# a slot the server invalidated (max_slot_wal_keep_size) can never be read again: it is dropped
# and created again, and the tables are copied again (instead of failing every run)
p2 "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'"
p2 "SELECT pg_reload_conf()" >/dev/null
for i in 1 2 3 4; do p2 "INSERT INTO t2 VALUES ($i); SELECT pg_switch_wal() IS NOT NULL" e >/dev/null; done
p2 "CHECKPOINT"
assert_eq lost "$(p2 "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'pipelinewise_e'")" \
    "max_slot_wal_keep_size invalidated the slot"
run_tap postgres pgoutput public-t
assert_eq 0 "$RC" "an invalidated slot: exit 0"
assert_contains "$ERR" "replication slot \"pipelinewise_e\" was invalidated by the server (wal_status = lost" \
    "an invalidated slot: the message says what happened"
assert_eq 1 "$(grep -c '^{"type":"RECORD","stream":"public-t"' "$TEST_TMP/out")" "an invalidated slot: the table is copied again"
assert_eq reserved "$(p2 "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'pipelinewise_e'")" \
    "an invalidated slot: it is created again"
p2 "ALTER SYSTEM RESET max_slot_wal_keep_size"
p2 "SELECT pg_reload_conf()" >/dev/null

# an unknown plugin in the config
run_tap postgres test_decoding public-t
assert_eq 3 "$RC" "logical_decoding_plugin test_decoding: exit 3"
assert_contains "$ERR" "logical_decoding_plugin" "an unknown plugin names the key"
finish
