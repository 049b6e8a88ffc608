/*
 * ingest_kafka - the Kafka intake: poll a batch, decode, store it through
 * the group committer, then commit the offsets. See ingest_kafka.h for the
 * delivery promise (at-least-once into `events`, poison messages to
 * dead_letters).
 *
 * One thread owns the consumer and does everything: polling, decoding,
 * waiting for the commit, committing offsets. librdkafka's callbacks
 * (rebalance, errors, statistics) are served from rd_kafka_consumer_poll()
 * on that same thread, so the batch needs no lock. Only the log callback
 * runs on librdkafka's threads (log.c is thread-safe) and the health flags
 * are atomics read by the daemon's /healthz.
 *
 * Rebalances use the eager protocol (range, roundrobin), which librdkafka's
 * mock cluster supports as well as a real broker: on revoke the batch in
 * hand, stored or not, is simply forgotten without committing; whoever gets
 * the partition consumes it again from the last committed offset.
 *
 * Not here: decoding rules (common/decode_*.c), the transaction and the
 * dead_letters rows (ingest_commit.c), producing to Kafka (cluster mode).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "decode.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

#include "ingest_kafka.h"
#include "ingest_kafka_batch.h"
#include "intake.h"

#define INGEST_KAFKA_BATCH_MSGS      1000    /* messages per batch, at most */
#define INGEST_KAFKA_LINGER_MS       5       /* wait for more after the first message */
#define INGEST_KAFKA_IDLE_POLL_MS    100     /* poll timeout while idle: stop latency */
#define INGEST_KAFKA_BACKOFF_MIN_MS  100     /* first retry of a batch the queue refused */
#define INGEST_KAFKA_BACKOFF_MAX_MS  5000    /* ... doubling up to this */
#define INGEST_KAFKA_COMMIT_TRIES    3       /* offset commit attempts on retriable errors */
#define INGEST_KAFKA_HEALTH_CHECK_US 2000000 /* metadata probe while no broker answers */
/* Kafka's default was 10 s before 3.0; 45 s (the new default) would keep a
 * killed member's partitions unread for 45 s before the group moves them. */
#define INGEST_KAFKA_SESSION_TIMEOUT "10000"

struct ingest_kafka {
    const settings_t *s;  /* borrowed */
    intake_queue_t *q;    /* borrowed */
    decode_context_t ctx; /* a copy; what it points to is borrowed */
    rd_kafka_t *rk;       /* owned by the consumer thread once it runs */
    pthread_t thread;
    size_t max_events; /* per batch */
    ingest_kafka_batch_t batch;
    ingest_kafka_batch_t carry; /* polled while a batch waited: next batch */
    bool revoked;               /* set by the rebalance callback: forget the batch */
    int64_t next_health_check_us;
    atomic_bool stop;
    atomic_bool running;
    atomic_bool fatal;
    atomic_bool brokers_down;
    /* metrics: registry-owned, shared with ingest.c by name and labels */
    metric_t *m_received[5];
    metric_t *m_accepted[5];
    metric_t *m_rejected_invalid;
    metric_t *m_rejected_body;
    metric_t *m_dead;
    metric_t *m_commits;
    metric_t *m_commit_failures;
    metric_t *m_retries;
};

typedef enum { INGEST_KAFKA_STORED, INGEST_KAFKA_DROPPED } ingest_kafka_outcome_t;

static int64_t ingest_kafka_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- metrics ------------------------------------------------------------ */

/* ingest_kafka_metrics - the same series as ingest.c's for intake="kafka"
 * (the registry returns the existing metric for a known name and labels). */
static void ingest_kafka_metrics(ingest_kafka_t *k)
{
    char labels[96];
    for (int f = EVENT_FORMAT_NATIVE; f <= EVENT_FORMAT_ZABBIX; f++) {
        snprintf(labels, sizeof labels, "intake=\"kafka\",format=\"%s\"",
                 event_format_name((event_format_t)f));
        k->m_received[f] = metrics_counter("alertdesk_ingest_received_total",
                                           "Requests (Kafka: messages) received", labels);
        k->m_accepted[f] = metrics_counter("alertdesk_ingest_accepted_total",
                                           "Events that passed validation", labels);
    }
    k->m_received[0] = k->m_received[EVENT_FORMAT_NATIVE];
    k->m_accepted[0] = k->m_accepted[EVENT_FORMAT_NATIVE];
    const char *help = "Events or requests refused (invalid/body: per event; others: per request)";
    k->m_rejected_invalid = metrics_counter("alertdesk_ingest_rejected_total", help,
                                            "intake=\"kafka\",reason=\"invalid\"");
    k->m_rejected_body = metrics_counter("alertdesk_ingest_rejected_total", help,
                                         "intake=\"kafka\",reason=\"body\"");
    k->m_dead =
        metrics_counter("alertdesk_ingest_dead_letters_total",
                        "Messages handed to the committer as dead letters", "intake=\"kafka\"");
    k->m_commits = metrics_counter("alertdesk_kafka_commits_total",
                                   "Offset commits to Kafka after a stored batch", NULL);
    k->m_commit_failures =
        metrics_counter("alertdesk_kafka_commit_failures_total",
                        "Offset commits Kafka refused (the batch will be consumed again)", NULL);
    k->m_retries = metrics_counter("alertdesk_kafka_batch_retries_total",
                                   "Batches submitted again after the queue refused them", NULL);
}

/* ---- librdkafka callbacks ---------------------------------------------- */

/* ingest_kafka_on_log - librdkafka's own log lines, on its threads */
static void ingest_kafka_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    char qbuf[1024];
    (void)rk;
    log_level_t lvl = level <= 3   ? LOG_ERROR
                      : level <= 4 ? LOG_WARN
                      : level <= 6 ? LOG_INFO
                                   : LOG_DEBUG;
    log_msg(lvl, "msg=rdkafka fac=%s text=%s", fac, log_q(buf, qbuf, sizeof qbuf));
}

/* ingest_kafka_on_error - client-level errors; most are transient */
static void ingest_kafka_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ingest_kafka_t *k = opaque;
    char qbuf[512], fatal[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        atomic_store(&k->fatal, true);
        log_error("msg=\"kafka fatal error\" error=%s reason=%s", rd_kafka_err2name(orig),
                  log_q(fatal, qbuf, sizeof qbuf));
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        atomic_store(&k->brokers_down, true);
    }
    log_warn("msg=\"kafka error\" error=%s reason=%s", rd_kafka_err2name(err),
             log_q(reason, qbuf, sizeof qbuf));
}

/* ingest_kafka_on_stats - consumer lag per topic from librdkafka's
 * statistics JSON (topics.T.partitions.P.consumer_lag, -1 when unknown). */
static int ingest_kafka_on_stats(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    (void)rk;
    (void)opaque;
    json_t *root = json_loadb(json, json_len, 0, NULL);
    json_t *topics = json_object_get(root, "topics");
    const char *tname;
    json_t *topic;
    json_object_foreach(topics, tname, topic)
    {
        json_t *parts = json_object_get(topic, "partitions");
        const char *pname;
        json_t *part;
        double lag = 0;
        bool known = false;
        json_object_foreach(parts, pname, part)
        {
            json_t *l = json_object_get(part, "consumer_lag");
            if (strcmp(pname, "-1") != 0 && json_is_integer(l) && json_integer_value(l) >= 0) {
                lag += (double)json_integer_value(l);
                known = true;
            }
        }
        if (!known) {
            continue;
        }
        char *esc = metrics_label_escape(tname);
        char *labels = xasprintf("topic=\"%s\"", esc);
        metric_set(metrics_gauge("alertdesk_kafka_consumer_lag",
                                 "Messages not yet committed, per topic (librdkafka statistics)",
                                 labels),
                   lag);
        free(labels);
        free(esc);
    }
    json_decref(root);
    return 0; /* librdkafka frees json */
}

/* ingest_kafka_on_rebalance - eager protocol: assign or revoke everything */
static void ingest_kafka_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    ingest_kafka_t *k = opaque;
    char list[512];
    size_t off = 0;
    list[0] = '\0';
    for (int i = 0; parts && i < parts->cnt && off < sizeof list; i++) {
        int n = snprintf(list + off, sizeof list - off, "%s%s/%d", i ? "," : "",
                         parts->elems[i].topic, (int)parts->elems[i].partition);
        off += n > 0 ? (size_t)n : 0;
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_info("msg=\"kafka partitions assigned\" partitions=%s", list[0] ? list : "none");
        rd_kafka_assign(rk, parts);
        /* A partition we paused in an earlier generation must not stay paused. */
        rd_kafka_resume_partitions(rk, parts);
        atomic_store(&k->brokers_down, false);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        log_info("msg=\"kafka partitions revoked\" partitions=%s batch_messages=%zu",
                 list[0] ? list : "none", k->batch.n + k->carry.n);
    } else {
        log_warn("msg=\"kafka rebalance error\" error=%s", rd_kafka_err2name(err));
    }
    /* Uncommitted messages of these partitions will be consumed again by
     * whoever gets them: the batch in hand is forgotten. */
    k->revoked = true;
    rd_kafka_assign(rk, NULL);
}

/* ---- polling ------------------------------------------------------------ */

/*
 * ingest_kafka_poll - one rd_kafka_consumer_poll(). Returns a message to
 * keep (caller owns it: rd_kafka_message_destroy()), or NULL for nothing,
 * a consumer error (logged) or an end-of-partition event.
 */
static rd_kafka_message_t *ingest_kafka_poll(ingest_kafka_t *k, int timeout_ms)
{
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(k->rk, timeout_ms);
    if (!rkm) {
        return NULL;
    }
    if (rkm->err) {
        char qbuf[512];
        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            log_warn("msg=\"kafka consumer error\" topic=%s partition=%d error=%s reason=%s",
                     rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "-", (int)rkm->partition,
                     rd_kafka_err2name(rkm->err),
                     log_q(rd_kafka_message_errstr(rkm), qbuf, sizeof qbuf));
        }
        rd_kafka_message_destroy(rkm);
        return NULL;
    }
    atomic_store(&k->brokers_down, false);
    return rkm;
}

/*
 * ingest_kafka_decode - decode m and, when count, update the received,
 * accepted and rejected series (not when a batch is decoded again after the
 * database refused it).
 */
static void ingest_kafka_decode(ingest_kafka_t *k, ingest_kafka_msg_t *m, bool count)
{
    ingest_kafka_batch_decode(m, k->s, &k->ctx);
    if (count) {
        metric_inc(k->m_received[m->format]);
        metric_add(k->m_accepted[m->format], (double)m->nevents);
        if (m->body_refused) {
            metric_inc(k->m_rejected_body);
        } else {
            metric_add(k->m_rejected_invalid, (double)m->nrejected);
        }
    }
    if (m->dead_reason && count) {
        char origin[320], q1[340], q2[INGEST_KAFKA_BATCH_REASON_MAX + 64];
        log_info("msg=\"kafka message rejected\" origin=%s events=%zu reason=%s",
                 log_q(ingest_kafka_batch_origin(m->rkm, origin, sizeof origin), q1, sizeof q1),
                 m->nevents, log_q(m->dead_reason, q2, sizeof q2));
    }
}

/* Decodes rkm (taking ownership) and adds it to b. */
static void ingest_kafka_add(ingest_kafka_t *k, ingest_kafka_batch_t *b, rd_kafka_message_t *rkm)
{
    ingest_kafka_msg_t m = {.rkm = rkm, .received_at_us = event_now_us()};
    ingest_kafka_decode(k, &m, true);
    ingest_kafka_batch_push(b, &m);
}

/*
 * ingest_kafka_collect - fill k->batch: the carried-over messages first,
 * then poll until INGEST_KAFKA_BATCH_MSGS messages or max_events events, or
 * INGEST_KAFKA_LINGER_MS after the first message. Returns with an empty
 * batch after an idle poll, so that the caller checks stop and health.
 */
static void ingest_kafka_collect(ingest_kafka_t *k)
{
    ingest_kafka_batch_t *b = &k->batch;
    for (size_t i = 0; i < k->carry.n; i++) {
        ingest_kafka_batch_push(b, &k->carry.msgs[i]);
    }
    k->carry.n = 0;
    k->carry.nevents = 0;

    int64_t deadline = b->n ? ingest_kafka_mono_us() + INGEST_KAFKA_LINGER_MS * 1000 : 0;
    while (!atomic_load(&k->stop) && b->n < INGEST_KAFKA_BATCH_MSGS && b->nevents < k->max_events) {
        int timeout_ms = INGEST_KAFKA_IDLE_POLL_MS;
        if (b->n) {
            int64_t left = deadline - ingest_kafka_mono_us();
            if (left <= 0) {
                break;
            }
            timeout_ms = (int)((left + 999) / 1000);
        }
        rd_kafka_message_t *rkm = ingest_kafka_poll(k, timeout_ms);
        if (k->revoked) {
            /* Whatever was collected belongs to the old assignment. */
            ingest_kafka_batch_clear(b);
            k->revoked = false;
            deadline = 0;
        }
        if (!rkm) {
            if (b->n == 0) {
                return; /* idle */
            }
            continue;
        }
        ingest_kafka_add(k, b, rkm);
        if (b->n == 1) {
            deadline = ingest_kafka_mono_us() + INGEST_KAFKA_LINGER_MS * 1000;
        }
    }
}

/* ---- storing and committing --------------------------------------------- */

/* Pauses (pause = true) or resumes the current assignment. */
static void ingest_kafka_pause(ingest_kafka_t *k, bool pause)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(k->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) {
        return;
    }
    if (parts->cnt > 0) {
        rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(k->rk, parts)
                                        : rd_kafka_resume_partitions(k->rk, parts);
        if (err) {
            log_warn("msg=\"kafka %s failed\" error=%s", pause ? "pause" : "resume",
                     rd_kafka_err2name(err));
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/*
 * ingest_kafka_wait - back off for ms while the partitions are paused,
 * still serving the consumer (rebalances, heartbeats run in the background,
 * max.poll.interval.ms). A message polled meanwhile is kept for the next
 * batch, never dropped.
 */
static void ingest_kafka_wait(ingest_kafka_t *k, int ms)
{
    int64_t until = ingest_kafka_mono_us() + (int64_t)ms * 1000;
    int64_t left;
    while (!atomic_load(&k->stop) && !k->revoked && (left = until - ingest_kafka_mono_us()) > 0) {
        int step = (int)((left + 999) / 1000);
        rd_kafka_message_t *rkm = ingest_kafka_poll(k, step < 100 ? step : 100);
        if (rkm && !k->revoked) {
            ingest_kafka_add(k, &k->carry, rkm);
        } else if (rkm) {
            rd_kafka_message_destroy(rkm);
        }
    }
}

/*
 * ingest_kafka_submit - submit req until the committer takes it for good.
 * Returns INTAKE_COMMITTED, INTAKE_FAILED, or INTAKE_UNAVAILABLE when it gave
 * up because of stop or a revoke. The caller keeps req either way.
 */
static intake_status_t ingest_kafka_submit(ingest_kafka_t *k, intake_req_t *req)
{
    int backoff = INGEST_KAFKA_BACKOFF_MIN_MS;
    bool paused = false;
    intake_status_t st;
    for (;;) {
        st = intake_submit_wait(k->q, req);
        if (st == INTAKE_COMMITTED || st == INTAKE_FAILED) {
            break;
        }
        if (atomic_load(&k->stop) || intake_stopping(k->q) || k->revoked) {
            st = INTAKE_UNAVAILABLE;
            break;
        }
        if (!paused) {
            log_warn("msg=\"kafka batch refused; pausing partitions\" status=%d events=%zu "
                     "dead=%zu",
                     (int)st, req->nevents, req->ndead);
            ingest_kafka_pause(k, true);
            paused = true;
        }
        metric_inc(k->m_retries);
        ingest_kafka_wait(k, backoff);
        if (k->revoked) {
            st = INTAKE_UNAVAILABLE;
            break;
        }
        backoff =
            backoff * 2 > INGEST_KAFKA_BACKOFF_MAX_MS ? INGEST_KAFKA_BACKOFF_MAX_MS : backoff * 2;
    }
    if (paused && !k->revoked) {
        ingest_kafka_pause(k, false);
        log_info("msg=\"kafka partitions resumed\" status=%d", (int)st);
    }
    return st;
}

/*
 * ingest_kafka_store_one - after the database refused a whole batch for
 * good: store each message alone, and dead-letter the one it refuses.
 */
static intake_status_t ingest_kafka_store_one(ingest_kafka_t *k, ingest_kafka_msg_t *m)
{
    if (!m->events && !m->dead_reason) {
        ingest_kafka_decode(k, m, false);
    }
    if (!m->events && !m->dead_reason) {
        return INTAKE_COMMITTED; /* nothing to store (an empty list) */
    }
    intake_req_t *req = ingest_kafka_batch_request(m, 1);
    intake_status_t st = ingest_kafka_submit(k, req);
    intake_req_destroy(&req);
    if (st != INTAKE_FAILED) {
        return st;
    }
    char origin[320];
    log_error("msg=\"database refused a kafka message; storing it as a dead letter\" origin=%s",
              ingest_kafka_batch_origin(m->rkm, origin, sizeof origin));
    free(m->dead_reason);
    m->dead_reason = xstrdup("database: refused this message's events (see the ingest log)");
    req = ingest_kafka_batch_request(m, 1);
    int backoff = INGEST_KAFKA_BACKOFF_MIN_MS;
    /* A dead letter alone is refused for good only by a bug: keep trying
     * rather than drop, and let the log and the metrics say so. */
    while ((st = ingest_kafka_submit(k, req)) == INTAKE_FAILED) {
        log_error("msg=\"database refused a dead letter; retrying\" origin=%s", origin);
        ingest_kafka_wait(k, backoff);
        backoff =
            backoff * 2 > INGEST_KAFKA_BACKOFF_MAX_MS ? INGEST_KAFKA_BACKOFF_MAX_MS : backoff * 2;
        if (atomic_load(&k->stop) || k->revoked) {
            st = INTAKE_UNAVAILABLE;
            break;
        }
    }
    intake_req_destroy(&req);
    return st;
}

/* ingest_kafka_store - the batch into PostgreSQL; STORED when every message
 * of it was committed there (as events or dead letters). */
static ingest_kafka_outcome_t ingest_kafka_store(ingest_kafka_t *k)
{
    ingest_kafka_batch_t *b = &k->batch;
    intake_req_t *req = ingest_kafka_batch_request(b->msgs, b->n);
    size_t ndead = req->ndead;
    if (req->nevents == 0 && ndead == 0) {
        intake_req_destroy(&req);
        return INGEST_KAFKA_STORED; /* only empty lists: nothing to store */
    }
    intake_status_t st = ingest_kafka_submit(k, req);
    intake_req_destroy(&req);
    if (st == INTAKE_COMMITTED) {
        metric_add(k->m_dead, (double)ndead);
        return INGEST_KAFKA_STORED;
    }
    if (st == INTAKE_UNAVAILABLE) {
        return INGEST_KAFKA_DROPPED;
    }
    /* INTAKE_FAILED: some row broke a constraint. Find the message. */
    log_error("msg=\"database refused a kafka batch; storing its messages one by one\" "
              "messages=%zu",
              b->n);
    for (size_t i = 0; i < b->n; i++) {
        /* The events were moved into the destroyed request: decode again. */
        free(b->msgs[i].dead_reason);
        b->msgs[i].dead_reason = NULL;
        if (ingest_kafka_store_one(k, &b->msgs[i]) != INTAKE_COMMITTED) {
            return INGEST_KAFKA_DROPPED; /* stop or revoke: consumed again later */
        }
        if (b->msgs[i].dead_reason) {
            metric_inc(k->m_dead);
        }
    }
    return INGEST_KAFKA_STORED;
}

/* ingest_kafka_commit - offset+1 of the last message of each partition,
 * synchronously. A refused commit only means the messages come again. */
static void ingest_kafka_commit(ingest_kafka_t *k)
{
    rd_kafka_topic_partition_list_t *offsets = ingest_kafka_batch_offsets(&k->batch);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 1; attempt <= INGEST_KAFKA_COMMIT_TRIES; attempt++) {
        err = rd_kafka_commit(k->rk, offsets, 0 /* synchronous */);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
            break;
        }
        bool retriable = err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                         err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
                         err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
                         err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
                         err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
                         err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
        if (!retriable || attempt == INGEST_KAFKA_COMMIT_TRIES) {
            break;
        }
        struct timespec ts = {.tv_nsec = 200 * 1000000L * attempt};
        nanosleep(&ts, NULL);
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        metric_inc(k->m_commits);
        for (int i = 0; i < offsets->cnt; i++) {
            log_debug("msg=\"kafka offset committed\" topic=%s partition=%d offset=%lld",
                      offsets->elems[i].topic, (int)offsets->elems[i].partition,
                      (long long)offsets->elems[i].offset);
        }
    } else {
        metric_inc(k->m_commit_failures);
        log_warn("msg=\"kafka offset commit failed; stored messages will be consumed again\" "
                 "error=%s partitions=%d",
                 rd_kafka_err2name(err), offsets->cnt);
    }
    rd_kafka_topic_partition_list_destroy(offsets);
}

/* ---- the thread --------------------------------------------------------- */

/* ingest_kafka_probe - while no broker answers, ask for metadata now and then
 * so that /healthz recovers even when no message flows. */
static void ingest_kafka_probe(ingest_kafka_t *k)
{
    if (!atomic_load(&k->brokers_down)) {
        return;
    }
    int64_t now = ingest_kafka_mono_us();
    if (now < k->next_health_check_us) {
        return;
    }
    k->next_health_check_us = now + INGEST_KAFKA_HEALTH_CHECK_US;
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(k->rk, 0, NULL, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        atomic_store(&k->brokers_down, false);
        log_info("msg=\"kafka brokers reachable again\"");
    }
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
}

static void *ingest_kafka_main(void *arg)
{
    ingest_kafka_t *k = arg;
    while (!atomic_load(&k->stop)) {
        ingest_kafka_collect(k);
        if (k->batch.n == 0) {
            ingest_kafka_probe(k);
            continue;
        }
        if (ingest_kafka_store(k) == INGEST_KAFKA_STORED && !k->revoked) {
            ingest_kafka_commit(k);
        } else {
            log_info("msg=\"kafka batch not committed; it will be consumed again\" "
                     "messages=%zu reason=%s",
                     k->batch.n, k->revoked ? "revoked" : "stopping");
        }
        ingest_kafka_batch_clear(&k->batch);
        if (k->revoked) {
            ingest_kafka_batch_clear(&k->carry);
            k->revoked = false;
        }
    }
    /* Messages polled while the last batch waited were never stored. */
    ingest_kafka_batch_clear(&k->carry);
    /* Leaves the group; the revoke callback runs from here. */
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(k->rk);
    if (err) {
        log_warn("msg=\"kafka consumer close\" error=%s", rd_kafka_err2name(err));
    }
    atomic_store(&k->running, false);
    return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

static int ingest_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        log_error("msg=\"kafka configuration refused\" property=%s error=\"%s\"", name, errstr);
        return -1;
    }
    return 0;
}

/* ingest_kafka_conf - the consumer's configuration. Caller owns the result;
 * free with rd_kafka_conf_destroy() unless rd_kafka_new() took it. */
static rd_kafka_conf_t *ingest_kafka_conf(ingest_kafka_t *k)
{
    const settings_t *s = k->s;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *client_id =
        s->ingest_stream && *s->ingest_stream ? s->ingest_stream : "alertdesk-ingest";
    if (ingest_kafka_set(conf, "bootstrap.servers", s->kafka_brokers) != 0 ||
        ingest_kafka_set(conf, "group.id", s->kafka_group) != 0 ||
        ingest_kafka_set(conf, "client.id", client_id) != 0 ||
        ingest_kafka_set(conf, "enable.auto.commit", "false") != 0 ||
        ingest_kafka_set(conf, "enable.auto.offset.store", "false") != 0 ||
        ingest_kafka_set(conf, "auto.offset.reset", "earliest") != 0 ||
        ingest_kafka_set(conf, "enable.partition.eof", "false") != 0 ||
        ingest_kafka_set(conf, "partition.assignment.strategy", "range,roundrobin") != 0 ||
        ingest_kafka_set(conf, "session.timeout.ms", INGEST_KAFKA_SESSION_TIMEOUT) != 0 ||
        ingest_kafka_set(conf, "statistics.interval.ms", "5000") != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_log_cb(conf, ingest_kafka_on_log);
    rd_kafka_conf_set_error_cb(conf, ingest_kafka_on_error);
    rd_kafka_conf_set_stats_cb(conf, ingest_kafka_on_stats);
    rd_kafka_conf_set_rebalance_cb(conf, ingest_kafka_on_rebalance);
    return conf;
}

ingest_kafka_t *ingest_kafka_start(const settings_t *s, intake_queue_t *q,
                                   const decode_context_t *ctx)
{
    char errstr[512];
    if (!s->kafka_brokers || s->kafka_brokers[0] == '\0') {
        log_info("msg=\"kafka intake disabled\" reason=\"ingest.kafka.brokers is empty\"");
        return NULL;
    }
    if (s->nkafka_topics == 0) {
        log_error("msg=\"kafka intake: ingest.kafka.topics is empty\"");
        return NULL;
    }
    if (!s->kafka_group || s->kafka_group[0] == '\0') {
        log_error("msg=\"kafka intake: ingest.kafka.group is empty\"");
        return NULL;
    }

    ingest_kafka_t *k = xcalloc(1, sizeof *k);
    k->s = s;
    k->q = q;
    k->ctx = *ctx;
    k->max_events = s->ingest_batch_max_events > 0 ? (size_t)s->ingest_batch_max_events : 1000;
    atomic_init(&k->stop, false);
    atomic_init(&k->running, false);
    atomic_init(&k->fatal, false);
    atomic_init(&k->brokers_down, false);
    ingest_kafka_metrics(k);

    rd_kafka_conf_t *conf = ingest_kafka_conf(k);
    if (!conf) {
        goto fail;
    }
    /* rd_kafka_new() takes ownership of conf only on success. */
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!k->rk) {
        log_error("msg=\"kafka consumer not created\" error=\"%s\"", errstr);
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    /* Serve error, stats and rebalance events from rd_kafka_consumer_poll(). */
    rd_kafka_poll_set_consumer(k->rk);

    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)s->nkafka_topics);
    for (size_t i = 0; i < s->nkafka_topics; i++) {
        rd_kafka_topic_partition_list_add(topics, s->kafka_topics[i].name, RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t err = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics); /* subscribe copies it */
    if (err) {
        log_error("msg=\"kafka subscribe failed\" error=%s", rd_kafka_err2name(err));
        goto fail;
    }

    atomic_store(&k->running, true);
    int rc = pthread_create(&k->thread, NULL, ingest_kafka_main, k);
    if (rc != 0) {
        log_error("msg=\"kafka intake thread not started\" error=\"%s\"", strerror(rc));
        atomic_store(&k->running, false);
        goto fail;
    }
    char topics_text[512], qbuf[600];
    size_t off = 0;
    topics_text[0] = '\0';
    for (size_t i = 0; i < s->nkafka_topics && off < sizeof topics_text; i++) {
        const settings_kafka_topic_t *t = &s->kafka_topics[i];
        int n = snprintf(topics_text + off, sizeof topics_text - off, "%s%s:%s", i ? "," : "",
                         t->name, t->auto_format ? "auto" : event_format_name(t->format));
        off += n > 0 ? (size_t)n : 0;
    }
    log_info("msg=\"kafka intake started\" brokers=%s group=%s topics=%s", s->kafka_brokers,
             s->kafka_group, log_q(topics_text, qbuf, sizeof qbuf));
    return k;

fail:
    if (k->rk) {
        rd_kafka_destroy(k->rk);
    }
    free(k);
    return NULL;
}

void ingest_kafka_stop(ingest_kafka_t **kp)
{
    if (!kp || !*kp) {
        return;
    }
    ingest_kafka_t *k = *kp;
    atomic_store(&k->stop, true);
    pthread_join(k->thread, NULL);
    ingest_kafka_batch_free(&k->batch);
    ingest_kafka_batch_free(&k->carry);
    /* The consumer was closed by the thread; this frees what is left. */
    rd_kafka_destroy(k->rk);
    log_info("msg=\"kafka intake stopped\"");
    free(k);
    *kp = NULL;
}

bool ingest_kafka_healthy(const ingest_kafka_t *k)
{
    if (!k) {
        return false;
    }
    ingest_kafka_t *m = (ingest_kafka_t *)k; /* atomics: C11 loads take non-const */
    return atomic_load(&m->running) && !atomic_load(&m->fatal) && !atomic_load(&m->brokers_down);
}
