/*
 * target: the state of one run of target-postgres (config, streams, flush pool, STATE
 * tracker, output), and the one place a failure is recorded (target_fail: the first
 * failure's exit code wins; later failures only log).
 *
 * The read loop (main.c) hands each line to messages_handle_line; scheduler.c decides when
 * batches are loaded. Everything here runs on the main thread, except what a flush job
 * touches (see streams.h).
 *
 * Ownership: a target owns everything it points to (target_term frees it); streams are
 * owned by its registry.
 */
#ifndef TARGET_TARGET_H
#define TARGET_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "flush_pool.h"
#include "jscan.h"
#include "singer.h"
#include "registry.h"
#include "state_tracker.h"
#include "stream.h"
#include "tconfig.h"
#include "tmetrics.h"

typedef struct target {
    tconfig cfg;
    flush_pool *pool; /* owned; NULL until target_init connected it */
    state_tracker states;
    singer_writer out; /* stdout */
    conv_ctx cx;
    jscan js;
    singer_reader in; /* stdin */
    registry reg;
    int64_t seq;            /* sequence of the last RECORD / ACTIVATE_VERSION */
    int in_flight;          /* flush jobs submitted and not taken back */
    bool failed;            /* set only by target_fail */
    int exit_code;          /* the first failure's code (0 while none) */
    long long line_no;      /* the input line being handled */
    const char *batch_file; /* borrowed: the BATCH file being read (batch_message), or NULL */
    long long batch_line;   /* its line being handled */
    size_t batch_head;      /* bytes before the record in the RECORD line made of that line */
    const volatile sig_atomic_t *stop; /* borrowed: set by a signal (main.c), or NULL */
    buf tmp;                           /* scratch of the message handlers */
    bool warned_activate;
    bool warned_memory;
    size_t mem; /* bytes held by every batch (filling, spare, loading): see batch_mem */
    size_t mem_peak;
    tmetrics metrics; /* periodic points and the summary (tmetrics.h) */
} target;

/* target_init: load the config file at config_path, open stdin / stdout and connect the
   flush pool. Returns EXIT_OK, or the exit code after logging (EXIT_BAD_CONFIG,
   EXIT_TARGET_DB); target_term is needed in every case. */
int target_init(target *t, const config_sources *config);
/* target_term: free everything; a target filled with zeros is fine. */
void target_term(target *t);

/* target_fail: the run has failed with exit code code (logged by the caller): sets failed and
   keeps the first failure's code. code is never EXIT_OK. */
void target_fail(target *t, int code);
/* target_oom: log "out of memory" and fail with EXIT_INTERNAL. */
void target_oom(target *t);
/* target_bad_input: log one line naming the input line and stream sname (NULL: none) with the
   message, and fail with EXIT_BAD_INPUT. */
void target_bad_input(target *t, const char *sname, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
