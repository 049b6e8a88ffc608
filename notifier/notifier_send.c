/*
 * notifier_send - claim due notifications, hand them to deliver, record the
 * outcome. See notifier_send.h for the states and the crash rule.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "event.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

#include "deliver.h"
#include "notifier_send.h"
#include "notify_token.h"

typedef struct {
    int64_t id;
    int attempts;
    int64_t caused_us;
} notifier_flight_t;

struct notifier_sender {
    const settings_t *s;
    deliver_t *deliver;
    notifier_flight_t *flights;
    size_t nflights, cap;
    PGconn *conn; /* during poll */
    bool failed;
    uint64_t rng;
    metric_t *m_latency, *m_sent, *m_failed, *m_retried;
};

static const double notifier_latency_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

notifier_sender_t *notifier_sender_new(const settings_t *s)
{
    notifier_sender_t *snd = xcalloc(1, sizeof *snd);
    snd->s = s;
    snd->deliver = deliver_new(s);
    snd->rng = (uint64_t)event_now_us() ^ 0x9e3779b97f4a7c15ULL;
    snd->m_latency = metrics_histogram(
        "alertdesk_notifier_delivery_latency_seconds",
        "From the ticket change that asked for a notification to its delivery", NULL,
        notifier_latency_bounds, sizeof notifier_latency_bounds / sizeof *notifier_latency_bounds);
    snd->m_sent = metrics_counter("alertdesk_notifier_notifications_total",
                                  "Notifications by final outcome", "outcome=\"sent\"");
    snd->m_failed = metrics_counter("alertdesk_notifier_notifications_total",
                                    "Notifications by final outcome", "outcome=\"failed\"");
    snd->m_retried = metrics_counter("alertdesk_notifier_retries_scheduled_total",
                                     "Attempts that will be retried later", NULL);
    return snd;
}

void notifier_sender_destroy(notifier_sender_t **sp)
{
    if (!sp || !*sp) {
        return;
    }
    deliver_destroy(&(*sp)->deliver);
    free((*sp)->flights);
    free(*sp);
    *sp = NULL;
}

db_status_t notifier_sender_recover(notifier_sender_t *snd, PGconn *conn)
{
    if (snd->nflights > 0) {
        return DB_OK; /* ours are still in flight: leave them */
    }
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "notifier.recover",
                             "UPDATE notifications SET state = 'pending', updated_at = now() "
                             "WHERE state = 'sending' RETURNING id",
                             0, NULL, &res);
    if (st == DB_OK) {
        if (PQntuples(res) > 0) {
            log_warn("msg=\"notifications interrupted by a restart will be sent again\" count=%d",
                     PQntuples(res));
        }
        PQclear(res);
    }
    return st;
}

/* ---- outcome ---- */

static notifier_flight_t *notifier_flight_take(notifier_sender_t *snd, int64_t id,
                                               notifier_flight_t *out)
{
    for (size_t i = 0; i < snd->nflights; i++) {
        if (snd->flights[i].id == id) {
            *out = snd->flights[i];
            snd->flights[i] = snd->flights[--snd->nflights];
            return out;
        }
    }
    return NULL;
}

/* notifier_done - deliver_done_fn: the row moves to its next state. */
static void notifier_done(void *arg, int64_t id, deliver_result_t r, int64_t retry_after_us,
                          int http_status, const char *error)
{
    notifier_sender_t *snd = arg;
    notifier_flight_t f;
    if (!notifier_flight_take(snd, id, &f) || snd->failed) {
        return;
    }
    const settings_t *s = snd->s;
    const char *state = "sent";
    int64_t delay_us = 0;
    if (r == DELIVER_RETRY && f.attempts < s->notifier_max_attempts) {
        state = "pending";
        delay_us = deliver_backoff_us(f.attempts, s->notifier_retry_base_ms * 1000,
                                      s->notifier_retry_max_ms * 1000, &snd->rng);
        if (retry_after_us > delay_us) {
            delay_us = retry_after_us;
        }
        metric_inc(snd->m_retried);
    } else if (r != DELIVER_OK) {
        state = "failed";
        metric_inc(snd->m_failed);
    } else {
        metric_inc(snd->m_sent);
        metric_observe(snd->m_latency, (double)(event_now_us() - f.caused_us) / 1e6);
    }
    char ids[24], delay[24], status[16];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    snprintf(delay, sizeof delay, "%" PRId64, delay_us);
    snprintf(status, sizeof status, "%d", http_status);
    const char *params[] = {ids, state, delay, status, r == DELIVER_OK ? NULL : error};
    if (db_exec(snd->conn, "notifier.outcome",
                "UPDATE notifications SET state = $2, last_status = nullif($4::integer, 0), "
                "last_error = $5, sent_at = CASE WHEN $2 = 'sent' THEN now() END, "
                "next_attempt_at = now() + $3::bigint * interval '1 microsecond', "
                "updated_at = now() WHERE id = $1::bigint AND state = 'sending'",
                5, params, NULL) != DB_OK) {
        snd->failed = true;
        return;
    }
    if (r != DELIVER_OK) {
        log_info("msg=\"delivery attempt failed\" id=%" PRId64 " attempt=%d result=%s next=%s "
                 "delay_ms=%" PRId64 " status=%d error=\"%s\"",
                 id, f.attempts, deliver_result_name(r), state, delay_us / 1000, http_status,
                 error ? error : "");
    }
}

/* ---- claim and submit ---- */

/* notifier_webhook_json - the documented webhook body (docs/PAGING.md). */
static char *notifier_webhook_json(const PGresult *res, int i, const char *ack_url)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("alertdesk.notification"));
    json_object_set_new(o, "id", json_integer(strtoll(PQgetvalue(res, i, 0), NULL, 10)));
    json_object_set_new(o, "idempotency_key", json_string(PQgetvalue(res, i, 3)));
    json_object_set_new(o, "kind", json_string(PQgetvalue(res, i, 8)));
    json_t *t = json_object();
    json_object_set_new(t, "id", json_integer(strtoll(PQgetvalue(res, i, 6), NULL, 10)));
    json_object_set_new(t, "key", json_string(PQgetvalue(res, i, 7)));
    json_object_set_new(o, "ticket", t); /* steals t */
    json_object_set_new(o, "level", json_integer(atoi(PQgetvalue(res, i, 11))));
    json_object_set_new(o, "user", json_string(PQgetvalue(res, i, 10)));
    json_object_set_new(o, "subject", json_string(PQgetvalue(res, i, 4)));
    json_object_set_new(o, "text", json_string(PQgetvalue(res, i, 5)));
    json_object_set_new(o, "ack_url", ack_url ? json_string(ack_url) : json_null());
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

/* notifier_ack_url - a signed, expiring acknowledge link for pages. */
static bool notifier_ack_url(const settings_t *s, int64_t id, int64_t ticket_id, char *out,
                             size_t outlen)
{
    if (!*s->notifier_ack_secret) {
        return false;
    }
    char token[NOTIFY_TOKEN_MAX];
    if (notify_token_make(s->notifier_ack_secret, strlen(s->notifier_ack_secret), id, ticket_id,
                          event_now_us() + s->notifier_ack_ttl_ms * 1000, token,
                          sizeof token) < 0) {
        return false;
    }
    snprintf(out, outlen, "%s/ack/%s", s->notifier_public_url, token);
    return true;
}

db_status_t notifier_sender_run(notifier_sender_t *snd, PGconn *conn, int64_t now_us, size_t limit,
                                size_t *n)
{
    *n = 0;
    char now[24], lim[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(lim, sizeof lim, "%zu", limit);
    const char *params[] = {now, lim};
    PGresult *res = NULL;
    db_status_t st = db_exec(
        conn, "notifier.claim",
        "UPDATE notifications n SET state = 'sending', attempts = attempts + 1, updated_at = now() "
        "WHERE id IN (SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= "
        "timestamptz 'epoch' + $1::bigint * interval '1 microsecond' ORDER BY next_attempt_at "
        "LIMIT $2::integer FOR UPDATE SKIP LOCKED) RETURNING n.id, n.channel, n.target, "
        "n.idempotency_key, n.subject, n.body, n.ticket_id, n.ticket_key, n.kind, n.attempts, "
        "n.user_name, n.level, (extract(epoch FROM n.caused_at) * 1000000)::bigint, "
        "NOT EXISTS (SELECT 1 FROM notifications o WHERE o.ticket_id = n.ticket_id AND "
        "o.channel = 'email' AND o.target = n.target AND o.id < n.id)",
        2, params, &res);
    if (st != DB_OK) {
        return st;
    }
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        int64_t ticket_id = strtoll(PQgetvalue(res, i, 6), NULL, 10);
        deliver_channel_t channel;
        if (deliver_channel_parse(PQgetvalue(res, i, 1), &channel) < 0) {
            channel = DELIVER_WEBHOOK; /* the schema's CHECK makes this unreachable */
        }
        char ack[512];
        bool is_page = strcmp(PQgetvalue(res, i, 8), "mail") != 0;
        bool has_ack = is_page && notifier_ack_url(snd->s, id, ticket_id, ack, sizeof ack);
        char *json =
            channel == DELIVER_WEBHOOK ? notifier_webhook_json(res, i, has_ack ? ack : NULL) : NULL;
        if (snd->nflights == snd->cap) {
            snd->cap = snd->cap ? snd->cap * 2 : 64;
            snd->flights = xrealloc(snd->flights, snd->cap * sizeof *snd->flights);
        }
        snd->flights[snd->nflights++] = (notifier_flight_t){
            id, atoi(PQgetvalue(res, i, 9)), strtoll(PQgetvalue(res, i, 12), NULL, 10)};
        deliver_msg_t m = {
            .id = id,
            .channel = channel,
            .attempt = atoi(PQgetvalue(res, i, 9)),
            .target = PQgetvalue(res, i, 2),
            .idempotency_key = PQgetvalue(res, i, 3),
            .subject = PQgetvalue(res, i, 4),
            .text = PQgetvalue(res, i, 5),
            .json = json,
            .thread_key = PQgetvalue(res, i, 7),
            .thread_first = PQgetvalue(res, i, 13)[0] == 't',
            .ack_url = has_ack ? ack : NULL,
        };
        snd->conn = conn;
        deliver_submit(snd->deliver, &m, notifier_done, snd);
        free(json);
    }
    PQclear(res);
    *n = (size_t)rows;
    return snd->failed ? DB_RETRY : DB_OK;
}

int notifier_sender_poll(notifier_sender_t *snd, PGconn *conn, int timeout_ms)
{
    snd->conn = conn;
    int inflight = deliver_poll(snd->deliver, timeout_ms);
    if (snd->failed) {
        snd->failed = false;
        return -1;
    }
    return inflight;
}
