/*
 * ingest_commit - group commit of intake requests into `events`, pipelined
 * over a few connections, then publication on the `events` stream in seq
 * order. See ingest_commit.h.
 *
 * Why a pipeline: a commit spends most of its time waiting for the WAL to
 * reach the disk. With ingest.batch.connections writers, batch k+1 is copied
 * in while batch k's COMMIT is being flushed (PostgreSQL then flushes both
 * together). Order is kept by three things:
 *  - seqs are handed out under `order_lock` in ticket order;
 *  - each transaction advances the stream head by compare-and-set from the
 *    seq before its first row, in ticket order (`cas_turn`): it is issued
 *    only after the predecessor's update, so it waits on that row lock and
 *    can only commit after the predecessor did;
 *  - answers and publication happen in ticket order (`finished`).
 * When a batch fails, its successors' compare-and-set cannot match (the head
 * did not move), so they fail too and are answered 503; the seq counter is
 * re-read from the database's head before anything new starts (a COMMIT
 * whose answer was lost may have succeeded).
 * No hole and no duplicate can reach the table: the head row is the judge.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "event_store.h"
#include "ingest_commit.h"
#include "intake_queue.h"
#include "log.h"
#include "metrics.h"
#include "stream.h"
#include "wire.h"
#include "xalloc.h"

#define INGEST_PARTITION_EVERY_US   (3600LL * 1000000)
#define INGEST_PARTITION_DAYS_AHEAD "3"
#define INGEST_WRITERS_MAX          8

typedef struct ingest_writer ingest_writer_t;

struct ingest_writer {
    ingest_commit_t *c;
    int index; /* 0 also does housekeeping and holds the stream lock */
    pthread_t thread;
    PGconn *conn;
    PGcancel *cancel; /* under c->cancel_lock */
    db_copy_t copy;
    int64_t last_db_contact_us;
};

struct ingest_commit {
    const settings_t *s;
    intake_queue_t *q;
    ingest_writer_t writers[INGEST_WRITERS_MAX];
    int nwriters;
    atomic_bool stop;
    atomic_int running; /* writer threads still in their loop */
    int64_t drain_deadline_us;
    pthread_mutex_t cancel_lock;
    atomic_int connected; /* writers holding a working connection */

    /* Ordering, under order_lock. */
    pthread_mutex_t order_lock;
    pthread_cond_t order_cond;
    int64_t committed_head; /* last seq known committed */
    int64_t next_seq;       /* first seq of the next batch */
    uint64_t next_ticket;   /* ticket of the next batch */
    uint64_t finished;      /* tickets below this are answered and published */
    uint64_t cas_turn;      /* the ticket allowed to run its head update next */
    int in_flight;          /* batches holding a ticket */
    bool resync;            /* next_seq must be re-derived from committed_head */
    bool head_known;        /* committed_head was read from the database */
    stream_pub_t *pub;      /* used under order_lock only (ZeroMQ: one thread at a time) */
    wire_buf_t wire;
    int64_t next_heartbeat_us, next_partition_us;

    metric_t *m_batch_events, *m_commit_seconds, *m_commits, *m_commit_failures;
    metric_t *m_stored[3][5]; /* [intake kind][format] */
    metric_t *m_dead;
};

static int64_t ingest_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *const ingest_kind_names[] = {"http", "zmq", "kafka"};

/* ---- connection life ---- */

static void ingest_writer_set_cancel(ingest_writer_t *w, PGcancel *cancel)
{
    pthread_mutex_lock(&w->c->cancel_lock);
    if (w->cancel) {
        PQfreeCancel(w->cancel);
    }
    w->cancel = cancel;
    pthread_mutex_unlock(&w->c->cancel_lock);
}

static void ingest_writer_disconnect(ingest_writer_t *w)
{
    ingest_writer_set_cancel(w, NULL);
    if (w->conn) {
        PQfinish(w->conn);
        w->conn = NULL;
        if (atomic_fetch_sub(&w->c->connected, 1) == 1) {
            intake_set_db_down(w->c->q, true);
        }
    }
}

/* One writer process per stream: a session advisory lock on the stream name,
 * held by writer 0. The compare-and-set on stream_heads already makes a
 * second process fail; the lock makes it fail early with a clear message. */
static int ingest_writer_lock_stream(ingest_writer_t *w)
{
    const char *params[] = {w->c->s->ingest_stream};
    PGresult *res = NULL;
    if (db_exec(w->conn, "ingest.lock_stream",
                "SELECT pg_try_advisory_lock(hashtext('alertdesk.stream'), hashtext($1))", 1,
                params, &res) != DB_OK) {
        return -1;
    }
    int locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!locked) {
        log_error("msg=\"another ingest is writing this stream; set a distinct ingest.stream per "
                  "instance\" stream=%s",
                  w->c->s->ingest_stream);
        return -1;
    }
    return 0;
}

/* ingest_writer_housekeeping - hourly, writer 0: the next days' partitions
 * exist before their first event, and days past ingest.retention go. */
static void ingest_writer_housekeeping(ingest_writer_t *w)
{
    const settings_t *s = w->c->s;
    const char *params[] = {INGEST_PARTITION_DAYS_AHEAD};
    PGresult *res = NULL;
    if (db_exec(w->conn, "ingest.partitions", "SELECT alertdesk_events_ensure_partitions($1)", 1,
                params, &res) == DB_OK) {
        int created = atoi(PQgetvalue(res, 0, 0));
        if (created > 0) {
            log_info("msg=\"event partitions created\" count=%d", created);
        }
        PQclear(res);
    }
    if (s->ingest_retention_ms > 0) {
        char keep[48];
        snprintf(keep, sizeof keep, "%lld milliseconds", (long long)s->ingest_retention_ms);
        const char *p2[] = {keep};
        if (db_exec(w->conn, "ingest.retention", "SELECT alertdesk_events_drop_older_than($1)", 1,
                    p2, &res) == DB_OK) {
            int dropped = atoi(PQgetvalue(res, 0, 0));
            if (dropped > 0) {
                log_info("msg=\"old event partitions dropped\" count=%d retention_ms=%lld", dropped,
                         (long long)s->ingest_retention_ms);
            }
            PQclear(res);
        }
    }
}

static int ingest_writer_connect(ingest_writer_t *w)
{
    ingest_commit_t *c = w->c;
    w->conn = db_connect(c->s->database_url, c->s->database_connect_timeout_ms);
    if (!w->conn) {
        return -1;
    }
    int64_t head = 0;
    if ((w->index == 0 && ingest_writer_lock_stream(w) < 0) ||
        db_stream_head(w->conn, c->s->ingest_stream, &head) != DB_OK) {
        PQfinish(w->conn);
        w->conn = NULL;
        return -1;
    }
    if (w->index == 0) {
        ingest_writer_housekeeping(w);
        c->next_partition_us = ingest_mono_us() + INGEST_PARTITION_EVERY_US;
    }
    ingest_writer_set_cancel(w, PQgetCancel(w->conn));
    pthread_mutex_lock(&c->order_lock);
    if (c->in_flight == 0 && (c->resync || !c->head_known)) {
        /* Nothing in flight: the database's head is the truth. */
        c->committed_head = head;
        c->next_seq = head + 1;
        c->resync = false;
        c->head_known = true;
    }
    pthread_mutex_unlock(&c->order_lock);
    w->last_db_contact_us = ingest_mono_us();
    atomic_fetch_add(&c->connected, 1);
    intake_set_db_down(c->q, false);
    log_info("msg=\"database connected\" stream=%s writer=%d head=%" PRId64, c->s->ingest_stream,
             w->index, head);
    return 0;
}

/* ---- one transaction ---- */

static db_status_t ingest_writer_dead(ingest_writer_t *w, const intake_req_t *req)
{
    for (size_t i = 0; i < req->ndead; i++) {
        const intake_dead_letter_t *d = &req->dead[i];
        const char *values[] = {ingest_kind_names[req->kind], d->origin, d->reason, d->body};
        int lengths[] = {0, 0, 0, (int)d->body_len};
        int formats[] = {0, 0, 0, 1}; /* body as binary bytea: it may hold anything */
        PGresult *res = PQexecParams(w->conn,
                                     "INSERT INTO dead_letters (intake, origin, reason, body) "
                                     "VALUES ($1, $2, $3, $4::bytea)",
                                     4, NULL, values, lengths, formats, 0);
        db_status_t st =
            PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : db_classify(w->conn, res);
        if (st != DB_OK) {
            log_error("msg=\"dead letter insert failed\" error=\"%s\"", PQresultErrorMessage(res));
        }
        PQclear(res);
        if (st != DB_OK) {
            return st;
        }
    }
    return DB_OK;
}

/* Outcome of one batch. */
typedef enum {
    INGEST_BATCH_OK,
    INGEST_BATCH_RETRY,     /* connection or transient failure: 503 */
    INGEST_BATCH_FATAL,     /* a constraint: isolate the requests */
    INGEST_BATCH_HEAD_MISS, /* compare-and-set missed: a predecessor failed */
} ingest_batch_t;

/* Writes the chain in one transaction with seqs first_seq.. */
/* Waits for this ticket's turn to update the stream head. */
static void ingest_commit_cas_wait(ingest_commit_t *c, uint64_t ticket)
{
    pthread_mutex_lock(&c->order_lock);
    while (c->cas_turn != ticket) {
        pthread_cond_wait(&c->order_cond, &c->order_lock);
    }
    pthread_mutex_unlock(&c->order_lock);
}

/* Passes the turn to the next ticket (exactly once per ticket). */
static void ingest_commit_cas_done(ingest_commit_t *c)
{
    pthread_mutex_lock(&c->order_lock);
    c->cas_turn++;
    pthread_cond_broadcast(&c->order_cond);
    pthread_mutex_unlock(&c->order_lock);
}

static ingest_batch_t ingest_writer_write(ingest_writer_t *w, intake_req_t *chain, uint64_t ticket,
                                          int64_t first_seq, int64_t *last_seq)
{
    const settings_t *s = w->c->s;
    int64_t seq = first_seq - 1;
    db_copy_reset(&w->copy);
    for (intake_req_t *r = chain; r; r = r->next) {
        const char *raw = s->ingest_keep_raw ? r->raw_body : NULL;
        for (size_t i = 0; i < r->nevents; i++) {
            r->events[i]->seq = ++seq;
            event_store_copy_row(&w->copy, s->ingest_stream, r->events[i], raw);
        }
    }
    *last_seq = seq;
    bool moved = true;
    db_status_t st = db_command(w->conn, "ingest.begin", "BEGIN");
    if (st == DB_OK && seq >= first_seq) {
        st = db_copy_send(w->conn, "ingest.copy", EVENT_STORE_COPY_SQL, &w->copy);
    }
    for (intake_req_t *r = chain; r && st == DB_OK; r = r->next) {
        st = ingest_writer_dead(w, r);
    }
    /* The head updates run in ticket order; each blocks on its
     * predecessor's row lock until that one commits or rolls back. A ticket
     * that failed earlier still takes and passes its turn. */
    ingest_commit_cas_wait(w->c, ticket);
    if (st == DB_OK && seq >= first_seq) {
        st = db_stream_try_advance(w->conn, s->ingest_stream, first_seq - 1, seq, &moved);
    }
    ingest_commit_cas_done(w->c);
    if (st == DB_OK && moved) {
        st = db_command(w->conn, "ingest.commit", "COMMIT");
    }
    if (st == DB_OK && moved) {
        w->last_db_contact_us = ingest_mono_us();
        return INGEST_BATCH_OK;
    }
    if (PQstatus(w->conn) == CONNECTION_OK) {
        PQclear(PQexec(w->conn, "ROLLBACK"));
    }
    if (st == DB_OK) {
        return INGEST_BATCH_HEAD_MISS;
    }
    return st == DB_RETRY || PQstatus(w->conn) != CONNECTION_OK ? INGEST_BATCH_RETRY
                                                                : INGEST_BATCH_FATAL;
}

static void ingest_commit_answer(intake_req_t *chain, intake_status_t st)
{
    while (chain) {
        intake_req_t *next = chain->next;
        chain->next = NULL;
        chain->done(chain, st, chain->done_arg);
        chain = next;
    }
}

/* Under order_lock: publish the committed events in seq order. */
static void ingest_commit_publish(ingest_commit_t *c, intake_req_t *chain)
{
    for (intake_req_t *r = chain; r; r = r->next) {
        for (size_t i = 0; i < r->nevents; i++) {
            c->wire.len = 0;
            wire_encode(r->events[i], &c->wire);
            stream_pub_send(c->pub, r->events[i]->seq, c->wire.data, c->wire.len);
        }
    }
}

static void ingest_commit_count(ingest_commit_t *c, intake_req_t *chain)
{
    for (intake_req_t *r = chain; r; r = r->next) {
        for (size_t i = 0; i < r->nevents; i++) {
            unsigned f = (unsigned)r->events[i]->format;
            metric_inc(c->m_stored[r->kind][f <= 4 ? f : 0]);
        }
        if (r->ndead) {
            metric_add(c->m_dead, (double)r->ndead);
        }
    }
}

/* Takes a ticket and a seq range for a chain of nevents. After a failure it
 * waits until the failed batch's successors have drained, then re-reads the
 * head from the database. Returns -1 when that read fails. */
static int ingest_commit_ticket(ingest_writer_t *w, size_t nevents, uint64_t *ticket,
                                int64_t *first_seq)
{
    ingest_commit_t *c = w->c;
    pthread_mutex_lock(&c->order_lock);
    while (c->resync && c->in_flight > 0) {
        pthread_cond_wait(&c->order_cond, &c->order_lock);
    }
    if (c->resync) {
        int64_t head;
        if (db_stream_head(w->conn, c->s->ingest_stream, &head) != DB_OK) {
            pthread_mutex_unlock(&c->order_lock);
            return -1;
        }
        c->committed_head = head;
        c->next_seq = head + 1;
        c->resync = false;
    }
    *ticket = c->next_ticket++;
    *first_seq = c->next_seq;
    c->next_seq += (int64_t)nevents;
    c->in_flight++;
    pthread_mutex_unlock(&c->order_lock);
    return 0;
}

/* Commits a chain and answers it, in ticket order with the other writers. */
static void ingest_writer_chain(ingest_writer_t *w, intake_req_t *chain, size_t nevents)
{
    ingest_commit_t *c = w->c;
    int64_t first_seq, last_seq;
    uint64_t ticket;
    if (ingest_commit_ticket(w, nevents, &ticket, &first_seq) < 0) {
        ingest_writer_disconnect(w);
        ingest_commit_answer(chain, INTAKE_UNAVAILABLE);
        return;
    }
    int64_t t0 = ingest_mono_us();
    ingest_batch_t outcome = ingest_writer_write(w, chain, ticket, first_seq, &last_seq);

    pthread_mutex_lock(&c->order_lock);
    while (c->finished != ticket) {
        pthread_cond_wait(&c->order_cond, &c->order_lock);
    }
    if (outcome == INGEST_BATCH_OK) {
        c->committed_head = last_seq;
        ingest_commit_publish(c, chain);
    } else {
        if (outcome == INGEST_BATCH_HEAD_MISS && !c->resync) {
            /* No predecessor failed, yet the head was elsewhere: another
             * process writes this stream, or the table was changed by hand. */
            log_error("msg=\"stream head moved under us: another writer uses this stream "
                      "name?\" stream=%s expected=%" PRId64,
                      c->s->ingest_stream, first_seq - 1);
        }
        c->resync = true;
    }
    c->finished++;
    c->in_flight--;
    pthread_cond_broadcast(&c->order_cond);
    pthread_mutex_unlock(&c->order_lock);

    if (outcome == INGEST_BATCH_OK) {
        metric_observe(c->m_commit_seconds, (double)(ingest_mono_us() - t0) / 1e6);
        metric_observe(c->m_batch_events, (double)nevents);
        metric_inc(c->m_commits);
        ingest_commit_count(c, chain);
        ingest_commit_answer(chain, INTAKE_COMMITTED);
        return;
    }
    metric_inc(c->m_commit_failures);
    if (outcome == INGEST_BATCH_FATAL && !chain->isolated) {
        /* One request's rows broke a constraint: retry each request alone so
         * the others are not refused with it. */
        intake_requeue_isolated(c->q, chain);
        return;
    }
    if (outcome == INGEST_BATCH_RETRY) {
        ingest_writer_disconnect(w);
    }
    ingest_commit_answer(chain, outcome == INGEST_BATCH_FATAL ? INTAKE_FAILED : INTAKE_UNAVAILABLE);
}

static void ingest_commit_refuse_all(ingest_commit_t *c)
{
    size_t n;
    intake_req_t *chain;
    while ((chain = intake_take(c->q, SIZE_MAX, 0, 0, &n)) != NULL) {
        ingest_commit_answer(chain, INTAKE_UNAVAILABLE);
    }
}

/* Periodic duties. Every writer probes its connection when it has been idle
 * for a heartbeat interval, so /healthz and the intakes learn of an outage
 * before a sender does; writer 0 also publishes the heartbeat and does the
 * hourly housekeeping. */
static int ingest_writer_periodic(ingest_writer_t *w, int64_t now)
{
    ingest_commit_t *c = w->c;
    if (now - w->last_db_contact_us >= c->s->ingest_heartbeat_ms * 1000) {
        if (db_command(w->conn, "ingest.probe", "SELECT 1") != DB_OK) {
            ingest_writer_disconnect(w);
            return -1;
        }
        w->last_db_contact_us = now;
    }
    if (w->index != 0 || now < c->next_heartbeat_us) {
        return 0;
    }
    pthread_mutex_lock(&c->order_lock);
    stream_pub_heartbeat(c->pub, c->committed_head);
    pthread_mutex_unlock(&c->order_lock);
    c->next_heartbeat_us = now + c->s->ingest_heartbeat_ms * 1000;
    if (now >= c->next_partition_us) {
        ingest_writer_housekeeping(w);
        c->next_partition_us = now + INGEST_PARTITION_EVERY_US;
    }
    return 0;
}

static void *ingest_writer_main(void *arg)
{
    ingest_writer_t *w = arg;
    ingest_commit_t *c = w->c;
    int64_t backoff_ms = 100;
    for (;;) {
        bool stopping = atomic_load(&c->stop);
        int64_t now = ingest_mono_us();
        if (stopping && now >= c->drain_deadline_us) {
            /* ingest.drain_timeout is over: whoever still waits is told to
             * retry (503) rather than kept waiting by a stuck database. */
            log_warn("msg=\"drain timeout: refusing what is still queued\" queued=%zu",
                     intake_queue_depth(c->q));
            ingest_commit_refuse_all(c);
            break;
        }
        if (!w->conn) {
            if (ingest_writer_connect(w) < 0) {
                if (atomic_load(&c->connected) == 0) {
                    intake_set_db_down(c->q, true);
                    ingest_commit_refuse_all(c);
                }
                if (stopping) {
                    break;
                }
                for (int64_t t = 0; t < backoff_ms && !atomic_load(&c->stop); t += 20) {
                    usleep(20 * 1000);
                }
                backoff_ms = backoff_ms * 2 > c->s->database_retry_max_ms
                                 ? c->s->database_retry_max_ms
                                 : backoff_ms * 2;
                continue;
            }
            backoff_ms = 100;
        }
        if (ingest_writer_periodic(w, now) < 0) {
            continue;
        }
        size_t n = 0;
        int64_t wait_us = w->index == 0 ? c->next_heartbeat_us - now : 100000;
        if (wait_us > 100000) {
            wait_us = 100000;
        }
        intake_req_t *chain = intake_take(c->q, (size_t)c->s->ingest_batch_max_events,
                                          stopping ? 0 : (wait_us > 0 ? wait_us : 1),
                                          c->s->ingest_batch_max_wait_us, &n);
        if (chain) {
            ingest_writer_chain(w, chain, n);
        } else if (stopping) {
            break; /* drained */
        }
    }
    if (w->index == 0 && w->conn) {
        pthread_mutex_lock(&c->order_lock);
        stream_pub_heartbeat(c->pub, c->committed_head);
        pthread_mutex_unlock(&c->order_lock);
    }
    atomic_fetch_sub(&c->running, 1);
    return NULL;
}

/* ---- lifecycle ---- */

ingest_commit_t *ingest_commit_start(const settings_t *s, intake_queue_t *q, void *zctx)
{
    stream_pub_t *pub = stream_pub_new(zctx, s->ingest_publish, "events", s->ingest_stream);
    if (!pub) {
        return NULL;
    }
    ingest_commit_t *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->q = q;
    c->pub = pub;
    c->nwriters = (int)s->ingest_batch_connections;
    if (c->nwriters < 1 || c->nwriters > INGEST_WRITERS_MAX) {
        c->nwriters = 1;
    }
    atomic_init(&c->stop, false);
    atomic_init(&c->running, c->nwriters);
    atomic_init(&c->connected, 0);
    pthread_mutex_init(&c->cancel_lock, NULL);
    pthread_mutex_init(&c->order_lock, NULL);
    pthread_cond_init(&c->order_cond, NULL);
    c->drain_deadline_us = INT64_MAX;
    wire_buf_init(&c->wire);
    /* Until a writer has read the head, nothing is accepted. */
    intake_set_db_down(q, true);
    static const double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
    static const double sec_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1};
    c->m_batch_events =
        metrics_histogram("alertdesk_ingest_batch_events", "Events per committed transaction", NULL,
                          batch_bounds, sizeof batch_bounds / sizeof *batch_bounds);
    c->m_commit_seconds =
        metrics_histogram("alertdesk_ingest_commit_seconds", "Time to write and commit one batch",
                          NULL, sec_bounds, sizeof sec_bounds / sizeof *sec_bounds);
    c->m_commits = metrics_counter("alertdesk_ingest_commits_total", "Committed batches", NULL);
    c->m_commit_failures = metrics_counter("alertdesk_ingest_commit_failures_total",
                                           "Batches the database did not commit", NULL);
    c->m_dead = metrics_counter("alertdesk_ingest_dead_letters_stored_total",
                                "Undecodable messages stored in dead_letters", NULL);
    for (int k = 0; k < 3; k++) {
        for (int f = 1; f <= 4; f++) {
            char labels[96];
            snprintf(labels, sizeof labels, "intake=\"%s\",format=\"%s\"", ingest_kind_names[k],
                     event_format_name((event_format_t)f));
            c->m_stored[k][f] = metrics_counter("alertdesk_ingest_stored_total",
                                                "Events committed to PostgreSQL", labels);
        }
        c->m_stored[k][0] = c->m_stored[k][1];
    }
    for (int i = 0; i < c->nwriters; i++) {
        ingest_writer_t *w = &c->writers[i];
        w->c = c;
        w->index = i;
        db_copy_init(&w->copy);
        if (pthread_create(&w->thread, NULL, ingest_writer_main, w) != 0) {
            log_fatal("msg=\"cannot start committer thread\"");
        }
    }
    return c;
}

void ingest_commit_stop(ingest_commit_t **cp)
{
    if (!cp || !*cp) {
        return;
    }
    ingest_commit_t *c = *cp;
    c->drain_deadline_us = ingest_mono_us() + c->s->ingest_drain_timeout_ms * 1000;
    atomic_store(&c->stop, true);
    /* Statements stuck past the drain deadline are cancelled so the writers
     * can answer their requests and leave. */
    int64_t next_cancel_us = c->drain_deadline_us;
    while (atomic_load(&c->running) > 0) {
        if (ingest_mono_us() > next_cancel_us) {
            char errbuf[256];
            pthread_mutex_lock(&c->cancel_lock);
            for (int i = 0; i < c->nwriters; i++) {
                if (c->writers[i].cancel) {
                    PQcancel(c->writers[i].cancel, errbuf, sizeof errbuf);
                }
            }
            pthread_mutex_unlock(&c->cancel_lock);
            next_cancel_us = ingest_mono_us() + 500 * 1000;
        }
        usleep(10 * 1000);
    }
    for (int i = 0; i < c->nwriters; i++) {
        ingest_writer_t *w = &c->writers[i];
        pthread_join(w->thread, NULL);
        ingest_writer_set_cancel(w, NULL);
        if (w->conn) {
            PQfinish(w->conn);
        }
        db_copy_free(&w->copy);
    }
    pthread_mutex_destroy(&c->cancel_lock);
    pthread_mutex_destroy(&c->order_lock);
    pthread_cond_destroy(&c->order_cond);
    stream_pub_destroy(&c->pub);
    wire_buf_free(&c->wire);
    free(c);
    *cp = NULL;
}

bool ingest_commit_db_ok(ingest_commit_t *c)
{
    return atomic_load(&c->connected) > 0;
}
