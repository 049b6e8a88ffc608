/*
 * ingest_commit - group commit of intake requests into `events`, then
 * publication on the `events` stream. See ingest_commit.h.
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

struct ingest_commit {
    const settings_t *s;
    intake_queue_t *q;
    stream_pub_t *pub;
    pthread_t thread;
    atomic_bool stop;
    atomic_bool done;          /* the thread has left its loop */
    int64_t drain_deadline_us; /* set when stop is requested */
    pthread_mutex_t cancel_lock;
    PGcancel *cancel; /* lets ingest_commit_stop() cancel a stuck statement */
    atomic_bool db_ok;
    PGconn *conn;
    int64_t head; /* last committed seq of our stream */
    db_copy_t copy;
    wire_buf_t wire;
    int64_t next_heartbeat_us, next_partition_us;
    int64_t last_db_contact_us; /* last commit or probe that reached the server */
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

static void ingest_commit_set_cancel(ingest_commit_t *c, PGcancel *cancel)
{
    pthread_mutex_lock(&c->cancel_lock);
    if (c->cancel) {
        PQfreeCancel(c->cancel);
    }
    c->cancel = cancel;
    pthread_mutex_unlock(&c->cancel_lock);
}

static void ingest_commit_disconnect(ingest_commit_t *c)
{
    ingest_commit_set_cancel(c, NULL);
    if (c->conn) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    atomic_store(&c->db_ok, false);
    intake_set_db_down(c->q, true);
}

/* One writer per stream: a session advisory lock on the stream name. The
 * compare-and-set on stream_heads already makes a second writer fail; the
 * lock makes it fail early with a clear message. */
static int ingest_commit_lock_stream(ingest_commit_t *c)
{
    const char *params[] = {c->s->ingest_stream};
    PGresult *res = NULL;
    if (db_exec(c->conn, "ingest.lock_stream",
                "SELECT pg_try_advisory_lock(hashtext('alertdesk.stream'), hashtext($1))", 1,
                params, &res) != DB_OK) {
        return -1;
    }
    int locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!locked) {
        log_error("msg=\"another ingest is writing this stream; set a distinct ingest.stream per "
                  "instance\" stream=%s",
                  c->s->ingest_stream);
        return -1;
    }
    return 0;
}

/* ingest_commit_partitions - hourly housekeeping: the next days' partitions
 * exist before their first event, and days past ingest.retention go. */
static void ingest_commit_partitions(ingest_commit_t *c)
{
    const char *params[] = {INGEST_PARTITION_DAYS_AHEAD};
    PGresult *res = NULL;
    if (db_exec(c->conn, "ingest.partitions", "SELECT alertdesk_events_ensure_partitions($1)", 1,
                params, &res) == DB_OK) {
        int created = atoi(PQgetvalue(res, 0, 0));
        if (created > 0) {
            log_info("msg=\"event partitions created\" count=%d", created);
        }
        PQclear(res);
    }
    if (c->s->ingest_retention_ms > 0) {
        char keep[48];
        snprintf(keep, sizeof keep, "%lld milliseconds", (long long)c->s->ingest_retention_ms);
        const char *p2[] = {keep};
        PGresult *r2 = NULL;
        if (db_exec(c->conn, "ingest.retention", "SELECT alertdesk_events_drop_older_than($1)", 1,
                    p2, &r2) == DB_OK) {
            int dropped = atoi(PQgetvalue(r2, 0, 0));
            if (dropped > 0) {
                log_info("msg=\"old event partitions dropped\" count=%d retention_ms=%lld", dropped,
                         (long long)c->s->ingest_retention_ms);
            }
            PQclear(r2);
        }
    }
    c->next_partition_us = ingest_mono_us() + INGEST_PARTITION_EVERY_US;
}

static int ingest_commit_connect(ingest_commit_t *c)
{
    c->conn = db_connect(c->s->database_url, c->s->database_connect_timeout_ms);
    if (!c->conn) {
        return -1;
    }
    if (ingest_commit_lock_stream(c) < 0 ||
        db_stream_head(c->conn, c->s->ingest_stream, &c->head) != DB_OK) {
        PQfinish(c->conn);
        c->conn = NULL;
        return -1;
    }
    ingest_commit_partitions(c);
    ingest_commit_set_cancel(c, PQgetCancel(c->conn));
    atomic_store(&c->db_ok, true);
    intake_set_db_down(c->q, false);
    log_info("msg=\"database connected\" stream=%s head=%" PRId64, c->s->ingest_stream, c->head);
    return 0;
}

/* ---- one transaction ---- */

static db_status_t ingest_commit_dead(ingest_commit_t *c, const intake_req_t *req)
{
    for (size_t i = 0; i < req->ndead; i++) {
        const intake_dead_letter_t *d = &req->dead[i];
        const char *values[] = {ingest_kind_names[req->kind], d->origin, d->reason, d->body};
        int lengths[] = {0, 0, 0, (int)d->body_len};
        int formats[] = {0, 0, 0, 1}; /* body as binary bytea: it may hold anything */
        PGresult *res = PQexecParams(c->conn,
                                     "INSERT INTO dead_letters (intake, origin, reason, body) "
                                     "VALUES ($1, $2, $3, $4::bytea)",
                                     4, NULL, values, lengths, formats, 0);
        db_status_t st =
            PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : db_classify(c->conn, res);
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

/* Writes the chain in one transaction. On DB_OK the events' seq are set and
 * c->head advanced. */
static db_status_t ingest_commit_write(ingest_commit_t *c, intake_req_t *chain)
{
    int64_t seq = c->head;
    db_copy_reset(&c->copy);
    for (intake_req_t *r = chain; r; r = r->next) {
        const char *raw = c->s->ingest_keep_raw ? r->raw_body : NULL;
        for (size_t i = 0; i < r->nevents; i++) {
            r->events[i]->seq = ++seq;
            event_store_copy_row(&c->copy, c->s->ingest_stream, r->events[i], raw);
        }
    }
    db_status_t st = db_command(c->conn, "ingest.begin", "BEGIN");
    if (st == DB_OK && seq > c->head) {
        st = db_copy_send(c->conn, "ingest.copy", EVENT_STORE_COPY_SQL, &c->copy);
    }
    for (intake_req_t *r = chain; r && st == DB_OK; r = r->next) {
        st = ingest_commit_dead(c, r);
    }
    if (st == DB_OK && seq > c->head) {
        st = db_stream_advance(c->conn, c->s->ingest_stream, c->head, seq);
    }
    if (st == DB_OK) {
        st = db_command(c->conn, "ingest.commit", "COMMIT");
    }
    if (st != DB_OK) {
        if (PQstatus(c->conn) == CONNECTION_OK) {
            PQclear(PQexec(c->conn, "ROLLBACK"));
        }
        return st;
    }
    c->head = seq;
    return DB_OK;
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

/* Commits a chain: retries once on a fresh connection, isolates a request
 * that the database refuses for good, then answers and publishes. Requests
 * are answered before publication and published in seq order. */
static void ingest_commit_chain(ingest_commit_t *c, intake_req_t *chain, size_t nevents)
{
    int64_t t0 = ingest_mono_us();
    db_status_t st = ingest_commit_write(c, chain);
    if (st == DB_RETRY && !atomic_load(&c->stop)) {
        ingest_commit_disconnect(c);
        if (ingest_commit_connect(c) == 0) {
            st = ingest_commit_write(c, chain);
        }
    }
    if (st == DB_FATAL && chain->next) {
        /* One request's rows broke a constraint: commit each on its own so
         * the others are not refused with it. */
        while (chain) {
            intake_req_t *next = chain->next;
            chain->next = NULL;
            ingest_commit_chain(c, chain, chain->nevents);
            chain = next;
        }
        return;
    }
    if (st == DB_OK) {
        c->last_db_contact_us = ingest_mono_us();
        metric_observe(c->m_commit_seconds, (double)(ingest_mono_us() - t0) / 1e6);
        metric_observe(c->m_batch_events, (double)nevents);
        metric_inc(c->m_commits);
        ingest_commit_count(c, chain);
        /* Publish before answering: done() hands each request back to its
         * owner, who frees it. Both happen after COMMIT, which is the rule. */
        ingest_commit_publish(c, chain);
        ingest_commit_answer(chain, INTAKE_COMMITTED);
        return;
    }
    metric_inc(c->m_commit_failures);
    if (st == DB_RETRY || !c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        ingest_commit_disconnect(c);
        ingest_commit_answer(chain, INTAKE_UNAVAILABLE);
    } else {
        ingest_commit_answer(chain, INTAKE_FAILED);
    }
}

static void ingest_commit_refuse_all(ingest_commit_t *c)
{
    size_t n;
    intake_req_t *chain;
    while ((chain = intake_take(c->q, SIZE_MAX, 0, 0, &n)) != NULL) {
        ingest_commit_answer(chain, INTAKE_UNAVAILABLE);
    }
}

static void *ingest_commit_main(void *arg)
{
    ingest_commit_t *c = arg;
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
        if (!c->conn) {
            if (ingest_commit_connect(c) < 0) {
                intake_set_db_down(c->q, true);
                ingest_commit_refuse_all(c);
                if (stopping) {
                    break;
                }
                for (int64_t w = 0; w < backoff_ms && !atomic_load(&c->stop); w += 20) {
                    usleep(20 * 1000);
                }
                backoff_ms = backoff_ms * 2 > c->s->database_retry_max_ms
                                 ? c->s->database_retry_max_ms
                                 : backoff_ms * 2;
                continue;
            }
            backoff_ms = 100;
        }
        if (now >= c->next_heartbeat_us) {
            /* An idle connection learns nothing of a server that went away:
             * probe it so /healthz and the intakes know before a sender does. */
            if (now - c->last_db_contact_us >= c->s->ingest_heartbeat_ms * 1000 &&
                db_command(c->conn, "ingest.probe", "SELECT 1") != DB_OK) {
                ingest_commit_disconnect(c);
                continue;
            }
            c->last_db_contact_us = now;
            stream_pub_heartbeat(c->pub, c->head);
            c->next_heartbeat_us = now + c->s->ingest_heartbeat_ms * 1000;
        }
        if (now >= c->next_partition_us) {
            ingest_commit_partitions(c);
        }
        size_t n = 0;
        int64_t wait_us = c->next_heartbeat_us - now;
        if (wait_us > 100000) {
            wait_us = 100000;
        }
        intake_req_t *chain = intake_take(c->q, (size_t)c->s->ingest_batch_max_events,
                                          stopping ? 0 : (wait_us > 0 ? wait_us : 1),
                                          c->s->ingest_batch_max_wait_us, &n);
        if (chain) {
            ingest_commit_chain(c, chain, n);
        } else if (stopping) {
            break; /* drained */
        }
    }
    if (c->conn) {
        stream_pub_heartbeat(c->pub, c->head);
    }
    atomic_store(&c->done, true);
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
    atomic_init(&c->stop, false);
    atomic_init(&c->done, false);
    atomic_init(&c->db_ok, false);
    pthread_mutex_init(&c->cancel_lock, NULL);
    c->drain_deadline_us = INT64_MAX;
    db_copy_init(&c->copy);
    wire_buf_init(&c->wire);
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
    c->next_heartbeat_us = 0;
    if (pthread_create(&c->thread, NULL, ingest_commit_main, c) != 0) {
        log_fatal("msg=\"cannot start committer thread\"");
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
    /* A statement stuck past the drain deadline is cancelled so the thread
     * can answer its requests and leave. */
    int64_t next_cancel_us = c->drain_deadline_us;
    while (!atomic_load(&c->done)) {
        if (ingest_mono_us() > next_cancel_us) {
            char errbuf[256];
            pthread_mutex_lock(&c->cancel_lock);
            if (c->cancel) {
                PQcancel(c->cancel, errbuf, sizeof errbuf);
            }
            pthread_mutex_unlock(&c->cancel_lock);
            next_cancel_us = ingest_mono_us() + 500 * 1000;
        }
        usleep(10 * 1000);
    }
    pthread_join(c->thread, NULL);
    ingest_commit_set_cancel(c, NULL);
    pthread_mutex_destroy(&c->cancel_lock);
    if (c->conn) {
        PQfinish(c->conn);
    }
    stream_pub_destroy(&c->pub);
    db_copy_free(&c->copy);
    wire_buf_free(&c->wire);
    free(c);
    *cp = NULL;
}

bool ingest_commit_db_ok(ingest_commit_t *c)
{
    return atomic_load(&c->db_ok);
}
