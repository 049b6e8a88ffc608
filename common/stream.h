/*
 * stream - the delivery envelope: (stream, seq) rows published over ZeroMQ
 * after commit, and the consumer side that turns "fast but lossy" into
 * "complete and in order" by reading gaps back from PostgreSQL.
 *
 * The one rule of delivery (DESIGN.md):
 *  1. a producer writes its rows, each with (stream, seq), in the same
 *     transaction as its state change (seq counts up by one, no holes);
 *  2. after COMMIT it publishes the rows here, and a heartbeat carrying its
 *     last committed seq every heartbeat interval;
 *  3. a consumer applies rows idempotently and records the last seq it
 *     applied per stream in consumer_offsets in the same transaction;
 *  4. on a gap (seq jump, or a heartbeat ahead of it) and at start-up, the
 *     consumer reads the missing rows from PostgreSQL through its fetch
 *     callback.
 *
 * On the wire every message has three frames:
 *   [topic] [kind 'D' or 'H' | seq (int64 LE) | stream name] [payload]
 * Heartbeats have an empty payload. A PUB socket drops when a subscriber is
 * slow (ZMQ_SNDHWM); that is fine by rule 4.
 *
 * Threads: a stream_pub_t and a stream_consumer_t each belong to the thread
 * that created them (ZeroMQ sockets are not thread-safe).
 */
#ifndef ALERTDESK_STREAM_H
#define ALERTDESK_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_NAME_MAX 64

/* ---- producer ---- */

typedef struct stream_pub stream_pub_t;

/* Binds a PUB socket on endpoint. Returns NULL (logged) when it cannot bind.
 * Caller owns the result; free with stream_pub_destroy(). */
stream_pub_t *stream_pub_new(void *zctx, const char *endpoint, const char *topic,
                             const char *stream_name);
void stream_pub_destroy(stream_pub_t **pp);
/* Publishes one committed row. */
void stream_pub_send(stream_pub_t *p, int64_t seq, const void *payload, size_t len);
/* Publishes a heartbeat carrying the last committed seq. */
void stream_pub_heartbeat(stream_pub_t *p, int64_t last_seq);

/* ---- consumer ---- */

typedef struct stream_consumer stream_consumer_t;

/* Applies one row. Called in seq order per stream, exactly once per seq
 * within this consumer's lifetime (a restarted consumer resumes from the
 * offsets it is given). Return 0, or -1 to stop (the row will be offered
 * again). */
typedef int (*stream_apply_fn)(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                               size_t len);

/* Reads rows after_seq < seq <= upto_seq of stream from the durable store,
 * in order, calling apply for each (upto_seq INT64_MAX = to the end). Returns
 * the last seq delivered (after_seq when none), or -1 on error. */
typedef int64_t (*stream_fetch_fn)(void *arg, const char *stream, int64_t after_seq,
                                   int64_t upto_seq, stream_apply_fn apply, void *apply_arg);

/* Connects a SUB socket to every endpoint in the comma-separated list.
 * fetch gets fetch_arg (its store handle, e.g. a PGconn); apply gets
 * apply_arg. Caller owns the result; free with stream_consumer_destroy(). */
stream_consumer_t *stream_consumer_new(void *zctx, const char *endpoints, const char *topic,
                                       stream_fetch_fn fetch, void *fetch_arg,
                                       stream_apply_fn apply, void *apply_arg);
void stream_consumer_destroy(stream_consumer_t **cp);

/* Sets where a stream resumes (from consumer_offsets at start-up). */
void stream_consumer_set_offset(stream_consumer_t *c, const char *stream, int64_t last_seq);
/* The last seq applied for stream (0 when unknown). */
int64_t stream_consumer_offset(const stream_consumer_t *c, const char *stream);

/* Catches stream up from the store to its end (start-up, or after the
 * consumer learns of a new stream). Returns 0 or -1. */
int stream_consumer_catch_up(stream_consumer_t *c, const char *stream);

/* Waits up to timeout_ms for messages and applies what arrived, fetching
 * gaps from the store. Returns rows applied, or -1 on a fetch/apply error. */
int stream_consumer_poll(stream_consumer_t *c, int timeout_ms);

/* Counters for /metrics and tests. */
typedef struct {
    uint64_t applied_live;    /* rows applied straight from ZeroMQ */
    uint64_t applied_fetched; /* rows read back from the store (gaps, start-up) */
    uint64_t duplicates;      /* rows at or below the offset, ignored */
    uint64_t gaps;            /* gaps detected */
    uint64_t heartbeats;
} stream_consumer_stats_t;
void stream_consumer_stats(const stream_consumer_t *c, stream_consumer_stats_t *out);

#endif
