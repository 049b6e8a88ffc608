/*
 * alertdesk-ingest - accepts alerts from monitoring tools, stores every
 * accepted one in PostgreSQL before answering, then publishes them in order
 * on the `events` stream for the correlator.
 *
 * Intakes: HTTP (ingest_http.c), ZeroMQ (ingest_zmq.c), Kafka
 * (ingest_kafka.c). They decode and validate (common/decode_*.c) and hand
 * requests to the group committer (ingest_commit.c) through a bounded queue
 * (intake.c). This file wires them together and hands the lifecycle to the
 * shared daemon skeleton (common/daemon.c).
 *
 * Not here: correlation, tickets, paging (the other daemons).
 */
#include <string.h>

#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

#include "ingest.h"
#include "ingest_commit.h"
#include "ingest_http.h"
#include "ingest_kafka.h"
#include "ingest_zmq.h"
#include "intake_queue.h"

typedef struct {
    ingest_t in;
    void *zctx;
    ingest_commit_t *commit;
    http_server_t *http;
    ingest_zmq_t *zmq;
    ingest_kafka_t *kafka;
} ingest_state_t;

static const char *const ingest_kind_labels[] = {"http", "zmq", "kafka"};
static const char *const ingest_reason_labels[] = {"invalid",  "body",        "auth",
                                                   "overload", "unavailable", "failed"};

/* ingest_health - /healthz: 200 only while the database is reachable. */
static bool ingest_health(void *arg, char *why, size_t whylen)
{
    ingest_state_t *st = arg;
    if (!ingest_commit_db_ok(st->commit)) {
        snprintf(why, whylen, "database unreachable");
        return false;
    }
    if (st->kafka && !ingest_kafka_healthy(st->kafka)) {
        snprintf(why, whylen, "kafka consumer unhealthy");
        return false;
    }
    return true;
}

static double ingest_queue_gauge(void *arg)
{
    return (double)intake_queue_depth(arg);
}

/* ingest_metrics_init - every series exists from the start, at zero. */
static void ingest_metrics_init(ingest_t *in)
{
    for (int k = 0; k < 3; k++) {
        for (int f = 1; f <= 4; f++) {
            char labels[96];
            snprintf(labels, sizeof labels, "intake=\"%s\",format=\"%s\"", ingest_kind_labels[k],
                     event_format_name((event_format_t)f));
            in->m_received[k][f] = metrics_counter("alertdesk_ingest_received_total",
                                                   "Requests (Kafka: messages) received", labels);
            in->m_accepted[k][f] = metrics_counter("alertdesk_ingest_accepted_total",
                                                   "Events that passed validation", labels);
        }
        in->m_received[k][0] = in->m_received[k][1];
        in->m_accepted[k][0] = in->m_accepted[k][1];
        for (int r = 0; r < INGEST_REJECT_NREASONS; r++) {
            char labels[96];
            snprintf(labels, sizeof labels, "intake=\"%s\",reason=\"%s\"", ingest_kind_labels[k],
                     ingest_reason_labels[r]);
            in->m_rejected[k][r] = metrics_counter(
                "alertdesk_ingest_rejected_total",
                "Events or requests refused (invalid/body: per event; others: per request)",
                labels);
        }
    }
    metrics_gauge_fn("alertdesk_ingest_queue_events", "Events waiting for the committer", NULL,
                     ingest_queue_gauge, in->q);
}

/* ingest_start - queue, committer, then the intakes. */
static int ingest_start(const settings_t *s, void **state)
{
    ingest_state_t *st = xcalloc(1, sizeof *st);
    st->in.s = s;
    st->in.q = intake_queue_new((size_t)s->ingest_queue_max_events);
    ingest_live_set(&st->in, s);
    ingest_metrics_init(&st->in);
    st->zctx = zmq_ctx_new();
    *state = st;
    st->commit = ingest_commit_start(s, st->in.q, st->zctx);
    if (!st->commit) {
        return -1;
    }
    st->http = ingest_http_start(&st->in, ingest_health, st);
    if (!st->http) {
        return -1;
    }
    if (*s->ingest_zmq_listen) {
        st->zmq = ingest_zmq_start(&st->in, st->zctx);
        if (!st->zmq) {
            return -1;
        }
    }
    if (*s->kafka_brokers) {
        decode_context_t ctx;
        ingest_decode_context(&st->in, &ctx);
        st->kafka = ingest_kafka_start(s, st->in.q, &ctx);
        if (!st->kafka) {
            return -1;
        }
    }
    log_info("msg=listening http=%s zmq=%s kafka=%s publish=%s stream=%s", s->ingest_http_listen,
             *s->ingest_zmq_listen ? s->ingest_zmq_listen : "off",
             *s->kafka_brokers ? s->kafka_brokers : "off", s->ingest_publish, s->ingest_stream);
    return 0;
}

/* ingest_reload - tokens, auth.required and integrations switch at once
 * (a new generation); listeners, limits, batching and Kafka keep what they
 * started with until a restart. */
static int ingest_reload(void *state, const settings_t *fresh)
{
    ingest_state_t *st = state;
    ingest_live_set(&st->in, fresh);
    log_info("msg=\"auth and integrations reloaded\" tokens=%zu integrations=%zu", fresh->ntokens,
             fresh->nintegrations);
    return 0;
}

/* ingest_stop - refuse new work, let every request in flight be committed
 * and answered, then close. */
static void ingest_stop(void *state)
{
    ingest_state_t *st = state;
    if (!st) {
        return;
    }
    /* Kafka first, while the queue still takes work: its batch in hand is
     * stored and its offsets committed instead of being read again later. */
    ingest_kafka_stop(&st->kafka);
    intake_begin_stop(st->in.q);
    ingest_zmq_stop(&st->zmq);
    ingest_commit_stop(&st->commit);
    http_server_stop(&st->http);
    if (st->zctx) {
        zmq_ctx_term(st->zctx);
    }
    intake_queue_destroy(&st->in.q);
    ingest_live_free(&st->in);
    free(st);
}

int main(int argc, char **argv)
{
    static const daemon_spec_t spec = {
        .name = "alertdesk-ingest",
        .component = "ingest",
        .description =
            "Accepts alerts over HTTP (native, Alertmanager webhook, PagerDuty Events v2,\n"
            "Zabbix media type), ZeroMQ and Kafka; stores every accepted alert in PostgreSQL\n"
            "before answering; publishes them in order on the `events` stream.",
        .tick_ms = 1000,
        .start = ingest_start,
        .reload = ingest_reload,
        .stop = ingest_stop,
    };
    return daemon_main(&spec, argc, argv);
}
