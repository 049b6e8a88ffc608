/*
 * alertdesk-ticketer - one ticket per incident: consumes the correlator's
 * `incidents` stream, keeps tickets (queue, priority, ITIL state, SLA
 * clocks, append-only audit trail) in PostgreSQL, serves the JSON API and
 * publishes the `tickets` stream (ticket_events) for the notifier.
 *
 * One worker thread owns the incidents consumer (common/stream.c: live rows
 * over ZeroMQ, gaps read back from incident_changes), the batch, and the PUB
 * socket. It loops:
 *   1. apply each incident change (ticketer_incidents.c) inside the open
 *      batch transaction;
 *   2. every batch.max_changes changes or batch.max_wait: the consumer
 *      offsets, the ticket_events rows with their seqs (LAST, see
 *      ticketer_log.h), COMMIT; then publish;
 *   3. every heartbeat: the timers (SLA warnings and breaches, auto-close,
 *      coalesced alert notes) in their own transaction, publish what the
 *      API committed (the outbox), and the stream head.
 * The API's threads (ticketer_api*.c) write tickets in transactions of
 * their own through the same ticketer_ticket.h path and hand their rows to
 * the outbox. Any database failure ends the worker's session; it reconnects
 * and resumes from consumer_offsets, as after a restart. Active/standby:
 * the session starts once it holds the advisory lock "alertdesk.ticketer".
 *
 * Not here: what a change does to a ticket (ticketer_incidents.c,
 * ticketer_ticket.c), the API (ticketer_api*.c), routing (ticket_routing.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "generations.h"
#include "db.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "stream.h"
#include "stream_pg.h"
#include "xalloc.h"

#include "correlator_stream.h"
#include "ticket_routing.h"
#include "ticketer_api.h"
#include "ticketer_incidents.h"
#include "ticketer_log.h"

#define TICKETER_SCHEMA_VERSION 9 /* 0009: survey_answers in the reports */
#define TICKETER_TIMER_LIMIT    500

typedef struct {
    const settings_t *s;
    void *zctx;
    pthread_t thread;
    bool thread_started;
    http_server_t *http;
    ticketer_api_t *api;
    ticketer_outbox_t *outbox;
    atomic_bool stop;

    generations_t routing; /* ticket_routing_t; API threads may hold an older one */

    daemon_health_t health; /* /healthz: written by the worker */

    /* session (worker thread only) */
    PGconn *conn, *fetch_conn;
    stream_consumer_t *consumer;
    stream_pub_t *pub;
    ticketer_log_t *log;
    bool in_txn, failed;
    size_t batch_changes;
    int64_t batch_started_us;
    stream_pg_batch_t offsets;

    metric_t *m_changes, *m_commits, *m_events, *m_sessions, *m_opened;
} ticketer_t;

static int64_t ticketer_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ticketer_routing_load - the routing file, or the defaults for "". */
static ticket_routing_t *ticketer_routing_load(const char *path)
{
    if (!path || !*path) {
        return ticket_routing_default();
    }
    ticket_routing_t *r = NULL;
    char err[1024];
    if (ticket_routing_load(path, &r, err, sizeof err) < 0) {
        log_error("msg=\"bad routing file\" error=\"%s\"", err);
        return NULL;
    }
    return r;
}

static void ticketer_routing_free(void *value)
{
    ticket_routing_t *r = value;
    ticket_routing_destroy(&r);
}

static const ticket_routing_t *ticketer_routing(void *arg)
{
    return generations_current(&((ticketer_t *)arg)->routing);
}

static double ticketer_gauge_lag(void *arg)
{
    return (double)atomic_load(&((ticketer_t *)arg)->health.lag);
}

static void ticketer_metrics_init(ticketer_t *t)
{
    t->m_changes = metrics_counter("alertdesk_ticketer_incident_changes_applied_total",
                                   "Incident changes applied to tickets", NULL);
    t->m_commits = metrics_counter("alertdesk_ticketer_commits_total",
                                   "Worker transactions committed (batches and timers)", NULL);
    t->m_events = metrics_counter("alertdesk_ticketer_ticket_events_total",
                                  "ticket_events rows written by the worker", NULL);
    t->m_sessions = metrics_counter("alertdesk_ticketer_sessions_total",
                                    "Times the worker (re)started from PostgreSQL", NULL);
    metrics_gauge_fn("alertdesk_ticketer_stream_lag_changes",
                     "Incident changes committed but not applied yet", NULL, ticketer_gauge_lag, t);
}

/* ---- the batch ---- */

static void ticketer_fail(ticketer_t *t, const char *what)
{
    if (!t->failed) {
        log_error("msg=\"%s failed; restarting the session\"", what);
    }
    t->failed = true;
    atomic_store(&t->health.db_ok, false);
}

static int ticketer_begin(ticketer_t *t)
{
    if (t->in_txn) {
        return 0;
    }
    if (db_command(t->conn, "ticketer.begin", "BEGIN") != DB_OK) {
        ticketer_fail(t, "BEGIN");
        return -1;
    }
    t->in_txn = true;
    return 0;
}

/* ticketer_commit - offsets, ticket_events (last), COMMIT, publish. */
static int ticketer_commit(ticketer_t *t)
{
    if (!t->in_txn) {
        return 0;
    }
    if (stream_pg_batch_save(&t->offsets, t->conn, t->s->ticketer_stream) != DB_OK) {
        ticketer_fail(t, "offset save");
        return -1;
    }
    size_t nevents = ticketer_log_count(t->log);
    if (ticketer_log_flush(t->conn, t->log) != DB_OK ||
        db_command(t->conn, "ticketer.commit", "COMMIT") != DB_OK) {
        ticketer_fail(t, "commit");
        return -1;
    }
    t->in_txn = false;
    t->batch_changes = 0;
    t->batch_started_us = 0;
    ticketer_outbox_push(t->outbox, t->log);
    ticketer_log_reset(t->log);
    ticketer_outbox_publish(t->outbox, t->pub);
    metric_inc(t->m_commits);
    metric_add(t->m_events, (double)nevents);
    return 0;
}

/* ticketer_apply - stream_apply_fn: one incident change into tickets. */
static int ticketer_apply(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                          size_t len)
{
    ticketer_t *t = arg;
    if (t->failed) {
        return -1;
    }
    correlator_record_t r;
    char *strings = NULL;
    if (correlator_record_decode(payload, len, &r, &strings) < 0) {
        log_error("msg=\"undecodable incident change\" stream=%s seq=%" PRId64, stream, seq);
        t->failed = true;
        return -1;
    }
    if (t->offsets.n == STREAM_PG_MAX_STREAMS && ticketer_commit(t) < 0) {
        free(strings);
        return -1;
    }
    if (ticketer_begin(t) < 0) {
        free(strings);
        return -1;
    }
    db_status_t st = ticketer_incident_apply(t->conn, &r, ticketer_routing(t), t->log);
    free(strings);
    if (st != DB_OK) {
        ticketer_fail(t, "incident change");
        return -1;
    }
    stream_pg_batch_note(&t->offsets, stream, seq); /* room was made above */
    metric_inc(t->m_changes);
    t->batch_changes++;
    if (t->batch_started_us == 0) {
        t->batch_started_us = ticketer_mono_us();
    }
    if ((int64_t)t->batch_changes >= t->s->ticketer_batch_max_changes) {
        return ticketer_commit(t);
    }
    return 0;
}

/* ---- session ---- */

static void ticketer_session_end(void *arg)
{
    ticketer_t *t = arg;
    stream_consumer_destroy(&t->consumer);
    if (t->fetch_conn) {
        PQfinish(t->fetch_conn);
        t->fetch_conn = NULL;
    }
    if (t->conn) {
        PQfinish(t->conn); /* an open transaction rolls back */
        t->conn = NULL;
    }
    ticketer_log_reset(t->log);
    t->in_txn = false;
    t->offsets.n = 0;
    t->batch_changes = 0;
    t->batch_started_us = 0;
    atomic_store(&t->health.db_ok, false);
    atomic_store(&t->health.caught_up, false);
}

static int ticketer_session_start(void *arg)
{
    ticketer_t *t = arg;
    const settings_t *s = t->s;
    t->failed = false;
    t->conn =
        db_open_active(s->database_url, s->database_connect_timeout_ms, s->database_retry_max_ms,
                       TICKETER_SCHEMA_VERSION, "alertdesk.ticketer", &daemon_stopping);
    if (!t->conn) {
        return -1;
    }
    t->fetch_conn = db_connect(s->database_url, s->database_connect_timeout_ms);
    if (!t->fetch_conn) {
        return -1;
    }
    t->consumer = stream_consumer_new(t->zctx, s->ticketer_incidents, "incidents",
                                      correlator_stream_fetch, t->fetch_conn, ticketer_apply, t);
    if (!t->consumer || stream_pg_load_offsets(t->consumer, t->conn, s->ticketer_stream) < 0) {
        return -1;
    }
    atomic_store(&t->health.db_ok, true);
    if (stream_pg_catch_up(t->consumer, t->fetch_conn, "incident_changes") < 0 || t->failed ||
        ticketer_commit(t) < 0) {
        return -1;
    }
    metric_inc(t->m_sessions);
    atomic_store(&t->health.caught_up, true);
    log_info("msg=\"caught up; live\" stream=%s", s->ticketer_stream);
    return 0;
}

/* ticketer_timers - SLA, auto-close and notes, in transactions of their own. */
static void ticketer_timers(ticketer_t *t)
{
    size_t done = TICKETER_TIMER_LIMIT;
    for (int round = 0; round < 20 && done == TICKETER_TIMER_LIMIT && !t->failed; round++) {
        if (ticketer_commit(t) < 0 || ticketer_begin(t) < 0) {
            return;
        }
        if (ticketer_timers_run(t->conn, ticketer_routing(t), event_now_us(), TICKETER_TIMER_LIMIT,
                                t->log, &done) != DB_OK) {
            ticketer_fail(t, "timers");
            return;
        }
        if (ticketer_commit(t) < 0) {
            return;
        }
    }
}

static void ticketer_heartbeat(ticketer_t *t)
{
    ticketer_timers(t);
    if (t->failed) {
        return;
    }
    int64_t head = 0, lag = stream_pg_lag(t->consumer, t->conn, "incident_changes");
    if (lag < 0 || db_stream_head(t->conn, t->s->ticketer_stream, &head) != DB_OK) {
        ticketer_fail(t, "heartbeat");
        return;
    }
    atomic_store(&t->health.lag, lag);
    ticketer_outbox_publish(t->outbox, t->pub);
    stream_pub_heartbeat(t->pub, head);
}

static void ticketer_live(void *arg)
{
    ticketer_t *t = arg;
    const settings_t *s = t->s;
    int64_t hb_every = s->ticketer_heartbeat_ms * 1000;
    int64_t next_hb = ticketer_mono_us();
    while (!atomic_load(&t->stop) && !t->failed) {
        int64_t now = ticketer_mono_us();
        int64_t wake = next_hb;
        if (t->batch_started_us) {
            int64_t due = t->batch_started_us + s->ticketer_batch_max_wait_us;
            wake = due < wake ? due : wake;
        }
        int timeout_ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        if (timeout_ms > 50) {
            timeout_ms = 50; /* notice stop, and publish the API's changes soon */
        }
        if (stream_consumer_poll(t->consumer, timeout_ms) < 0) {
            ticketer_fail(t, "incidents consumer");
            break;
        }
        now = ticketer_mono_us();
        if (t->batch_started_us && now - t->batch_started_us >= s->ticketer_batch_max_wait_us) {
            ticketer_commit(t);
        }
        if (now >= next_hb) {
            ticketer_heartbeat(t);
            next_hb = now + hb_every;
        } else {
            ticketer_outbox_publish(t->outbox, t->pub);
        }
    }
    if (!t->failed) {
        ticketer_commit(t); /* drain on SIGTERM */
    }
}

static void *ticketer_main(void *arg)
{
    ticketer_t *t = arg;
    t->pub = stream_pub_new(t->zctx, t->s->ticketer_publish, "tickets", t->s->ticketer_stream);
    if (!t->pub) {
        log_fatal("msg=\"cannot publish the tickets stream\" endpoint=%s", t->s->ticketer_publish);
    }
    daemon_session_loop(ticketer_session_start, ticketer_live, ticketer_session_end, t, &t->stop,
                        t->s->database_retry_max_ms);
    ticketer_outbox_publish(t->outbox, t->pub);
    stream_pub_destroy(&t->pub);
    return NULL;
}

/* ---- daemon callbacks ---- */

static void ticketer_stop(void *state);

/* ticketer_start_parts - everything start does; on failure the caller undoes it. */
static int ticketer_start_parts(const settings_t *s, void **state)
{
    ticketer_t *t = xcalloc(1, sizeof *t);
    *state = t;
    t->s = s;
    t->health.max_lag = s->ticketer_max_lag;
    t->health.lag_unit = "incident changes";
    ticket_routing_t *routing = ticketer_routing_load(s->ticketer_routing);
    if (!routing) {
        return -1;
    }
    generations_push(&t->routing, routing);
    ticketer_metrics_init(t);
    t->outbox = ticketer_outbox_new();
    t->log = ticketer_log_new(s->ticketer_stream);
    t->zctx = zmq_ctx_new();
    ticketer_api_config_t ac = {
        .settings = s,
        .routing = ticketer_routing,
        .routing_arg = t,
        .outbox = t->outbox,
    };
    t->api = ticketer_api_new(&ac);
    size_t nroutes = 0;
    const http_route_t *routes = ticketer_api_routes(t->api, &nroutes);
    http_server_config_t hc = {
        .listen = s->ticketer_http_listen,
        .routes = routes,
        .nroutes = nroutes,
        .threads = (int)s->ticketer_http_threads,
        .healthy = daemon_health,
        .health_arg = &t->health,
    };
    t->http = http_server_start(&hc);
    if (!t->http) {
        return -1;
    }
    daemon_pid_file(s->ticketer_pid_file, true);
    if (pthread_create(&t->thread, NULL, ticketer_main, t) != 0) {
        log_fatal("msg=\"cannot start the ticketer thread\"");
    }
    t->thread_started = true;
    log_info("msg=listening http=%s publish=%s incidents=%s stream=%s routing=%s",
             s->ticketer_http_listen, s->ticketer_publish, s->ticketer_incidents,
             s->ticketer_stream, *s->ticketer_routing ? s->ticketer_routing : "(defaults)");
    return 0;
}

/* ticketer_reload - SIGHUP: a new routing generation; a bad file keeps the
 * one in force. Tickets keep the SLA targets they were opened with. */
/* ticketer_start - start, or undo what was made when a part failed. */
static int ticketer_start(const settings_t *s, void **state)
{
    if (ticketer_start_parts(s, state) < 0) {
        ticketer_stop(*state);
        *state = NULL;
        return -1;
    }
    return 0;
}

static int ticketer_reload(void *state, const settings_t *fresh)
{
    ticketer_t *t = state;
    ticket_routing_t *routing = ticketer_routing_load(fresh->ticketer_routing);
    if (!routing) {
        log_error("msg=\"routing reload refused, keeping the current routing\" file=%s",
                  fresh->ticketer_routing);
        return 0;
    }
    generations_push(&t->routing, routing);
    log_info("msg=\"routing reloaded\" file=%s routes=%zu queues=%zu",
             *fresh->ticketer_routing ? fresh->ticketer_routing : "(defaults)", routing->nroutes,
             routing->nqueues);
    return 0;
}

static void ticketer_stop(void *state)
{
    ticketer_t *t = state;
    if (!t) {
        return;
    }
    atomic_store(&t->stop, true);
    if (t->thread_started) {
        pthread_join(t->thread, NULL);
    }
    http_server_stop(&t->http);
    ticketer_api_destroy(&t->api);
    if (t->zctx) {
        zmq_ctx_term(t->zctx);
    }
    daemon_pid_file(t->s->ticketer_pid_file, false);
    generations_free_all(&t->routing, ticketer_routing_free);
    ticketer_log_destroy(&t->log);
    ticketer_outbox_destroy(&t->outbox);
    free(t);
}

/* ticketer_check - --check-config: the routing file loads. */
static int ticketer_check(const settings_t *s, char *err, size_t errlen)
{
    ticket_routing_t *r = NULL;
    if (*s->ticketer_routing && ticket_routing_load(s->ticketer_routing, &r, err, errlen) < 0) {
        return -1;
    }
    ticket_routing_destroy(&r);
    return 0;
}

int main(int argc, char **argv)
{
    static const daemon_spec_t spec = {
        .name = "alertdesk-ticketer",
        .component = "ticketer",
        .description =
            "Consumes the correlator's `incidents` stream and keeps one ticket per incident\n"
            "(queue, priority, ITIL states, SLA clocks, append-only audit trail in\n"
            "ticket_events); serves the JSON API (/api/v1/...) and publishes the `tickets`\n"
            "stream for the notifier. SIGHUP reloads ticketer.routing; a bad file keeps the\n"
            "routing in force.",
        .tick_ms = 1000,
        .start = ticketer_start,
        .reload = ticketer_reload,
        .stop = ticketer_stop,
        .check = ticketer_check,
    };
    return daemon_main(&spec, argc, argv);
}
