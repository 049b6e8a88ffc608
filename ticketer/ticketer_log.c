/*
 * ticketer_log - the ticket_events rows of one transaction: collected while
 * a writer works, inserted with their seqs last thing before COMMIT, then
 * queued in the outbox for the worker to publish. See ticketer_log.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

#include "ticketer_log.h"

#define TICKETER_RECORD_MAGIC   'T'
#define TICKETER_RECORD_VERSION 1
#define TICKETER_RECORD_NSTR    10
#define TICKETER_FETCH_BATCH    2000

struct ticketer_log {
    char *stream;
    ticket_change_t *v;
    size_t n, cap;
};

/* ---- one change: owned copies ---- */

static const char *ticketer_dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* The string fields of a change, in payload order. */
#define TICKETER_CHANGE_STRINGS(c)                                                                 \
    {                                                                                              \
        &(c)->actor, &(c)->kind, &(c)->field, &(c)->before, &(c)->after, &(c)->comment,            \
            &(c)->ticket_key, &(c)->state, &(c)->queue, &(c)->assignee                             \
    }

static void ticketer_change_free(ticket_change_t *c)
{
    const char **s[TICKETER_RECORD_NSTR] = TICKETER_CHANGE_STRINGS(c);
    for (int i = 0; i < TICKETER_RECORD_NSTR; i++) {
        free((char *)*s[i]);
        *s[i] = NULL;
    }
}

ticketer_log_t *ticketer_log_new(const char *stream)
{
    ticketer_log_t *l = xcalloc(1, sizeof *l);
    l->stream = xstrdup(stream);
    return l;
}

void ticketer_log_reset(ticketer_log_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        ticketer_change_free(&l->v[i]);
    }
    l->n = 0;
}

void ticketer_log_destroy(ticketer_log_t **lp)
{
    if (!lp || !*lp) {
        return;
    }
    ticketer_log_reset(*lp);
    free((*lp)->v);
    free((*lp)->stream);
    free(*lp);
    *lp = NULL;
}

void ticketer_log_add(ticketer_log_t *l, const ticket_change_t *c)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    ticket_change_t *d = &l->v[l->n++];
    *d = *c;
    d->seq = 0;
    const char **s[TICKETER_RECORD_NSTR] = TICKETER_CHANGE_STRINGS(d);
    for (int i = 0; i < TICKETER_RECORD_NSTR; i++) {
        *s[i] = ticketer_dup(*s[i]);
    }
}

size_t ticketer_log_count(const ticketer_log_t *l)
{
    return l->n;
}

const ticket_change_t *ticketer_log_get(const ticketer_log_t *l, size_t i)
{
    return i < l->n ? &l->v[i] : NULL;
}

/* ---- into ticket_events ---- */

db_status_t ticketer_log_flush(PGconn *conn, ticketer_log_t *l)
{
    if (l->n == 0) {
        return DB_OK;
    }
    int64_t first = 0;
    db_status_t st = db_stream_reserve(conn, l->stream, (int64_t)l->n, &first);
    if (st != DB_OK) {
        return st;
    }
    db_copy_t c;
    db_copy_init(&c);
    db_copy_reset(&c);
    for (size_t i = 0; i < l->n; i++) {
        ticket_change_t *e = &l->v[i];
        e->seq = first + (int64_t)i;
        db_copy_row(&c, 15);
        db_copy_text(&c, l->stream);
        db_copy_int64(&c, e->seq);
        db_copy_int64(&c, e->ticket_id);
        db_copy_timestamptz(&c, e->at_us);
        db_copy_text(&c, e->actor ? e->actor : "system");
        db_copy_text(&c, e->kind);
        db_copy_text(&c, e->field ? e->field : "");
        db_copy_text(&c, e->before);
        db_copy_text(&c, e->after);
        db_copy_text(&c, e->comment);
        db_copy_text(&c, e->ticket_key);
        db_copy_text(&c, e->state);
        db_copy_int16(&c, (int16_t)e->priority);
        db_copy_text(&c, e->queue);
        db_copy_text(&c, e->assignee);
    }
    /* committed_at takes the server's now() from its default. */
    st = db_copy_send(conn, "ticket_events",
                      "COPY ticket_events (stream, seq, ticket_id, at, actor, kind, field, before, "
                      "after, comment, ticket_key, state, priority, queue, assignee) FROM STDIN "
                      "(FORMAT binary)",
                      &c);
    db_copy_free(&c);
    return st;
}

/* ---- payload ---- */

void ticketer_change_encode(const ticket_change_t *c, wire_buf_t *b)
{
    uint8_t head[3] = {TICKETER_RECORD_MAGIC, TICKETER_RECORD_VERSION, (uint8_t)c->priority};
    wire_buf_put(b, head, sizeof head);
    wire_put_i64(b, c->seq);
    wire_put_i64(b, c->ticket_id);
    wire_put_i64(b, c->at_us);
    const char **s[TICKETER_RECORD_NSTR] = TICKETER_CHANGE_STRINGS((ticket_change_t *)c);
    for (int i = 0; i < TICKETER_RECORD_NSTR; i++) {
        wire_put_opt_str(b, *s[i]);
    }
}

int ticketer_change_decode(const uint8_t *p, size_t len, ticket_change_t *out, char **strings)
{
    *strings = NULL;
    if (len < 3 || p[0] != TICKETER_RECORD_MAGIC || p[1] != TICKETER_RECORD_VERSION || p[2] > 4) {
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->priority = p[2];
    wire_reader_t r = {p, len, 3};
    if (wire_get_i64(&r, &out->seq) < 0 || wire_get_i64(&r, &out->ticket_id) < 0 ||
        wire_get_i64(&r, &out->at_us) < 0) {
        return -1;
    }
    /* First pass: lengths (n + 1, 0 = NULL), checked against the buffer. */
    size_t off[TICKETER_RECORD_NSTR], lens[TICKETER_RECORD_NSTR], total = 0;
    bool isnull[TICKETER_RECORD_NSTR];
    for (int i = 0; i < TICKETER_RECORD_NSTR; i++) {
        uint64_t v;
        if (wire_get_varint(&r, &v) < 0 || (v > 0 && v - 1 > r.len - r.pos)) {
            return -1;
        }
        isnull[i] = v == 0;
        lens[i] = v ? (size_t)(v - 1) : 0;
        off[i] = r.pos;
        if (memchr(p + off[i], '\0', lens[i])) {
            return -1;
        }
        r.pos += lens[i];
        total += lens[i] + 1;
    }
    if (r.pos != len) {
        return -1;
    }
    char *buf = xmalloc(total), *w = buf;
    const char **dst[TICKETER_RECORD_NSTR] = TICKETER_CHANGE_STRINGS(out);
    for (int i = 0; i < TICKETER_RECORD_NSTR; i++) {
        memcpy(w, p + off[i], lens[i]);
        w[lens[i]] = '\0';
        *dst[i] = isnull[i] ? NULL : w;
        w += lens[i] + 1;
    }
    *strings = buf;
    return 0;
}

/* ---- reading gaps back ---- */

static const char *ticketer_value(const PGresult *res, int i, int col)
{
    return PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
}

/* One ticket_events row (text result) as an encoded change. */
static int64_t ticketer_stream_row(void *arg, const PGresult *res, int i, wire_buf_t *buf)
{
    (void)arg;
    ticket_change_t c = {
        .seq = strtoll(PQgetvalue(res, i, 0), NULL, 10),
        .ticket_id = strtoll(PQgetvalue(res, i, 1), NULL, 10),
        .at_us = strtoll(PQgetvalue(res, i, 2), NULL, 10),
        .actor = ticketer_value(res, i, 3),
        .kind = ticketer_value(res, i, 4),
        .field = ticketer_value(res, i, 5),
        .before = ticketer_value(res, i, 6),
        .after = ticketer_value(res, i, 7),
        .comment = ticketer_value(res, i, 8),
        .ticket_key = ticketer_value(res, i, 9),
        .state = ticketer_value(res, i, 10),
        .priority = atoi(PQgetvalue(res, i, 11)),
        .queue = ticketer_value(res, i, 12),
        .assignee = ticketer_value(res, i, 13),
    };
    ticketer_change_encode(&c, buf);
    return c.seq;
}

int64_t ticketer_stream_fetch(void *conn, const char *stream, int64_t after_seq, int64_t upto_seq,
                              stream_apply_fn apply, void *apply_arg)
{
    return db_fetch_range(conn, "ticket_events",
                          "SELECT seq, ticket_id, (extract(epoch FROM at) * 1000000)::bigint, "
                          "actor, kind, field, before, after, comment, ticket_key, state, "
                          "priority, queue, assignee FROM ticket_events WHERE stream = $1 AND "
                          "seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
                          0, TICKETER_FETCH_BATCH, stream, after_seq, upto_seq, ticketer_stream_row,
                          NULL, apply, apply_arg);
}

/* ---- outbox ---- */

typedef struct {
    int64_t seq;
    uint8_t *payload;
    size_t len;
} ticketer_outbox_item_t;

struct ticketer_outbox {
    pthread_mutex_t lock;
    ticketer_outbox_item_t *v;
    size_t n, cap;
};

ticketer_outbox_t *ticketer_outbox_new(void)
{
    ticketer_outbox_t *o = xcalloc(1, sizeof *o);
    pthread_mutex_init(&o->lock, NULL);
    return o;
}

void ticketer_outbox_destroy(ticketer_outbox_t **op)
{
    if (!op || !*op) {
        return;
    }
    ticketer_outbox_t *o = *op;
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].payload);
    }
    free(o->v);
    pthread_mutex_destroy(&o->lock);
    free(o);
    *op = NULL;
}

void ticketer_outbox_push(ticketer_outbox_t *o, const ticketer_log_t *l)
{
    if (l->n == 0) {
        return;
    }
    wire_buf_t b;
    pthread_mutex_lock(&o->lock);
    for (size_t i = 0; i < l->n; i++) {
        wire_buf_init(&b);
        ticketer_change_encode(&l->v[i], &b);
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 64;
            o->v = xrealloc(o->v, o->cap * sizeof *o->v);
        }
        o->v[o->n++] = (ticketer_outbox_item_t){l->v[i].seq, b.data, b.len};
    }
    pthread_mutex_unlock(&o->lock);
}

static int ticketer_outbox_cmp(const void *a, const void *b)
{
    int64_t x = ((const ticketer_outbox_item_t *)a)->seq,
            y = ((const ticketer_outbox_item_t *)b)->seq;
    return (x > y) - (x < y);
}

void ticketer_outbox_publish(ticketer_outbox_t *o, stream_pub_t *pub)
{
    pthread_mutex_lock(&o->lock);
    ticketer_outbox_item_t *v = o->v;
    size_t n = o->n;
    o->v = NULL;
    o->n = o->cap = 0;
    pthread_mutex_unlock(&o->lock);
    if (n == 0) {
        return;
    }
    /* Writers commit in seq order but push in any order: sort what we have.
     * A seq still missing (its writer has not pushed yet) is a gap the
     * consumer fills from ticket_events. */
    qsort(v, n, sizeof *v, ticketer_outbox_cmp);
    for (size_t i = 0; i < n; i++) {
        stream_pub_send(pub, v[i].seq, v[i].payload, v[i].len);
        free(v[i].payload);
    }
    free(v);
}
