/*
 * flush_pool: worker threads that run flush jobs, each on its own
 * connection, while the main thread keeps reading stdin.
 *
 * Workers are started on demand up to max_workers; the first connection is
 * opened by flush_pool_create so that a bad host or password fails at once.
 * Finished jobs come back through a queue the main thread drains
 * (flush_pool_take); a pipe (wake_fd) becomes readable when one is there, so
 * the main thread can poll() stdin and the pool together.
 */
#ifndef TARGET_FLUSH_POOL_H
#define TARGET_FLUSH_POOL_H

#include <stdbool.h>

#include "loader.h"
#include "tconfig.h"

typedef struct flush_pool flush_pool;

/* flush_pool_create: connect the first worker; NULL after logging. cfg is borrowed for life. */
flush_pool *flush_pool_create(const tconfig *cfg, int max_workers);
/* flush_pool_destroy: wait for running jobs, stop the workers, close connections. Jobs still
   queued or finished and not taken are freed with their batches. NULL is fine. */
void flush_pool_destroy(flush_pool *p);
/* flush_pool_submit: queue a job (the pool owns it until flush_pool_take returns it). */
void flush_pool_submit(flush_pool *p, flush_job *job);
/* flush_pool_take: a finished job or NULL; wait: block until one is there. */
flush_job *flush_pool_take(flush_pool *p, bool wait);
/* flush_pool_done_count: finished jobs not yet taken (a cheap check for the read loop). */
int flush_pool_done_count(flush_pool *p);
/* flush_pool_wake_fd: readable when a finished job is waiting. */
int flush_pool_wake_fd(flush_pool *p);
int flush_pool_workers(flush_pool *p);
/* flush_pool_stop_new: jobs not started yet are not run (they come back skipped); running ones
   finish. For a target that stops after a failure. */
void flush_pool_stop_new(flush_pool *p);

#endif
