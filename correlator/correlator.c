/*
 * alertdesk-correlator - turns the `events` stream into alerts and
 * incidents: deduplication, grouping rules, topology, silences, maintenance
 * windows and flapping (the pure engine, corr_engine.c), with PostgreSQL as
 * the truth and its own `incidents` stream for the ticketer.
 *
 * One worker thread owns everything stateful: the engine, the events
 * consumer (common/stream.c: live rows over ZeroMQ, gaps and start-up read
 * back from `events`), the batch and its two connections, and the PUB
 * socket. It loops:
 *   1. apply each event to the engine (now = the event's received_at), the
 *      changes collected into a batch (correlator_store.c);
 *   2. every batch.max_events events or batch.max_wait, flush the coalesced
 *      repeat counts and commit the batch - state, decisions, incident
 *      changes with the next seqs and the consumer offsets - in ONE
 *      transaction; then publish the incident changes;
 *   3. every heartbeat: fire the engine's timers with the wall clock, publish
 *      the stream head, measure the lag; every silence_refresh: re-read
 *      silences; on SIGHUP: reload the rule file (a bad one keeps the old).
 * Any database failure ends the session: the worker reconnects and rebuilds
 * the engine from the tables and the offsets, exactly as after a restart.
 * Active/standby: the session starts only once it holds the advisory lock.
 *
 * Not here: the correlation semantics (corr_engine.h), the SQL
 * (correlator_store.c, correlator_restore.c), the stream record
 * (correlator_stream.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "db.h"
#include "event_store.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "stream.h"
#include "stream_pg.h"
#include "wire.h"
#include "xalloc.h"

#include "corr_engine.h"
#include "corr_rules.h"
#include "correlator_store.h"
#include "correlator_stream.h"

#define CORRELATOR_RULE_METRICS_MAX 256

typedef struct {
    char *name;
    metric_t *m;
    uint64_t last;
} correlator_rule_metric_t;

typedef struct {
    const settings_t *s;
    void *zctx;
    pthread_t thread;
    bool thread_started;
    http_server_t *http;
    atomic_bool stop;

    /* rules: loaded by the main thread at start, swapped by the worker */
    corr_rules_t *rules;
    pthread_mutex_t reload_lock;
    char *reload_path; /* set by SIGHUP, taken by the worker */

    daemon_health_t health; /* /healthz: written by the worker */
    atomic_llong open_alerts, open_incidents, flapping;

    /* session (worker thread only) */
    PGconn *conn, *fetch_conn;
    corr_engine_t *engine;
    correlator_batch_t *batch;
    stream_consumer_t *consumer;
    stream_pub_t *pub;
    int64_t batch_started_us;
    bool failed;

    metric_t *m_events, *m_commits, *m_changes, *m_sessions, *m_suppressed_silence,
        *m_suppressed_topology, *m_unmatched;
    uint64_t last_silence, last_topology, last_unmatched;
    correlator_rule_metric_t rule_metrics[CORRELATOR_RULE_METRICS_MAX];
    size_t nrule_metrics;
} correlator_t;

static int64_t correlator_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* correlator_rules_load - the rule file, or the built-in defaults for "". */
static corr_rules_t *correlator_rules_load(const char *path)
{
    corr_rules_t *r = NULL;
    char err[1024];
    if (!path || !*path) {
        return corr_rules_default();
    }
    if (corr_rules_load(path, &r, err, sizeof err) < 0) {
        log_error("msg=\"bad rule file\" error=\"%s\"", err);
        return NULL;
    }
    return r;
}

/* ---- metrics ---- */

/* correlator_metrics_update - engine statistics into the registry. */
static void correlator_metrics_update(correlator_t *c)
{
    corr_stats_t st;
    corr_engine_stats(c->engine, &st);
    atomic_store(&c->open_alerts, (long long)st.open_alerts);
    atomic_store(&c->open_incidents, (long long)st.open_incidents);
    atomic_store(&c->flapping, (long long)st.flapping_alerts);
    /* Engine counters restart with a session: add what moved since. */
#define CORRELATOR_DELTA(metric, value, last)                                                      \
    do {                                                                                           \
        uint64_t v_ = (value);                                                                     \
        metric_add((metric), (double)(v_ >= (last) ? v_ - (last) : v_));                           \
        (last) = v_;                                                                               \
    } while (0)
    CORRELATOR_DELTA(c->m_suppressed_silence, st.suppressed_silence, c->last_silence);
    CORRELATOR_DELTA(c->m_suppressed_topology, st.suppressed_topology, c->last_topology);
    CORRELATOR_DELTA(c->m_unmatched, st.unmatched_hits, c->last_unmatched);
    for (size_t i = 0; i < st.nrule_hits && i < c->rules->nrules; i++) {
        const char *name = c->rules->rules[i].name;
        correlator_rule_metric_t *rm = NULL;
        for (size_t k = 0; k < c->nrule_metrics; k++) {
            if (strcmp(c->rule_metrics[k].name, name) == 0) {
                rm = &c->rule_metrics[k];
            }
        }
        if (!rm && c->nrule_metrics < CORRELATOR_RULE_METRICS_MAX) {
            char *esc = metrics_label_escape(name);
            char labels[512];
            snprintf(labels, sizeof labels, "rule=\"%s\"", esc);
            free(esc);
            rm = &c->rule_metrics[c->nrule_metrics++];
            rm->name = xstrdup(name);
            rm->m = metrics_counter("alertdesk_correlator_rule_hits_total",
                                    "Alerts routed by each correlation rule", labels);
            rm->last = 0;
        }
        if (rm) {
            CORRELATOR_DELTA(rm->m, st.rule_hits[i], rm->last);
        }
    }
#undef CORRELATOR_DELTA
}

static double correlator_gauge_open_alerts(void *arg)
{
    return (double)atomic_load(&((correlator_t *)arg)->open_alerts);
}

static double correlator_gauge_open_incidents(void *arg)
{
    return (double)atomic_load(&((correlator_t *)arg)->open_incidents);
}

static double correlator_gauge_flapping(void *arg)
{
    return (double)atomic_load(&((correlator_t *)arg)->flapping);
}

static double correlator_gauge_lag(void *arg)
{
    return (double)atomic_load(&((correlator_t *)arg)->health.lag);
}

static void correlator_metrics_init(correlator_t *c)
{
    c->m_events = metrics_counter("alertdesk_correlator_events_applied_total",
                                  "Events applied to the correlation engine", NULL);
    c->m_commits = metrics_counter("alertdesk_correlator_commits_total",
                                   "Batches committed to PostgreSQL", NULL);
    c->m_changes = metrics_counter("alertdesk_correlator_incident_changes_total",
                                   "Rows published on the incidents stream", NULL);
    c->m_sessions = metrics_counter("alertdesk_correlator_sessions_total",
                                    "Times the state was rebuilt from PostgreSQL", NULL);
    c->m_suppressed_silence =
        metrics_counter("alertdesk_correlator_suppressed_total",
                        "Alerts kept out of incidents, by what did it", "by=\"silence\"");
    c->m_suppressed_topology =
        metrics_counter("alertdesk_correlator_suppressed_total",
                        "Alerts kept out of incidents, by what did it", "by=\"topology\"");
    c->m_unmatched = metrics_counter("alertdesk_correlator_unmatched_total",
                                     "Alerts that matched no rule", NULL);
    metrics_gauge_fn("alertdesk_correlator_open_alerts", "Firing alerts", NULL,
                     correlator_gauge_open_alerts, c);
    metrics_gauge_fn("alertdesk_correlator_open_incidents", "Open or resolving incidents", NULL,
                     correlator_gauge_open_incidents, c);
    metrics_gauge_fn("alertdesk_correlator_flapping_alerts", "Alerts flapping now", NULL,
                     correlator_gauge_flapping, c);
    metrics_gauge_fn("alertdesk_correlator_stream_lag_events",
                     "Events stored but not yet applied (head seq - applied seq)", NULL,
                     correlator_gauge_lag, c);
}

/* ---- the batch ---- */

/* correlator_commit - repeat counts, one transaction, then publication. */
static int correlator_commit(correlator_t *c)
{
    corr_engine_flush_counts(c->engine, correlator_batch_add, c->batch);
    if (correlator_batch_empty(c->batch)) {
        return 0;
    }
    size_t nevents = correlator_batch_events(c->batch);
    if (correlator_store_commit(c->conn, c->batch, c->engine) != DB_OK) {
        log_error("msg=\"commit failed; rebuilding state from the database\" events=%zu", nevents);
        c->failed = true;
        atomic_store(&c->health.db_ok, false);
        return -1;
    }
    size_t published = correlator_batch_publish(c->batch, c->pub);
    metric_inc(c->m_commits);
    metric_add(c->m_changes, (double)published);
    c->batch_started_us = 0;
    correlator_metrics_update(c);
    return 0;
}

/* The event being applied, for correlator_emit (worker thread only). */
typedef struct {
    correlator_t *c;
    const event_t *ev;
} correlator_emit_ctx_t;

/* correlator_emit - corr_emit_fn: the change into the batch; when it opens
 * or reopens the event's own alert, the event's annotations go with it (a
 * ticket shows the cause's runbook links from them). */
static void correlator_emit(void *arg, const corr_change_t *ch)
{
    correlator_emit_ctx_t *x = arg;
    correlator_batch_add(x->c->batch, ch);
    if ((ch->kind == CORR_CHANGE_ALERT_OPENED || ch->kind == CORR_CHANGE_ALERT_REOPENED) &&
        x->ev->nannotations > 0 && strcmp(ch->fingerprint, x->ev->fingerprint) == 0) {
        correlator_batch_annotations(x->c->batch, ch->domain, ch->fingerprint, x->ev->annotations,
                                     x->ev->nannotations);
    }
}

/* correlator_apply - stream_apply_fn: one event into the engine. */
static int correlator_apply(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                            size_t len)
{
    correlator_t *c = arg;
    if (c->failed) {
        return -1;
    }
    event_t *ev = NULL;
    size_t used;
    if (wire_decode(payload, len, &ev, &used) < 0) {
        /* The store wrote it, so this is a bug or a newer writer: stop
         * rather than skip an event silently. */
        log_error("msg=\"undecodable event\" stream=%s seq=%" PRId64, stream, seq);
        c->failed = true;
        return -1;
    }
    correlator_emit_ctx_t x = {c, ev};
    corr_engine_apply(c->engine, ev, ev->received_at_us, correlator_emit, &x);
    correlator_batch_offset(c->batch, stream, seq);
    event_destroy(&ev);
    metric_inc(c->m_events);
    if (c->batch_started_us == 0) {
        c->batch_started_us = correlator_mono_us();
    }
    if ((int64_t)correlator_batch_events(c->batch) >= c->s->correlator_batch_max_events) {
        return correlator_commit(c);
    }
    return 0;
}

/* ---- session: state from the database, then live ---- */

static void correlator_load_silences(correlator_t *c)
{
    corr_silence_t *s = NULL;
    size_t n = 0;
    if (correlator_store_silences(c->conn, &s, &n) < 0) {
        c->failed = true;
        return;
    }
    corr_engine_set_silences(c->engine, s, n);
    correlator_store_silences_free(s, n);
}

static void correlator_session_end(void *arg)
{
    correlator_t *c = arg;
    stream_consumer_destroy(&c->consumer);
    correlator_batch_destroy(&c->batch);
    corr_engine_destroy(&c->engine);
    if (c->fetch_conn) {
        PQfinish(c->fetch_conn);
        c->fetch_conn = NULL;
    }
    if (c->conn) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    atomic_store(&c->health.db_ok, false);
    atomic_store(&c->health.caught_up, false);
}

/* correlator_session_start - lock, engine from the tables, offsets, catch-up. */
static int correlator_session_start(void *arg)
{
    correlator_t *c = arg;
    const settings_t *s = c->s;
    c->failed = false;
    c->batch_started_us = 0;
    c->conn = correlator_store_open(s, &daemon_stopping);
    if (!c->conn) {
        return -1;
    }
    c->fetch_conn = db_connect(s->database_url, s->database_connect_timeout_ms);
    int64_t next_id = 1, head = 0;
    if (!c->fetch_conn || correlator_store_next_incident_id(c->conn, &next_id) != DB_OK ||
        db_stream_head(c->conn, s->correlator_stream, &head) != DB_OK) {
        return -1;
    }
    c->engine = corr_engine_new(c->rules, next_id);
    size_t nalerts = 0, nincidents = 0;
    int64_t t0 = correlator_mono_us();
    if (correlator_store_restore(c->conn, c->engine, c->rules, &nalerts, &nincidents) < 0) {
        return -1;
    }
    correlator_load_silences(c);
    c->batch = correlator_batch_new(s->correlator_stream, head);
    c->consumer = stream_consumer_new(c->zctx, s->correlator_events, "events", event_store_fetch,
                                      c->fetch_conn, correlator_apply, c);
    if (c->failed || !c->consumer ||
        stream_pg_load_offsets(c->consumer, c->conn, s->correlator_stream) < 0) {
        return -1;
    }
    atomic_store(&c->health.db_ok, true);
    log_info("msg=\"state restored\" alerts=%zu incidents=%zu next_incident=%" PRId64
             " stream=%s head=%" PRId64 " ms=%" PRId64,
             nalerts, nincidents, next_id, s->correlator_stream, head,
             (correlator_mono_us() - t0) / 1000);
    if (stream_pg_catch_up(c->consumer, c->fetch_conn, "events") < 0 || c->failed ||
        correlator_commit(c) < 0) {
        return -1;
    }
    metric_inc(c->m_sessions);
    atomic_store(&c->health.caught_up, true);
    stream_pub_heartbeat(c->pub, correlator_batch_head(c->batch));
    log_info("msg=\"caught up; live\" incidents_head=%" PRId64, correlator_batch_head(c->batch));
    return 0;
}

/* correlator_reload_rules - SIGHUP: swap the rules, keep the state. */
static void correlator_reload_rules(correlator_t *c)
{
    pthread_mutex_lock(&c->reload_lock);
    char *path = c->reload_path;
    c->reload_path = NULL;
    pthread_mutex_unlock(&c->reload_lock);
    if (!path) {
        return;
    }
    corr_rules_t *fresh = correlator_rules_load(path);
    if (!fresh) {
        log_error("msg=\"rule reload refused, keeping the current rules\" file=%s", path);
        free(path);
        return;
    }
    /* Commit what the old rules decided before the new ones apply. */
    if (correlator_commit(c) == 0) {
        corr_rules_t *old = c->rules;
        c->rules = fresh;
        if (c->engine) {
            corr_engine_set_rules(c->engine, fresh);
        }
        corr_rules_destroy(&old);
        log_info("msg=\"rules reloaded\" file=%s rules=%zu", *path ? path : "(defaults)",
                 fresh->nrules);
    } else {
        corr_rules_destroy(&fresh);
    }
    free(path);
}

/* correlator_heartbeat - timers, repeat counts, head, lag. */
static void correlator_heartbeat(correlator_t *c)
{
    corr_engine_advance(c->engine, event_now_us(), correlator_batch_add, c->batch);
    if (correlator_commit(c) < 0) {
        return;
    }
    int64_t lag = stream_pg_lag(c->consumer, c->conn, "events");
    if (lag < 0) {
        c->failed = true;
        atomic_store(&c->health.db_ok, false);
        return;
    }
    atomic_store(&c->health.lag, lag);
    stream_pub_heartbeat(c->pub, correlator_batch_head(c->batch));
}

/* correlator_live - consume until a failure or stop. */
static void correlator_live(void *arg)
{
    correlator_t *c = arg;
    const settings_t *s = c->s;
    int64_t hb_every = s->correlator_heartbeat_ms * 1000;
    int64_t sil_every = s->correlator_silence_refresh_ms * 1000;
    int64_t next_hb = correlator_mono_us() + hb_every, next_sil = correlator_mono_us() + sil_every;
    while (!atomic_load(&c->stop) && !c->failed) {
        int64_t now = correlator_mono_us();
        int64_t wake = next_hb < next_sil ? next_hb : next_sil;
        if (c->batch_started_us) {
            int64_t due = c->batch_started_us + s->correlator_batch_max_wait_us;
            wake = due < wake ? due : wake;
        }
        int timeout_ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        if (timeout_ms > 100) {
            timeout_ms = 100; /* notice stop and reloads */
        }
        if (stream_consumer_poll(c->consumer, timeout_ms) < 0) {
            log_warn("msg=\"events consumer failed\"");
            c->failed = true;
            break;
        }
        now = correlator_mono_us();
        if (c->batch_started_us && now - c->batch_started_us >= s->correlator_batch_max_wait_us) {
            correlator_commit(c);
        }
        if (now >= next_hb) {
            correlator_heartbeat(c);
            next_hb = now + hb_every;
        }
        if (now >= next_sil) {
            correlator_load_silences(c);
            next_sil = now + sil_every;
        }
        correlator_reload_rules(c);
    }
    if (!c->failed) {
        correlator_commit(c); /* drain on SIGTERM */
    }
}

static void *correlator_main(void *arg)
{
    correlator_t *c = arg;
    c->pub =
        stream_pub_new(c->zctx, c->s->correlator_publish, "incidents", c->s->correlator_stream);
    if (!c->pub) {
        log_fatal("msg=\"cannot publish the incidents stream\" endpoint=%s",
                  c->s->correlator_publish);
    }
    daemon_session_loop(correlator_session_start, correlator_live, correlator_session_end, c,
                        &c->stop, c->s->database_retry_max_ms);
    stream_pub_destroy(&c->pub);
    return NULL;
}

/* ---- daemon callbacks ---- */

/* correlator_start - rules (a bad file is fatal), HTTP, then the worker. */
static int correlator_start(const settings_t *s, void **state)
{
    correlator_t *c = xcalloc(1, sizeof *c);
    *state = c;
    c->s = s;
    c->health.max_lag = s->correlator_max_lag;
    c->health.lag_unit = "events";
    pthread_mutex_init(&c->reload_lock, NULL);
    c->rules = correlator_rules_load(s->correlator_rules);
    if (!c->rules) {
        return -1;
    }
    correlator_metrics_init(c);
    c->zctx = zmq_ctx_new();
    /* No routes of our own: /healthz and /metrics are built in. (A
     * non-NULL table: the server copies it even when empty.) */
    static const http_route_t no_routes[1];
    http_server_config_t hc = {
        .listen = s->correlator_http_listen,
        .routes = no_routes,
        .nroutes = 0,
        .threads = 2,
        .healthy = daemon_health,
        .health_arg = &c->health,
    };
    c->http = http_server_start(&hc);
    if (!c->http) {
        return -1;
    }
    daemon_pid_file(s->correlator_pid_file, true); /* for `alertdesk rules reload` */
    if (pthread_create(&c->thread, NULL, correlator_main, c) != 0) {
        log_fatal("msg=\"cannot start the correlator thread\"");
    }
    c->thread_started = true;
    log_info("msg=listening http=%s publish=%s events=%s stream=%s rules=%s",
             s->correlator_http_listen, s->correlator_publish, s->correlator_events,
             s->correlator_stream, *s->correlator_rules ? s->correlator_rules : "(defaults)");
    return 0;
}

/* correlator_reload - SIGHUP: the worker reloads the rule file named by the
 * fresh settings; other settings wait for a restart. */
static int correlator_reload(void *state, const settings_t *fresh)
{
    correlator_t *c = state;
    pthread_mutex_lock(&c->reload_lock);
    free(c->reload_path);
    c->reload_path = xstrdup(fresh->correlator_rules);
    pthread_mutex_unlock(&c->reload_lock);
    return 0;
}

/* correlator_stop - commit what was applied, then close everything. */
static void correlator_stop(void *state)
{
    correlator_t *c = state;
    if (!c) {
        return;
    }
    atomic_store(&c->stop, true);
    if (c->thread_started) {
        pthread_join(c->thread, NULL);
    }
    http_server_stop(&c->http);
    if (c->zctx) {
        zmq_ctx_term(c->zctx);
    }
    daemon_pid_file(c->s->correlator_pid_file, false);
    corr_rules_destroy(&c->rules);
    for (size_t i = 0; i < c->nrule_metrics; i++) {
        free(c->rule_metrics[i].name);
    }
    free(c->reload_path);
    pthread_mutex_destroy(&c->reload_lock);
    free(c);
}

/* correlator_check - --check-config: the rule file loads. */
static int correlator_check(const settings_t *s, char *err, size_t errlen)
{
    corr_rules_t *r = NULL;
    if (*s->correlator_rules && corr_rules_load(s->correlator_rules, &r, err, errlen) < 0) {
        return -1;
    }
    corr_rules_destroy(&r);
    return 0;
}

int main(int argc, char **argv)
{
    static const daemon_spec_t spec = {
        .name = "alertdesk-correlator",
        .component = "correlator",
        .description =
            "Consumes the `events` stream and correlates alerts into incidents (deduplication,\n"
            "rules, topology, silences, maintenance windows, flapping); writes alerts,\n"
            "incidents and decisions to PostgreSQL and publishes the `incidents` stream.\n"
            "SIGHUP (or `alertdesk rules reload`) reloads correlator.rules; a bad file keeps\n"
            "the running rules.",
        .tick_ms = 1000,
        .start = correlator_start,
        .reload = correlator_reload,
        .stop = correlator_stop,
        .check = correlator_check,
    };
    return daemon_main(&spec, argc, argv);
}
