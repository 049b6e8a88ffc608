/*
 * ticketer_api_stream - GET /api/v1/stream: ticket changes as server-sent
 * events, for the console's live queue.
 *
 * Each row of ticket_events on the ticketer's stream (ticketer.stream) is
 * one event, in seq order, with the seq as its id:
 *
 *   id: 42
 *   event: ticket
 *   data: {"seq":42,"kind":"state_changed","at":...,"actor":"alice",
 *          "field":"state","before":"new","after":"acknowledged",
 *          "key":"NOC-12","ticket":{... the ticket now, as the list shows it}}
 *
 * The first event is `hello` ({"head": the stream's last seq, "after": where
 * this stream starts}); `heartbeat` ({"seq": last sent}) follows every
 * API_STREAM_HEARTBEAT_S seconds of silence, so a client can tell a quiet
 * stream from a dead one and a proxy keeps the connection. A client that
 * lost the connection comes back with `Last-Event-ID` (EventSource does it)
 * or `?after=SEQ` and gets every change it missed, from the table: nothing
 * is kept in memory per client but its position.
 *
 * Authentication: the bearer token, or ?ticket= from POST
 * /api/v1/stream/token (ticketer_api_session.c) for an EventSource.
 *
 * One hub thread serves every open stream: it polls ticket_events every
 * API_STREAM_POLL_MS from the lowest position any client is at and writes
 * each client the rows past its own (http_stream_write; a connection waits
 * suspended between writes, holding no HTTP thread). Rows are visible in
 * seq order because the seqs are taken under the stream head's row lock
 * and committed with it.
 *
 * Does not: filter per client (every viewer may see every ticket), or
 * replay anything but ticket_events.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

#define API_STREAM_POLL_MS     500
#define API_STREAM_HEARTBEAT_S 15
#define API_STREAM_BATCH       200
#define API_STREAM_CLIENTS_MAX 256

typedef struct api_stream_sub {
    http_stream_t *st; /* the producer's reference */
    int64_t after;     /* last seq sent */
    int64_t last_write_us;
    struct api_stream_sub *next;
} api_stream_sub_t;

struct api_stream_hub {
    const settings_t *s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    api_stream_sub_t *subs;
    size_t nsubs;
};

/* api_stream_send - writes one event; -1 when the client has gone. */
static int api_stream_send(api_stream_sub_t *sub, const char *id, const char *event,
                           const char *data, int64_t now_us)
{
    char *text = id ? xasprintf("id: %s\nevent: %s\ndata: %s\n\n", id, event, data)
                    : xasprintf("event: %s\ndata: %s\n\n", event, data);
    int rc = http_stream_write(sub->st, text, strlen(text));
    free(text);
    sub->last_write_us = now_us;
    return rc;
}

/* api_stream_min_after - the lowest position of any client; with the lock. */
static int64_t api_stream_min_after(const api_stream_hub_t *h)
{
    int64_t m = INT64_MAX;
    for (const api_stream_sub_t *s = h->subs; s; s = s->next) {
        m = s->after < m ? s->after : m;
    }
    return m;
}

/* api_stream_poll - one pass: reads the rows past the lowest position and
 * hands each client its share; heartbeats; drops clients that have gone.
 * Returns the rows read (API_STREAM_BATCH: there may be more). */
static int api_stream_poll(api_stream_hub_t *h)
{
    pthread_mutex_lock(&h->lock);
    int64_t from = api_stream_min_after(h);
    pthread_mutex_unlock(&h->lock);
    if (from == INT64_MAX) {
        return 0;
    }
    PGresult *res = NULL;
    PGconn *conn = db_thread_conn(h->s->database_url, h->s->database_connect_timeout_ms);
    if (conn) {
        char fbuf[24], lbuf[16];
        snprintf(fbuf, sizeof fbuf, "%" PRId64, from);
        snprintf(lbuf, sizeof lbuf, "%d", API_STREAM_BATCH);
        const char *params[] = {h->s->ticketer_stream, fbuf, lbuf};
        char *sql =
            xasprintf("SELECT e.seq, json_build_object('seq', e.seq, 'kind', e.kind, 'at', e.at, "
                      "'actor', e.actor, 'field', e.field, 'before', e.before, 'after', e.after, "
                      "'comment', e.comment, 'key', e.ticket_key, 'ticket', %s)::text "
                      "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                      "WHERE e.stream = $1 AND e.seq > $2::bigint ORDER BY e.seq LIMIT $3::int",
                      api_ticket_json_sql);
        if (db_exec(conn, "api.stream.poll", sql, 3, params, &res) != DB_OK) {
            db_thread_conn_reset();
            res = NULL;
        }
        free(sql);
    }
    int rows = res ? PQntuples(res) : 0;
    int64_t now = api_now_us();
    pthread_mutex_lock(&h->lock);
    for (api_stream_sub_t **pp = &h->subs; *pp;) {
        api_stream_sub_t *sub = *pp;
        int rc = 0;
        for (int i = 0; i < rows && rc == 0; i++) {
            int64_t seq = strtoll(PQgetvalue(res, i, 0), NULL, 10);
            if (seq > sub->after) {
                rc = api_stream_send(sub, PQgetvalue(res, i, 0), "ticket", PQgetvalue(res, i, 1),
                                     now);
                sub->after = seq;
            }
        }
        if (rc == 0 && now - sub->last_write_us >= (int64_t)API_STREAM_HEARTBEAT_S * 1000000) {
            char data[48];
            snprintf(data, sizeof data, "{\"seq\":%" PRId64 "}", sub->after);
            rc = api_stream_send(sub, NULL, "heartbeat", data, now);
        }
        if (rc != 0) {
            *pp = sub->next;
            h->nsubs--;
            http_stream_release(&sub->st);
            free(sub);
        } else {
            pp = &sub->next;
        }
    }
    pthread_mutex_unlock(&h->lock);
    PQclear(res);
    return rows;
}

static void *api_stream_main(void *arg)
{
    api_stream_hub_t *h = arg;
    int rows = 0;
    pthread_mutex_lock(&h->lock);
    while (!h->stop) {
        if (rows < API_STREAM_BATCH) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)API_STREAM_POLL_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&h->cond, &h->lock, &until);
            if (h->stop) {
                break;
            }
        }
        pthread_mutex_unlock(&h->lock);
        rows = api_stream_poll(h);
        pthread_mutex_lock(&h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

api_stream_hub_t *api_stream_hub_new(const settings_t *s)
{
    api_stream_hub_t *h = xcalloc(1, sizeof *h);
    h->s = s;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    if (pthread_create(&h->thread, NULL, api_stream_main, h) != 0) {
        log_fatal("msg=\"cannot start the stream thread\"");
    }
    return h;
}

void api_stream_hub_destroy(api_stream_hub_t **hp)
{
    if (!hp || !*hp) {
        return;
    }
    api_stream_hub_t *h = *hp;
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    while (h->subs) {
        api_stream_sub_t *sub = h->subs;
        h->subs = sub->next;
        http_stream_release(&sub->st);
        free(sub);
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
    *hp = NULL;
}

/* api_stream_position - Last-Event-ID, else ?after=; 0 with *given false
 * when neither; -1 after answering 400. */
static int api_stream_position(api_ctx_t *c, int64_t *after, bool *given)
{
    const char *v = http_request_header(c->req, "Last-Event-ID");
    const char *field = "Last-Event-ID";
    if (!v || !*v) {
        v = http_request_query(c->req, "after");
        field = "after";
    }
    *given = v != NULL;
    *after = 0;
    if (!v) {
        return 0;
    }
    size_t n = strlen(v);
    if (n == 0 || n > 18 || strspn(v, "0123456789") != n) {
        api_error(c, 400, field, "%s must be a ticket_events seq (a number)", field);
        return -1;
    }
    *after = strtoll(v, NULL, 10);
    return 0;
}

void api_stream_open(api_ctx_t *c)
{
    static const char *const known[] = {"ticket", "after", NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    int64_t after = 0, head = 0;
    bool given = false;
    if (api_stream_position(c, &after, &given) < 0) {
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    if (db_stream_head(conn, c->api->cfg.settings->ticketer_stream, &head) != DB_OK) {
        api_conn_reset(c);
        api_unavailable(c);
        return;
    }
    api_stream_hub_t *h = c->api->stream_hub;
    pthread_mutex_lock(&h->lock);
    bool full = h->nsubs >= API_STREAM_CLIENTS_MAX;
    pthread_mutex_unlock(&h->lock);
    if (full) {
        api_error(c, 503, NULL, "too many open streams (%d); retry shortly",
                  API_STREAM_CLIENTS_MAX);
        return;
    }
    if (!given || after > head) {
        after = head;
    }
    http_response_header(c->req, "Cache-Control", "no-store");
    http_response_header(c->req, "X-Accel-Buffering", "no");
    api_stream_sub_t *sub = xcalloc(1, sizeof *sub);
    sub->st = http_respond_stream(c->req, "text/event-stream; charset=utf-8");
    sub->after = after;
    char hello[96];
    snprintf(hello, sizeof hello, "{\"head\":%" PRId64 ",\"after\":%" PRId64 "}", head, after);
    const char retry[] = "retry: 3000\n\n";
    http_stream_write(sub->st, retry, sizeof retry - 1);
    api_stream_send(sub, NULL, "hello", hello, api_now_us());
    pthread_mutex_lock(&h->lock);
    sub->next = h->subs;
    h->subs = sub;
    h->nsubs++;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
    log_info("msg=\"stream opened\" actor=%s after=%" PRId64, c->actor, after);
}
