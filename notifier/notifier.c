/*
 * alertdesk-notifier - pages the right people, once, and keeps paging up
 * the escalation policy until someone acknowledges: consumes the ticketer's
 * `tickets` stream (ticket_events), keeps escalations and notifications in
 * PostgreSQL, delivers over webhook, chat, SMTP and SMS (deliver.h, libcurl
 * multi) and serves the acknowledge links (/ack/<token>).
 *
 * One worker thread owns the tickets consumer (gaps read back from
 * ticket_events), the delivery engine and its connection. It loops:
 *   1. apply each ticket change (notifier_escalate.c) inside the batch
 *      transaction, committed with the consumer offset;
 *   2. every heartbeat: the escalation timer (levels due, reminders) in a
 *      transaction of its own, then claim due notifications and start their
 *      attempts (notifier_send.c);
 *   3. all the time: drive the attempts in flight and record outcomes.
 * The HTTP threads answer /ack/... (notifier_ack.c) and write the ticket's
 * acknowledgement through the ticketer's own code path. Active/standby on
 * the advisory lock "alertdesk.notifier"; a database failure restarts the
 * session from the tables, as a restart would.
 *
 * Not here: who is on call and when levels fire (notify_*.c, oncall_*.c),
 * how a message is sent (deliver_*.c).
 */
#include <inttypes.h>
#include <limits.h>
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
#include "event.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "stream.h"
#include "stream_pg.h"
#include "xalloc.h"

#include "notifier_ack.h"
#include "notifier_escalate.h"
#include "notifier_send.h"
#include "notifier_survey.h"
#include "notify_people.h"
#include "ticket_routing.h"
#include "ticketer_log.h"

#define NOTIFIER_SCHEMA_VERSION 9 /* 0009: survey_answers */
#define NOTIFIER_BATCH          500
#define NOTIFIER_LIMIT          200

typedef struct {
    const settings_t *s;
    void *zctx;
    pthread_t thread;
    bool thread_started;
    http_server_t *http;
    notifier_ack_t *ack;
    notifier_survey_t *survey;
    http_route_t routes[4]; /* ack and survey pages */
    ticket_routing_t *routing;
    atomic_bool stop;
    generations_t people;   /* notify_people_t (NULL: no file); the worker may hold an older one */
    daemon_health_t health; /* /healthz: written by the worker */
    atomic_llong open_escalations;

    /* worker only */
    PGconn *conn, *fetch_conn;
    stream_consumer_t *consumer;
    notifier_sender_t *sender;
    bool in_txn, failed;
    bool pending_work; /* ticket changes applied since the last notifier_work() */
    size_t batch;
    stream_pg_batch_t offsets;
    metric_t *m_changes, *m_sessions;
} notifier_t;

static int64_t notifier_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void notifier_people_free(void *value)
{
    notify_people_t *p = value;
    notify_people_destroy(&p);
}

static const notify_people_t *notifier_people(notifier_t *n)
{
    return generations_current(&n->people);
}

/* notifier_people_load - the people file; "" = nobody (NULL set). */
static int notifier_people_load(const char *path, notify_people_t **out)
{
    *out = NULL;
    if (!path || !*path) {
        return 0;
    }
    char err[1024];
    if (notify_people_load(path, out, err, sizeof err) < 0) {
        log_error("msg=\"bad people file\" error=\"%s\"", err);
        return -1;
    }
    return 0;
}

static double notifier_gauge_open(void *arg)
{
    return (double)atomic_load(&((notifier_t *)arg)->open_escalations);
}

static double notifier_gauge_lag(void *arg)
{
    return (double)atomic_load(&((notifier_t *)arg)->health.lag);
}

/* ---- the batch ---- */

static void notifier_fail(notifier_t *n, const char *what)
{
    if (!n->failed) {
        log_error("msg=\"%s failed; restarting the session\"", what);
    }
    n->failed = true;
    atomic_store(&n->health.db_ok, false);
}

static int notifier_commit(notifier_t *n)
{
    if (!n->in_txn) {
        return 0;
    }
    if (stream_pg_batch_save(&n->offsets, n->conn, n->s->notifier_stream) != DB_OK) {
        notifier_fail(n, "offset save");
        return -1;
    }
    if (db_command(n->conn, "notifier.commit", "COMMIT") != DB_OK) {
        notifier_fail(n, "commit");
        return -1;
    }
    n->in_txn = false;
    n->batch = 0;
    return 0;
}

static int notifier_begin(notifier_t *n)
{
    if (!n->in_txn) {
        if (db_command(n->conn, "notifier.begin", "BEGIN") != DB_OK) {
            notifier_fail(n, "BEGIN");
            return -1;
        }
        n->in_txn = true;
    }
    return 0;
}

/* notifier_apply - stream_apply_fn: one ticket change. */
static int notifier_apply(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                          size_t len)
{
    notifier_t *n = arg;
    if (n->failed) {
        return -1;
    }
    ticket_change_t c;
    char *strings = NULL;
    if (ticketer_change_decode(payload, len, &c, &strings) < 0) {
        log_error("msg=\"undecodable ticket change\" stream=%s seq=%" PRId64, stream, seq);
        n->failed = true;
        return -1;
    }
    if ((n->offsets.n == STREAM_PG_MAX_STREAMS && notifier_commit(n) < 0) ||
        notifier_begin(n) < 0) {
        free(strings);
        return -1;
    }
    c.seq = seq;
    db_status_t st = notifier_ticket_change(n->conn, &c, notifier_people(n), n->s);
    free(strings);
    if (st != DB_OK) {
        notifier_fail(n, "ticket change");
        return -1;
    }
    stream_pg_batch_note(&n->offsets, stream, seq); /* room was made above */
    n->pending_work = true;
    metric_inc(n->m_changes);
    if (++n->batch >= NOTIFIER_BATCH) {
        return notifier_commit(n);
    }
    return 0;
}

/* ---- session ---- */

static void notifier_session_end(void *arg)
{
    notifier_t *n = arg;
    stream_consumer_destroy(&n->consumer);
    if (n->fetch_conn) {
        PQfinish(n->fetch_conn);
        n->fetch_conn = NULL;
    }
    if (n->conn) {
        PQfinish(n->conn);
        n->conn = NULL;
    }
    n->in_txn = false;
    n->offsets.n = 0;
    n->batch = 0;
    atomic_store(&n->health.db_ok, false);
    atomic_store(&n->health.caught_up, false);
}

static int notifier_session_start(void *arg)
{
    notifier_t *n = arg;
    const settings_t *s = n->s;
    n->failed = false;
    n->conn =
        db_open_active(s->database_url, s->database_connect_timeout_ms, s->database_retry_max_ms,
                       NOTIFIER_SCHEMA_VERSION, "alertdesk.notifier", &daemon_stopping);
    if (!n->conn) {
        return -1;
    }
    n->fetch_conn = db_connect(s->database_url, s->database_connect_timeout_ms);
    if (!n->fetch_conn || notifier_sender_recover(n->sender, n->conn) != DB_OK) {
        return -1;
    }
    n->consumer = stream_consumer_new(n->zctx, s->notifier_tickets, "tickets",
                                      ticketer_stream_fetch, n->fetch_conn, notifier_apply, n);
    if (!n->consumer || stream_pg_load_offsets(n->consumer, n->conn, s->notifier_stream) < 0) {
        return -1;
    }
    atomic_store(&n->health.db_ok, true);
    if (stream_pg_catch_up(n->consumer, n->fetch_conn, "ticket_events") < 0 || n->failed ||
        notifier_commit(n) < 0) {
        return -1;
    }
    metric_inc(n->m_sessions);
    atomic_store(&n->health.caught_up, true);
    log_info("msg=\"caught up; live\" consumer=%s", s->notifier_stream);
    return 0;
}

/* notifier_work - escalations due, then sends due. Run on every heartbeat
 * and at once after ticket changes were committed, so a new ticket's first
 * page does not wait for the next heartbeat. */
static void notifier_work(notifier_t *n)
{
    n->pending_work = false;
    if (notifier_commit(n) < 0) {
        return;
    }
    size_t done = NOTIFIER_LIMIT;
    for (int round = 0; round < 10 && done == NOTIFIER_LIMIT; round++) {
        if (notifier_begin(n) < 0) {
            return;
        }
        if (notifier_escalations_run(n->conn, notifier_people(n), event_now_us(), NOTIFIER_LIMIT,
                                     &done) != DB_OK) {
            notifier_fail(n, "escalations");
            return;
        }
        if (notifier_commit(n) < 0) {
            return;
        }
    }
    size_t claimed = 0;
    if (notifier_sender_run(n->sender, n->conn, event_now_us(), NOTIFIER_LIMIT, &claimed) !=
        DB_OK) {
        notifier_fail(n, "sending");
        return;
    }
}

/* notifier_heartbeat - the work, then the gauges. */
static void notifier_heartbeat(notifier_t *n)
{
    notifier_work(n);
    if (n->failed) {
        return;
    }
    PGresult *res = NULL;
    int64_t lag = stream_pg_lag(n->consumer, n->conn, "ticket_events");
    if (lag < 0 || db_exec(n->conn, "notifier.open",
                           "SELECT count(*) FROM escalations WHERE state <> 'stopped'", 0, NULL,
                           &res) != DB_OK) {
        notifier_fail(n, "heartbeat");
        return;
    }
    atomic_store(&n->open_escalations, strtoll(PQgetvalue(res, 0, 0), NULL, 10));
    atomic_store(&n->health.lag, lag);
    PQclear(res);
}

static void notifier_live(void *arg)
{
    notifier_t *n = arg;
    int64_t every = n->s->notifier_heartbeat_ms * 1000;
    int64_t next = notifier_mono_us();
    while (!atomic_load(&n->stop) && !n->failed) {
        if (stream_consumer_poll(n->consumer, 20) < 0) {
            notifier_fail(n, "tickets consumer");
            break;
        }
        if (n->in_txn && notifier_commit(n) < 0) {
            break;
        }
        if (n->pending_work) {
            notifier_work(n);
        }
        if (notifier_sender_poll(n->sender, n->conn, 20) < 0) {
            notifier_fail(n, "recording an outcome");
            break;
        }
        int64_t now = notifier_mono_us();
        if (now >= next) {
            notifier_heartbeat(n);
            next = now + every;
        }
    }
    if (!n->failed) {
        notifier_commit(n);
    }
}

static void *notifier_main(void *arg)
{
    notifier_t *n = arg;
    daemon_session_loop(notifier_session_start, notifier_live, notifier_session_end, n, &n->stop,
                        n->s->database_retry_max_ms);
    return NULL;
}

/* ---- daemon callbacks ---- */

static void notifier_stop(void *state);

/* notifier_start_parts - everything start does; on failure the caller undoes it. */
static int notifier_start_parts(const settings_t *s, void **state)
{
    notifier_t *n = xcalloc(1, sizeof *n);
    *state = n;
    n->s = s;
    n->health.max_lag = LLONG_MAX; /* lag is reported in /metrics, not judged */
    n->health.lag_unit = "ticket changes";
    notify_people_t *people = NULL;
    if (notifier_people_load(s->notifier_people, &people) < 0) {
        return -1;
    }
    generations_push(&n->people, people);
    if (!people) {
        log_warn("msg=\"no people file (notifier.people): nobody will be paged\"");
    }
    /* The ticketer's routing: the SLA calendars an acknowledgement stops. */
    char err[1024];
    if (*s->ticketer_routing) {
        if (ticket_routing_load(s->ticketer_routing, &n->routing, err, sizeof err) < 0) {
            log_error("msg=\"bad routing file\" error=\"%s\"", err);
            return -1;
        }
    } else {
        n->routing = ticket_routing_default();
    }
    if (!*s->notifier_ack_secret) {
        log_warn("msg=\"notifier.ack_secret is empty: pages carry no acknowledge link\"");
    }
    n->m_changes = metrics_counter("alertdesk_notifier_ticket_changes_applied_total",
                                   "Ticket changes applied", NULL);
    n->m_sessions = metrics_counter("alertdesk_notifier_sessions_total",
                                    "Times the worker (re)started from PostgreSQL", NULL);
    metrics_gauge_fn("alertdesk_notifier_open_escalations", "Escalations not stopped", NULL,
                     notifier_gauge_open, n);
    metrics_gauge_fn("alertdesk_notifier_stream_lag_changes",
                     "Ticket changes committed but not applied yet", NULL, notifier_gauge_lag, n);
    n->sender = notifier_sender_new(s);
    n->zctx = zmq_ctx_new();
    n->ack = notifier_ack_new(s, n->routing);
    n->survey = notifier_survey_new(s);
    size_t na = 0, ns = 0;
    const http_route_t *ack_routes = notifier_ack_routes(n->ack, &na);
    const http_route_t *survey_routes = notifier_survey_routes(n->survey, &ns);
    memcpy(n->routes, ack_routes, na * sizeof *n->routes);
    memcpy(n->routes + na, survey_routes, ns * sizeof *n->routes);
    http_server_config_t hc = {
        .listen = s->notifier_http_listen,
        .routes = n->routes,
        .nroutes = na + ns,
        .threads = 2,
        .healthy = daemon_health,
        .health_arg = &n->health,
    };
    n->http = http_server_start(&hc);
    if (!n->http) {
        return -1;
    }
    daemon_pid_file(s->notifier_pid_file, true);
    if (pthread_create(&n->thread, NULL, notifier_main, n) != 0) {
        log_fatal("msg=\"cannot start the notifier thread\"");
    }
    n->thread_started = true;
    log_info("msg=listening http=%s tickets=%s people=%s", s->notifier_http_listen,
             s->notifier_tickets, *s->notifier_people ? s->notifier_people : "(none)");
    return 0;
}

/* notifier_start - start, or undo what was made when a part failed. */
static int notifier_start(const settings_t *s, void **state)
{
    if (notifier_start_parts(s, state) < 0) {
        notifier_stop(*state);
        *state = NULL;
        return -1;
    }
    return 0;
}

static int notifier_reload(void *state, const settings_t *fresh)
{
    notifier_t *n = state;
    notify_people_t *people = NULL;
    if (notifier_people_load(fresh->notifier_people, &people) < 0) {
        log_error("msg=\"people reload refused, keeping the current file\" file=%s",
                  fresh->notifier_people);
        return 0;
    }
    generations_push(&n->people, people);
    log_info("msg=\"people reloaded\" file=%s users=%zu policies=%zu", fresh->notifier_people,
             people ? people->nusers : 0, people ? people->npolicies : 0);
    return 0;
}

static void notifier_stop(void *state)
{
    notifier_t *n = state;
    if (!n) {
        return;
    }
    atomic_store(&n->stop, true);
    if (n->thread_started) {
        pthread_join(n->thread, NULL);
    }
    http_server_stop(&n->http);
    notifier_ack_destroy(&n->ack);
    notifier_survey_destroy(&n->survey);
    notifier_sender_destroy(&n->sender);
    if (n->zctx) {
        zmq_ctx_term(n->zctx);
    }
    daemon_pid_file(n->s->notifier_pid_file, false);
    generations_free_all(&n->people, notifier_people_free);
    ticket_routing_destroy(&n->routing);
    free(n);
}

/* notifier_check - --check-config: the people file and the ticketer's
 * routing (for acknowledgements) load. */
static int notifier_check(const settings_t *s, char *err, size_t errlen)
{
    notify_people_t *p = NULL;
    ticket_routing_t *r = NULL;
    if (*s->notifier_people && notify_people_load(s->notifier_people, &p, err, errlen) < 0) {
        return -1;
    }
    notify_people_destroy(&p);
    if (*s->ticketer_routing && ticket_routing_load(s->ticketer_routing, &r, err, errlen) < 0) {
        return -1;
    }
    ticket_routing_destroy(&r);
    return 0;
}

int main(int argc, char **argv)
{
    static const daemon_spec_t spec = {
        .name = "alertdesk-notifier",
        .component = "notifier",
        .description =
            "Consumes the ticketer's `tickets` stream and pages whoever is on call, level by\n"
            "level of the ticket's escalation policy, until someone acknowledges; delivers\n"
            "webhooks, chat messages, e-mail (SMTP) and SMS with retries, and serves the\n"
            "acknowledge links (/ack/<token>). SIGHUP reloads notifier.people.",
        .tick_ms = 1000,
        .start = notifier_start,
        .reload = notifier_reload,
        .stop = notifier_stop,
        .check = notifier_check,
    };
    return daemon_main(&spec, argc, argv);
}
