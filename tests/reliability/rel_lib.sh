# Helpers for the kill loops (on top of tests/logical/log_lib.sh): the writer, the kill loop,
# the check after every run and the final compare. Source it first:
#   . "$(dirname "${BASH_SOURCE[0]}")/rel_lib.sh"
#
# Layout. The source database $SRC holds the tables the writer changes (items: bigint key,
# pairs: composite key, events: no key, REPLICA IDENTITY FULL, insert only) and the writer's log
# (wlog: one row per change, written in the changing transaction itself; wtxn: the WAL insert
# position read just after each commit). The target database $DST gets the target's tables in
# public and, in schema chk, copies of the source tables and of the log made after each run, so
# that every check is one SQL statement in one database.
#
# The writer is one session (PL/pgSQL procedure rel_writer): its transactions are serial, each
# with a sequence number seq (nextval at its start, so commit order = seq order), and every row
# carries the seq of the transaction that last wrote it. Ids are never reused.
REL_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
. "$REL_TESTS_DIR/../logical/log_lib.sh"

METHOD=${METHOD:-LOG_BASED}
KILLS=${KILLS:-5}
if [ -z "${SEED:-}" ]; then
    SEED=$(((RANDOM << 15) | RANDOM))
fi
RANDOM=$SEED

# the column lists of the final compare (source form | target form, cast back to source types)
ITEMS_SRC="id, seq, name, price, doc, flag, at"
ITEMS_DST="id::bigint, seq::bigint, name::text, price::numeric(12,2), doc::jsonb, flag::boolean, at::timestamptz"
PAIRS_SRC="region, n, seq, v"
PAIRS_DST="region::text, n::bigint, seq::bigint, v::text"
EVENTS_SRC="id, seq, v"
EVENTS_DST="id::bigint, seq::bigint, v::text"

rel_log() { echo "# $*"; }

# rel_setup: fresh databases, tables, initial rows (seq 0, logged), the writer procedure
rel_setup() {
    fresh_db "$SRC"
    fresh_db "$DST"
    psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" >/dev/null <<SQL
CREATE TABLE items (id bigint PRIMARY KEY, seq bigint NOT NULL, name text, price numeric(12,2),
                    doc jsonb, flag boolean, at timestamptz);
CREATE TABLE pairs (region text, n bigint, seq bigint NOT NULL, v text, PRIMARY KEY (region, n));
CREATE TABLE events (id bigint, seq bigint, v text);
ALTER TABLE events REPLICA IDENTITY FULL;
CREATE TABLE wlog (n bigserial PRIMARY KEY, seq bigint NOT NULL, tbl text NOT NULL, id bigint NOT NULL,
                   op "char" NOT NULL);
CREATE TABLE wtxn (seq bigint PRIMARY KEY, lsn pg_lsn NOT NULL);
CREATE TABLE wctl (stop boolean);
CREATE SEQUENCE wseq;
INSERT INTO items SELECT i, 0, 'item ' || i || E'\t\\\\ é', i * 1.25, jsonb_build_object('k', i), i % 2 = 0,
  timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute' FROM generate_series(1, $ROWS) i;
INSERT INTO pairs SELECT 'r' || (i % 3), i, 0, 'p' || i FROM generate_series(1, $ROWS / 4) i;
INSERT INTO events SELECT i, 0, 'e' || i FROM generate_series(1, 100) i;
INSERT INTO wlog (seq, tbl, id, op) SELECT 0, 'items', id, 'i' FROM items
  UNION ALL SELECT 0, 'pairs', n, 'i' FROM pairs UNION ALL SELECT 0, 'events', id, 'i' FROM events;
CREATE SEQUENCE wid START $((ROWS + 1));
-- one writer transaction: 1 to 4 changes, logged in wlog in the same transaction; then its
-- commit position in wtxn (pg_current_wal_insert_lsn() after COMMIT is past the commit record)
CREATE PROCEDURE rel_writer(p_delete boolean, p_events boolean, p_seed float8, p_pause float8)
LANGUAGE plpgsql AS \$\$
DECLARE
    s bigint; k bigint; k2 bigint; op int; hi bigint;
BEGIN
    PERFORM setseed(p_seed);
    LOOP
        EXIT WHEN EXISTS (SELECT 1 FROM wctl);
        s := nextval('wseq');
        hi := (SELECT last_value FROM wid);
        FOR j IN 1 .. 1 + floor(random() * 4)::int LOOP
            op := floor(random() * 20)::int;
            IF op < 5 OR (op >= 16 AND NOT p_events) THEN
                k := nextval('wid');
                INSERT INTO items VALUES (k, s, 'new ' || k, k * 0.5, jsonb_build_object('k', k, 'at', s),
                                          k % 3 = 0, now());
                INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'items', k, 'i');
            ELSIF op < 10 THEN
                SELECT id INTO k FROM items WHERE id >= floor(random() * hi) ORDER BY id LIMIT 1;
                IF k IS NOT NULL THEN
                    UPDATE items SET seq = s, price = price + 1, name = 'upd ' || s,
                           doc = doc || jsonb_build_object('u', s), flag = NOT flag, at = now() WHERE id = k;
                    INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'items', k, 'u');
                END IF;
            ELSIF op < 12 AND p_delete THEN
                SELECT id INTO k FROM items WHERE id >= floor(random() * hi) ORDER BY id LIMIT 1;
                IF k IS NOT NULL THEN
                    DELETE FROM items WHERE id = k;
                    INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'items', k, 'd');
                END IF;
            ELSIF op < 13 AND p_delete THEN
                -- a key change: the old key is deleted, the new one inserted
                SELECT id INTO k FROM items WHERE id >= floor(random() * hi) ORDER BY id LIMIT 1;
                IF k IS NOT NULL THEN
                    k2 := nextval('wid');
                    UPDATE items SET id = k2, seq = s WHERE id = k;
                    INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'items', k, 'd'), (s, 'items', k2, 'i');
                END IF;
            ELSIF op < 14 THEN
                k := nextval('wid');
                INSERT INTO pairs VALUES ('r' || (k % 3), k, s, 'new ' || k);
                INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'pairs', k, 'i');
            ELSIF op < 16 THEN
                SELECT n INTO k FROM pairs WHERE n >= floor(random() * hi) ORDER BY n LIMIT 1;
                IF k IS NOT NULL THEN
                    IF p_delete AND op = 15 THEN
                        DELETE FROM pairs WHERE n = k;
                        INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'pairs', k, 'd');
                    ELSE
                        UPDATE pairs SET seq = s, v = 'upd ' || s WHERE n = k;
                        INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'pairs', k, 'u');
                    END IF;
                END IF;
            ELSIF op >= 16 THEN
                k := nextval('wid');
                INSERT INTO events VALUES (k, s, 'ev ' || s);
                INSERT INTO wlog (seq, tbl, id, op) VALUES (s, 'events', k, 'i');
            END IF;
        END LOOP;
        COMMIT;
        INSERT INTO wtxn VALUES (s, pg_current_wal_insert_lsn());
        COMMIT;
        PERFORM pg_sleep(p_pause);
    END LOOP;
END
\$\$;
SQL
    psql_q "$SRC" "INSERT INTO wtxn VALUES (0, pg_current_wal_insert_lsn())" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$DST" >/dev/null <<'SQL'
CREATE SCHEMA chk;
CREATE TABLE chk.items (id bigint, seq bigint, name text, price numeric(12,2), doc jsonb, flag boolean,
                        at timestamptz);
CREATE TABLE chk.pairs (region text, n bigint, seq bigint, v text);
CREATE TABLE chk.events (id bigint, seq bigint, v text);
CREATE TABLE chk.log (n bigint, seq bigint, tbl text, id bigint, op "char", lsn pg_lsn);
CREATE TABLE chk.versions (stream text, version bigint, wm bigint);
CREATE TABLE chk.state (v jsonb);
CREATE TABLE chk.lines (l text);
SQL
}

# writer_start / writer_stop: the writer runs in the background until told to stop
writer_start() {
    local del=true ev=false
    [ "$METHOD" = INCREMENTAL ] && del=false
    [ "$METHOD" = LOG_BASED ] && ev=true
    psql_q "$SRC" "DELETE FROM wctl" >/dev/null
    # the writer's own pseudo-random choices follow SEED too (its timing does not)
    psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" \
        -c "CALL rel_writer($del, $ev, $(awk -v s="$SEED" 'BEGIN { printf "%.6f", (s % 1000000) / 1000000 }'), ${WRITER_PAUSE:-0.003})" \
        >"$TEST_TMP/writer.out" 2>"$TEST_TMP/writer.err" &
    WRITER_PID=$!
}
writer_stop() {
    psql_q "$SRC" "INSERT INTO wctl VALUES (true)" >/dev/null
    [ -n "$WRITER_PID" ] || return 0 # stopped already
    if ! wait "$WRITER_PID"; then
        not_ok "the writer failed"
        cat "$TEST_TMP/writer.err" >&2
    fi
}

# committed_seq: every writer transaction up to it has committed (the writer is serial, and
# its changes and their log rows commit together)
committed_seq() {
    psql_q "$SRC" "SELECT coalesce(max(seq), 0) FROM wlog"
}

# snapshot_source: copy the source tables and the log into schema chk of the target database
snapshot_source() {
    local t
    for t in items pairs events; do
        psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "COPY public.$t TO STDOUT" |
            psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -c "TRUNCATE chk.$t; COPY chk.$t FROM STDIN"
    done
    # one statement, one snapshot: every wtxn row has its wlog rows
    psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" \
        -c "COPY (SELECT l.n, l.seq, l.tbl, l.id, l.op, t.lsn FROM wlog l LEFT JOIN wtxn t USING (seq)) TO STDOUT" |
        psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -c "TRUNCATE chk.log; COPY chk.log FROM STDIN"
}

# dst_count SQL: a count in the target database
dst_count() {
    psql_q "$DST" "$1"
}

# check_zero WHAT SQL_COUNT SQL_SAMPLE: a violation count that must be 0 (samples shown if not)
check_zero() {
    local n
    n=$(dst_count "$2")
    if [ "$n" = 0 ]; then
        CHECKS=$((CHECKS + 1))
    elif [ "${EXPECT_VIOLATION:-0}" = 1 ]; then
        echo "# found as it should be: $1: $n rows"
        VIOLATIONS=$((VIOLATIONS + 1))
    else
        not_ok "run $RUN: $1: $n rows"
        dst_count "$3 LIMIT 5" | sed 's/^/    /' >&2
        VIOLATIONS=$((VIOLATIONS + 1))
    fi
}

# cols_of TABLE SIDE: the compare column list of a table, src or dst form
cols_of() {
    case "$1-$2" in
    items-src) echo "$ITEMS_SRC" ;; items-dst) echo "$ITEMS_DST" ;;
    pairs-src) echo "$PAIRS_SRC" ;; pairs-dst) echo "$PAIRS_DST" ;;
    events-src) echo "$EVENTS_SRC" ;; events-dst) echo "$EVENTS_DST" ;;
    esac
}
key_of() { if [ "$1" = pairs ]; then echo n; else echo id; fi; }

# load_state STATE_FILE: the state into chk.state (PostgreSQL parses the JSON: no jq needed);
# fails on a line that is not JSON; no file (every run was killed before the target wrote a
# STATE): chk.state empty
load_state() {
    if [ ! -s "$1" ]; then
        psql_q "$DST" "TRUNCATE chk.state" >/dev/null
        return 0
    fi
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DST" -v s="$(cat "$1")" >/dev/null 2>&1 <<'SQL'
TRUNCATE chk.state;
INSERT INTO chk.state VALUES (:'s'::jsonb);
SQL
}

# bm STREAM PATH...: one value of a stream's bookmark in chk.state as text ("" when absent),
# e.g. bm public-items last_pk_fetched id
bm() {
    local path
    path=$(IFS=,; echo "bookmarks,$*")
    dst_count "SELECT v #>> '{$path}' FROM chk.state"
}

# check_state STATE_FILE: the state the target wrote last is true of the target (see README
# "Kill loops" for the invariant of each method)
check_state() {
    local state=$1 t id
    [ -s "$state" ] || return 0
    load_state "$state"
    snapshot_source
    for t in $TABLES; do
        id=public-$t
        local key src dst
        key=$(key_of "$t")
        src=$(cols_of "$t" src)
        dst=$(cols_of "$t" dst)
        case "$METHOD" in
        LOG_BASED)
            local lsn
            lsn=$(bm "$id" lsn)
            [ -n "$lsn" ] || continue
            # the commit position logged after a transaction is past its commit record, so
            # a logged position <= the bookmark is a transaction the state claims is applied
            # a copy in chunks in progress (chunked_copy in the bookmark): the lsn covers the keys
            # up to the last chunk's ("after"; none before the first chunk); pairs' chunk key is
            # (region, n), which chk.log does not hold: its rows wait for final_compare
            local upto=""
            if [ -n "$(bm "$id" chunked_copy key 0)" ]; then
                local after
                after=$(bm "$id" chunked_copy after 0)
                if [ "$t" != items ] || [ -z "$after" ]; then
                    echo "# $RUN: $id: a copy in chunks in progress, not past its first chunk or keyed (region, n): checked at the end"
                    continue
                fi
                upto=" AND c.id <= $after"
            fi
            local cov="SELECT DISTINCT ON (c.id) c.id, c.seq, c.op FROM chk.log c WHERE c.tbl = '$t'
                AND c.lsn IS NOT NULL AND c.lsn <= pg_lsn '0/0' + $lsn$upto ORDER BY c.id, c.n DESC"
            if [ "$t" = events ]; then
                check_zero "$id: events committed before lsn $lsn missing" \
                    "SELECT count(*) FROM ($cov) c WHERE NOT EXISTS (SELECT 1 FROM public.events e WHERE e.id = c.id)" \
                    "SELECT c.id, c.seq FROM ($cov) c WHERE NOT EXISTS (SELECT 1 FROM public.events e WHERE e.id = c.id)"
            else
                local bad="FROM ($cov) c WHERE (c.op = 'd' AND EXISTS (SELECT 1 FROM public.$t x WHERE x.$key = c.id))
                    OR (c.op <> 'd' AND NOT EXISTS (SELECT 1 FROM public.$t x WHERE x.$key = c.id AND x.seq >= c.seq)
                        AND NOT EXISTS (SELECT 1 FROM chk.log l WHERE l.tbl = '$t' AND l.id = c.id AND l.op = 'd' AND l.seq > c.seq))"
                check_zero "$id: changes committed before lsn $lsn not in the target" \
                    "SELECT count(*) $bad" "SELECT c.id, c.seq, c.op $bad"
            fi
            ;;
        INCREMENTAL)
            local b
            b=$(bm "$id" replication_key_value)
            [ -n "$b" ] || continue
            # rows whose last change is older than the bookmark were in every snapshot since
            # that change, before the bookmark's row: sent, and unchanged since
            check_zero "$id: rows with seq < bookmark $b missing or different" \
                "SELECT count(*) FROM (SELECT $src FROM chk.$t WHERE seq < $b EXCEPT SELECT $dst FROM public.$t) d" \
                "SELECT $src FROM chk.$t WHERE seq < $b EXCEPT SELECT $dst FROM public.$t"
            ;;
        FULL_TABLE)
            local v wm cur where
            v=$(bm "$id" version)
            [ -n "$v" ] || continue
            wm=$(dst_count "SELECT wm FROM chk.versions WHERE stream = '$id' AND version = $v")
            if [ -z "$wm" ]; then
                not_ok "run $RUN: $id: version $v of the state was never seen in a STATE"
                VIOLATIONS=$((VIOLATIONS + 1))
                continue
            fi
            cur=$(dst_count "SELECT v ->> 'currently_syncing' FROM chk.state")
            if [ -n "$(bm "$id" last_pk_fetched)" ]; then
                if [ "$t" = pairs ]; then
                    where="(region, n) <= ($(bm "$id" last_pk_fetched region | sed "s/'/''/g;s/.*/'&'/"), $(bm "$id" last_pk_fetched n))"
                else
                    where="id <= $(bm "$id" last_pk_fetched id)"
                fi
            elif [ "$cur" = "$id" ]; then
                continue # the version has just started
            else
                where=true
                # done: ACTIVATE_VERSION removed every row deleted before the version started
                check_zero "$id: rows deleted before version $v still in the target" \
                    "SELECT count(*) FROM chk.log l WHERE l.tbl = '$t' AND l.op = 'd' AND l.seq <= $wm AND EXISTS (SELECT 1 FROM public.$t x WHERE x.$key = l.id)" \
                    "SELECT l.id, l.seq FROM chk.log l WHERE l.tbl = '$t' AND l.op = 'd' AND l.seq <= $wm AND EXISTS (SELECT 1 FROM public.$t x WHERE x.$key = l.id)"
            fi
            # rows unchanged since before the version's first run, up to the key sent last
            check_zero "$id: rows of version $v up to the last key ($where) missing or different" \
                "SELECT count(*) FROM (SELECT $src FROM chk.$t WHERE seq <= $wm AND $where EXCEPT SELECT $dst FROM public.$t) d" \
                "SELECT $src FROM chk.$t WHERE seq <= $wm AND $where EXCEPT SELECT $dst FROM public.$t"
            ;;
        esac
    done
}

# note_versions OUT WM: remember the committed seq before the run that first named a version
note_versions() {
    [ "$METHOD" = FULL_TABLE ] || return 0
    [ -s "$1" ] || return 0
    # the whole lines only (a target killed while writing may leave a cut last line)
    local n
    n=$(wc -l <"$1")
    head -n "$n" "$1" | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" \
        -c "TRUNCATE chk.lines; COPY chk.lines FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
    psql_q "$DST" "INSERT INTO chk.versions SELECT DISTINCT b.key, (b.value ->> 'version')::bigint, $2
        FROM chk.lines, jsonb_each(l::jsonb -> 'bookmarks') b WHERE b.value ? 'version'
        AND NOT EXISTS (SELECT 1 FROM chk.versions x WHERE x.stream = b.key AND x.version = (b.value ->> 'version')::bigint)" >/dev/null
}

# last_line FILE > line: the last whole line (one that ends in a newline)
last_line() {
    local f=$1
    [ -s "$f" ] || return 0
    if [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]; then
        tail -n 1 "$f"
    else
        PARTIAL=$((PARTIAL + 1))
        tail -n 2 "$f" | head -n 1
    fi
}

# run_pipeline N ACTION DELAY_MS: one tap | target run from $STATE; ACTION none|tap|target|both
# (or the name of a function to call) is done after DELAY_MS; sets TAP_RC, TGT_RC and updates $STATE from the target's last line
run_pipeline() {
    # STATES_FILE: the target appends to it (a continuous run follows it: state_feedback_file)
    local n=$1 action=$2 delay=$3 out=${STATES_FILE:-$TEST_TMP/out.$1} fifo=$TEST_TMP/pipe
    rm -f "$fifo"
    mkfifo "$fifo"
    local wm
    wm=$(committed_seq)
    local t0
    t0=$(date +%s%N)
    "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$fifo" >>"$out" 2>>"$TEST_TMP/target.err" &
    local tgt=$!
    if [ -s "$STATE" ]; then
        "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" --state "$STATE" >"$fifo" 2>>"$TEST_TMP/tap.err" &
    else
        "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" >"$fifo" 2>>"$TEST_TMP/tap.err" &
    fi
    local tap=$!
    local killed=""
    if [ "$action" != none ]; then
        sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
        case "$action" in
        tap) kill -9 "$tap" 2>/dev/null && killed=tap ;;
        target) kill -9 "$tgt" 2>/dev/null && killed=target ;;
        both)
            kill -9 "$tap" 2>/dev/null && killed=tap
            kill -9 "$tgt" 2>/dev/null && killed="${killed:+$killed+}target"
            ;;
        *) "$action" ;; # a function of the caller's (faults.sh: the fault, at its moment)
        esac
    fi
    # a run that hangs fails the loop instead of stalling it
    local i=0
    while kill -0 "$tap" 2>/dev/null || kill -0 "$tgt" 2>/dev/null; do
        sleep 0.05
        i=$((i + 1))
        if [ "$i" -gt $((RUN_TIMEOUT * 20)) ]; then
            not_ok "run $n: tap | target still running after ${RUN_TIMEOUT}s"
            kill -9 "$tap" "$tgt" 2>/dev/null || true
            break
        fi
    done
    set +e
    { wait "$tap"; } 2>/dev/null
    TAP_RC=$?
    { wait "$tgt"; } 2>/dev/null
    TGT_RC=$?
    set -e
    LAST_MS=$((($(date +%s%N) - t0) / 1000000))
    KILLED=$killed
    note_versions "$out" "$wm"
    local line
    line=$(last_line "$out")
    if [ -n "$line" ]; then
        printf '%s\n' "$line" >"$TEST_TMP/line.json"
        if load_state "$TEST_TMP/line.json"; then
            mv "$TEST_TMP/line.json" "$STATE"
        else
            not_ok "run $n: the target's last line is not a JSON state: ${line:0:200}"
        fi
    fi
    echo "run $n: $action after ${delay}ms: killed ${killed:-nothing}, tap exit $TAP_RC, target exit $TGT_RC, ${LAST_MS}ms, $(grep -c . "$out" || true) states"
}

# exit codes: a process we did not kill ends 0, or 7 (the tap: its reader is gone), or 6 (the
# target: its input was cut in the middle of a line); anything else (a crash, a failed load)
# is a defect
check_exit_codes() {
    local n=$1
    if [[ "$KILLED" != *tap* ]] && [ "$TAP_RC" != 0 ] &&
        ! { [[ "$KILLED" == *target* ]] && [ "$TAP_RC" = 7 ]; }; then
        not_ok "run $n: the tap exited $TAP_RC (killed: ${KILLED:-nothing})"
        tail -n 5 "$TEST_TMP/tap.err" >&2
        VIOLATIONS=$((VIOLATIONS + 1))
    fi
    if [[ "$KILLED" != *target* ]] && [ "$TGT_RC" != 0 ] &&
        ! { [[ "$KILLED" == *tap* ]] && [ "$TGT_RC" = 6 ]; }; then
        not_ok "run $n: the target exited $TGT_RC (killed: ${KILLED:-nothing})"
        tail -n 5 "$TEST_TMP/target.err" >&2
        VIOLATIONS=$((VIOLATIONS + 1))
    fi
}

# kill_loop: runs until KILLS kills happened, each from the last state the target wrote, each
# followed by the check of that state
kill_loop() {
    local kills=0 runs=0 finished=0 action delay
    CHECKS=0 VIOLATIONS=0 PARTIAL=0
    local span=${KILL_SPAN_MS:-800}
    while [ "$kills" -lt "$KILLS" ]; do
        runs=$((runs + 1))
        RUN=$runs
        # NONE_ACTION: what a run that is not killed gets (a continuous run: a function that
        # ends it with a signal)
        # KILL_ONLY=1: every run is killed (with a small KILL_SPAN_MS, before any STATE)
        case $((RANDOM % 6)) in
        0) action=${NONE_ACTION:-none} ;; 1 | 2) action=tap ;; 3 | 4) action=target ;; 5) action=both ;;
        esac
        [ "$action" = none ] && [ "${KILL_ONLY:-0}" = 1 ] && action=tap
        delay=$((RANDOM % span))
        run_pipeline "$runs" "$action" "$delay"
        [ -n "$KILLED" ] && kills=$((kills + 1))
        [ -z "$KILLED" ] && finished=$((finished + 1))
        # a run that finished before its kill tells how long a run takes: kill within that
        if [ -z "$KILLED" ] && [ -z "${NONE_ACTION:-}" ] && [ "$LAST_MS" -gt 100 ]; then
            span=$((LAST_MS * 9 / 10))
        fi
        check_exit_codes "$runs"
        check_state "$STATE"
        if [ "$VIOLATIONS" -gt 0 ] && [ "${KEEP_GOING:-0}" != 1 ]; then
            break
        fi
    done
    echo "kill loop: $runs runs, $kills kills, $finished runs finished, $CHECKS checks, $VIOLATIONS violations, $PARTIAL cut last lines (SEED=$SEED)"
    KILLS_DONE=$kills
}

# final_compare: every column of every table, EXCEPT both ways
final_compare() {
    local t src dst
    snapshot_source
    for t in $TABLES; do
        src=$(cols_of "$t" src)
        dst=$(cols_of "$t" dst)
        assert_eq 0 "$(dst_count "SELECT count(*) FROM (SELECT $src FROM chk.$t EXCEPT SELECT $dst FROM public.$t) d")" \
            "$METHOD: every source row of $t is in the target"
        assert_eq 0 "$(dst_count "SELECT count(*) FROM (SELECT $dst FROM public.$t EXCEPT SELECT $src FROM chk.$t) d")" \
            "$METHOD: every target row of $t is in the source (deleted rows are gone)"
        if [ "$(dst_count "SELECT count(*) FROM (SELECT $src FROM chk.$t EXCEPT SELECT $dst FROM public.$t) d")" != 0 ]; then
            dst_count "SELECT $src FROM chk.$t EXCEPT SELECT $dst FROM public.$t LIMIT 5" | sed 's/^/  missing: /' >&2
        fi
        if [ "$(dst_count "SELECT count(*) FROM (SELECT $dst FROM public.$t EXCEPT SELECT $src FROM chk.$t) d")" != 0 ]; then
            dst_count "SELECT $dst FROM public.$t EXCEPT SELECT $src FROM chk.$t LIMIT 5" | sed 's/^/  extra: /' >&2
        fi
    done
}
