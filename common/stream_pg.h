/*
 * stream_pg - the consumer side of the delivery rule over PostgreSQL, as
 * every consuming daemon (correlator, ticketer, notifier) needs it: where a
 * consumer resumes (consumer_offsets), catching up with every producer
 * stream at start, the lag for /metrics and /healthz, and the offsets a
 * batch applied, saved in the batch's own transaction.
 *
 * stream.c knows nothing of PostgreSQL; this file is the glue, so that no
 * daemon writes it again. Same threading rule: one thread per consumer.
 */
#ifndef ALERTDESK_STREAM_PG_H
#define ALERTDESK_STREAM_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "stream.h"

#define STREAM_PG_MAX_STREAMS 64

/* Sets c's offsets from consumer_offsets rows of `consumer`. Returns the
 * number of streams, or -1 (logged). */
int stream_pg_load_offsets(stream_consumer_t *c, PGconn *conn, const char *consumer);

/* Catches c up with every producer stream that has rows in `table` (a
 * fixed, trusted name: "events", "incident_changes", "ticket_events").
 * Returns 0, or -1 when reading or applying failed. */
int stream_pg_catch_up(stream_consumer_t *c, PGconn *conn, const char *table);

/* Rows the producers of `table` committed that c has not applied, summed
 * over their streams; -1 on a database error. */
int64_t stream_pg_lag(stream_consumer_t *c, PGconn *conn, const char *table);

/* The offsets applied in the open transaction. */
typedef struct {
    struct {
        char stream[STREAM_NAME_MAX + 1];
        int64_t seq;
    } v[STREAM_PG_MAX_STREAMS];
    size_t n;
} stream_pg_batch_t;

/* Notes that stream was applied up to seq. Returns -1 (nothing noted) when
 * the batch already holds STREAM_PG_MAX_STREAMS other streams: commit, then
 * note again. */
int stream_pg_batch_note(stream_pg_batch_t *b, const char *stream, int64_t seq);
/* Saves every noted offset for consumer inside the caller's transaction
 * and empties the batch on success. */
db_status_t stream_pg_batch_save(stream_pg_batch_t *b, PGconn *conn, const char *consumer);

#endif
