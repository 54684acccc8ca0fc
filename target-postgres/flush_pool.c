#include "flush_pool.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct worker {
    pthread_t thread;
    pg_conn *conn; /* owned */
    flush_pool *pool;
    int id;
} worker;

struct flush_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    pthread_cond_t turn_cv;
    flush_job *q_head, *q_tail;
    flush_job *d_head, *d_tail;
    int ndone; /* read without the lock by flush_pool_done_count */
    worker **workers;
    int nworkers;
    int max_workers;
    int idle;
    int nqueued; /* jobs submitted and not yet taken by a worker */
    bool stopping;
    bool failed; /* a flush failed: the target stops, no new load starts */
    int wake[2];
    const tconfig *cfg;
    pg_conn *first; /* connected by create, handed to worker 0 */
};

static void notice_to_log(void *arg, const char *msg)
{
    (void)arg;
    log_debug("server: %.*s", (int)strcspn(msg, "\n"), msg);
}

static pg_conn *connect_one(const tconfig *cfg)
{
    pg_conn_options o = {0};
    o.application_name = "target-postgres";
    o.attempts = 3;
    o.password = cfg->password;
    pg_conn *c = pg_conn_connect(cfg->root, &o);
    if (!c)
        return NULL;
    PQsetNoticeProcessor(c->conn, notice_to_log, NULL);
    /* synchronous_commit on: a STATE follows a COMMIT that survives a crash of the server
       (with off, the server may lose the last commits it acknowledged) */
    if (!pg_conn_exec(c, "SET client_min_messages = warning; SET TimeZone = 'UTC'; "
                         "SET DateStyle = 'ISO'; SET temp_buffers = '64MB'; "
                         "SET synchronous_commit = on")) {
        pg_conn_destroy(c);
        return NULL;
    }
    return c;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    flush_pool *p = w->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->q_head && !p->stopping)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (!p->q_head) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        flush_job *job = p->q_head;
        p->q_head = job->next;
        if (!p->q_head)
            p->q_tail = NULL;
        job->next = NULL;
        p->idle--;
        p->nqueued--;
        bool skip = p->failed;
        pthread_mutex_unlock(&p->mu);

        if (!skip && !w->conn)
            w->conn = connect_one(p->cfg);
        if (skip) {
            /* the target is stopping: no new load starts after a failure */
            job->ok = false;
            job->skipped = true;
        } else if (!w->conn) {
            log_error("stream \"%s\": batch %lld: no connection to load it", job->st->name,
                      job->batch_no);
            job->ok = false;
        } else {
            job->ok = loader_run(w->conn, job);
            if (!job->ok && PQstatus(w->conn->conn) != CONNECTION_OK) {
                pg_conn_destroy(w->conn);
                w->conn = NULL;
            }
        }

        pthread_mutex_lock(&p->mu);
        if (job->ok) {
            job->st->committed_no = job->batch_no;
        } else {
            job->st->load_failed = true;
            p->failed = true;
        }
        pthread_cond_broadcast(&p->turn_cv);
        if (p->d_tail)
            p->d_tail->next = job;
        else
            p->d_head = job;
        p->d_tail = job;
        __atomic_add_fetch(&p->ndone, 1, __ATOMIC_RELEASE);
        p->idle++;
        pthread_cond_broadcast(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
        ssize_t wr;
        do {
            wr = write(p->wake[1], "x", 1);
        } while (wr < 0 && errno == EINTR);
    }
    return NULL;
}

flush_pool *flush_pool_create(const tconfig *cfg, int max_workers)
{
    flush_pool *p = calloc(1, sizeof(*p));
    if (!p) {
        log_error("out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->max_workers = max_workers > 0 ? max_workers : 1;
    p->wake[0] = p->wake[1] = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    pthread_cond_init(&p->turn_cv, NULL);
    p->workers = calloc((size_t)p->max_workers, sizeof(worker *));
    if (!p->workers || pipe(p->wake) != 0) {
        log_error("cannot set up the flush workers: %m");
        flush_pool_destroy(p);
        return NULL;
    }
    fcntl(p->wake[0], F_SETFL, O_NONBLOCK);
    fcntl(p->wake[1], F_SETFL, O_NONBLOCK);
    p->first = connect_one(cfg);
    if (!p->first) {
        flush_pool_destroy(p);
        return NULL;
    }
    return p;
}

static bool spawn(flush_pool *p)
{
    worker *w = calloc(1, sizeof(*w));
    if (!w)
        return false;
    w->pool = p;
    w->id = p->nworkers;
    if (p->first) {
        w->conn = p->first;
        p->first = NULL;
    }
    /* SIGINT and SIGTERM go to the main thread, whose poll() they interrupt */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        if (w->conn)
            p->first = w->conn;
        free(w);
        return false;
    }
    p->workers[p->nworkers++] = w;
    p->idle++;
    return true;
}

static bool wait_turn(flush_job *job)
{
    flush_pool *p = job->pool;
    pthread_mutex_lock(&p->mu);
    while (job->st->committed_no < job->batch_no - 1 && !job->st->load_failed)
        pthread_cond_wait(&p->turn_cv, &p->mu);
    bool ok = !job->st->load_failed;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void flush_pool_submit(flush_pool *p, flush_job *job)
{
    job->next = NULL;
    job->pool = p;
    job->wait_turn = wait_turn;
    pthread_mutex_lock(&p->mu);
    /* a worker counted idle may be about to take an earlier job: start one more whenever the
       queued jobs outnumber the idle workers, or a job could wait behind a long load */
    p->nqueued++;
    if (p->nqueued > p->idle && p->nworkers < p->max_workers) {
        if (!spawn(p) && p->nworkers == 0)
            log_error("cannot start a flush worker");
    }
    if (p->q_tail)
        p->q_tail->next = job;
    else
        p->q_head = job;
    p->q_tail = job;
    pthread_cond_signal(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
}

flush_job *flush_pool_take(flush_pool *p, bool wait)
{
    pthread_mutex_lock(&p->mu);
    while (wait && !p->d_head)
        pthread_cond_wait(&p->done_cv, &p->mu);
    flush_job *job = p->d_head;
    if (job) {
        p->d_head = job->next;
        if (!p->d_head)
            p->d_tail = NULL;
        job->next = NULL;
        __atomic_sub_fetch(&p->ndone, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&p->mu);
    if (job) {
        char drain[64];
        ssize_t r = read(p->wake[0], drain, 1);
        (void)r;
    }
    return job;
}

int flush_pool_done_count(flush_pool *p)
{
    return __atomic_load_n(&p->ndone, __ATOMIC_ACQUIRE);
}

int flush_pool_wake_fd(flush_pool *p)
{
    return p->wake[0];
}

int flush_pool_workers(flush_pool *p)
{
    return p->nworkers;
}

void flush_pool_stop_new(flush_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->failed = true;
    pthread_mutex_unlock(&p->mu);
}

static void free_job(flush_job *j)
{
    batch_destroy(j->b);
    table_def_unref(j->def);
    free(j);
}

void flush_pool_destroy(flush_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    /* jobs nobody started are dropped (their batches are not loaded) */
    while (p->q_head) {
        flush_job *j = p->q_head;
        p->q_head = j->next;
        free_job(j);
    }
    p->q_tail = NULL;
    p->stopping = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nworkers; i++) {
        pthread_join(p->workers[i]->thread, NULL);
        pg_conn_destroy(p->workers[i]->conn);
        free(p->workers[i]);
    }
    while (p->d_head) {
        flush_job *j = p->d_head;
        p->d_head = j->next;
        free_job(j);
    }
    pg_conn_destroy(p->first);
    free(p->workers);
    if (p->wake[0] >= 0)
        close(p->wake[0]);
    if (p->wake[1] >= 0)
        close(p->wake[1]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_cond_destroy(&p->turn_cv);
    free(p);
}
