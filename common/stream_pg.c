/*
 * stream_pg - consumer offsets, catch-up and lag over PostgreSQL for every
 * consuming daemon. See stream_pg.h.
 */
#include <stdio.h>
#include <string.h>

#include "stream_pg.h"

static void stream_pg_set(void *arg, const char *stream, int64_t seq)
{
    stream_consumer_set_offset(arg, stream, seq);
}

int stream_pg_load_offsets(stream_consumer_t *c, PGconn *conn, const char *consumer)
{
    return db_consumer_offsets_load(conn, consumer, stream_pg_set, c);
}

typedef struct {
    stream_consumer_t *c;
    int rc;
    int64_t lag;
} stream_pg_walk_t;

static void stream_pg_catch_up_one(void *arg, const char *stream, int64_t head)
{
    stream_pg_walk_t *w = arg;
    (void)head;
    if (w->rc == 0 && stream_consumer_catch_up(w->c, stream) < 0) {
        w->rc = -1;
    }
}

int stream_pg_catch_up(stream_consumer_t *c, PGconn *conn, const char *table)
{
    stream_pg_walk_t w = {c, 0, 0};
    if (db_producer_streams(conn, table, stream_pg_catch_up_one, &w) < 0) {
        return -1;
    }
    return w.rc;
}

static void stream_pg_lag_one(void *arg, const char *stream, int64_t head)
{
    stream_pg_walk_t *w = arg;
    int64_t applied = stream_consumer_offset(w->c, stream);
    if (head > applied) {
        w->lag += head - applied;
    }
}

int64_t stream_pg_lag(stream_consumer_t *c, PGconn *conn, const char *table)
{
    stream_pg_walk_t w = {c, 0, 0};
    if (db_producer_streams(conn, table, stream_pg_lag_one, &w) < 0) {
        return -1;
    }
    return w.lag;
}

int stream_pg_batch_note(stream_pg_batch_t *b, const char *stream, int64_t seq)
{
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->v[i].stream, stream) == 0) {
            b->v[i].seq = seq;
            return 0;
        }
    }
    if (b->n == STREAM_PG_MAX_STREAMS) {
        return -1;
    }
    snprintf(b->v[b->n].stream, sizeof b->v[b->n].stream, "%s", stream);
    b->v[b->n++].seq = seq;
    return 0;
}

db_status_t stream_pg_batch_save(stream_pg_batch_t *b, PGconn *conn, const char *consumer)
{
    for (size_t i = 0; i < b->n; i++) {
        db_status_t st = db_consumer_offset_save(conn, consumer, b->v[i].stream, b->v[i].seq);
        if (st != DB_OK) {
            return st;
        }
    }
    b->n = 0;
    return DB_OK;
}
