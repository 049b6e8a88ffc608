/*
 * db - PostgreSQL helpers on libpq shared by every daemon and the CLI.
 *
 * Connect with retry and back-off, run parameterised statements only, classify
 * failures by SQLSTATE into the delivery outcomes (OK / RETRY / FATAL), and
 * build COPY ... FROM STDIN (FORMAT binary) payloads, which measured fastest
 * for batched inserts (see tests/bench/RESULTS.md).
 *
 * A PGconn is owned by the thread that opened it; nothing here shares one.
 */
#ifndef ALERTDESK_DB_H
#define ALERTDESK_DB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "event.h"
#include "wire.h"

typedef enum { DB_OK = 0, DB_RETRY = 1, DB_FATAL = 2 } db_status_t;

/* One attempt. Returns NULL (and logs why) on failure. Caller owns the
 * connection; close with PQfinish(). url "" means libpq's PG* environment. */
PGconn *db_connect(const char *url, int64_t connect_timeout_ms);

/* Retries with exponential back-off (100 ms doubling up to retry_max_ms)
 * until connected or *stop becomes non-zero (then returns NULL). */
PGconn *db_connect_retry(const char *url, int64_t connect_timeout_ms, int64_t retry_max_ms,
                         volatile sig_atomic_t *stop);

/* The calling thread's own connection (HTTP handler threads): opened on
 * first use with the session time zone UTC, reopened after it broke, closed
 * when the thread exits. NULL (logged) when it cannot connect. Borrowed:
 * never PQfinish it. */
PGconn *db_thread_conn(const char *url, int64_t connect_timeout_ms);
/* Closes the calling thread's connection (after a failure that may have
 * left it in a bad state); the next db_thread_conn() opens a new one. */
void db_thread_conn_reset(void);

/* SQLSTATE class 08 (connection), 40001/40P01 (serialization, deadlock),
 * 57P0x (shutdown), 57014 (cancelled), 53xxx (resources) and a lost
 * connection are RETRY;
 * everything else (class 23 constraints, syntax, ...) is FATAL. */
db_status_t db_classify(PGconn *conn, const PGresult *res);

/* Runs a parameterised statement (text parameters, text results). On DB_OK
 * and out != NULL the caller owns *out (PQclear); otherwise the result is
 * cleared and the error logged with the statement's name `what`. */
db_status_t db_exec(PGconn *conn, const char *what, const char *sql, int nparams,
                    const char *const *params, PGresult **out);

/* Runs a statement without parameters (BEGIN, COMMIT, DDL). */
db_status_t db_command(PGconn *conn, const char *what, const char *sql);

/* COPY binary payload builder. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    uint32_t rows;
} db_copy_t;

void db_copy_init(db_copy_t *c);
void db_copy_free(db_copy_t *c);
/* Starts a new payload (writes the binary COPY header); keeps the buffer. */
void db_copy_reset(db_copy_t *c);
void db_copy_row(db_copy_t *c, int16_t nfields);
void db_copy_null(db_copy_t *c);
void db_copy_text(db_copy_t *c, const char *s);            /* NULL writes SQL NULL */
void db_copy_bytes(db_copy_t *c, const void *p, size_t n); /* text or bytea */
void db_copy_int16(db_copy_t *c, int16_t v);
void db_copy_int64(db_copy_t *c, int64_t v);
void db_copy_timestamptz(db_copy_t *c, int64_t unix_us);
void db_copy_hstore(db_copy_t *c, const event_label_t *map, uint32_t n);
/* Sends the payload with `copy_sql` ("COPY t (...) FROM STDIN (FORMAT binary)")
 * inside the caller's transaction. */
db_status_t db_copy_send(PGconn *conn, const char *what, const char *copy_sql, db_copy_t *c);

/* ---- Stream heads and consumer offsets (DESIGN: the one rule of delivery) ---- */

/* Reads the committed head of a producer's stream in stream_heads (0 for a
 * new stream, creating its row). Returns DB_OK and sets *last_seq. */
db_status_t db_stream_head(PGconn *conn, const char *stream, int64_t *last_seq);

/* Moves stream's head from expected to new_last by compare-and-set inside the
 * caller's transaction: the sequencer of every stream (no holes, no
 * duplicates, one writer). DB_FATAL when the head is not at expected. */
/* The compare-and-set of db_stream_advance() without judging a miss: *moved
 * tells whether the head was at expected (false when it was not). */
db_status_t db_stream_try_advance(PGconn *conn, const char *stream, int64_t expected,
                                  int64_t new_last, bool *moved);
db_status_t db_stream_advance(PGconn *conn, const char *stream, int64_t expected, int64_t new_last);

/* Takes n seqs of stream for several writers at once (the ticketer's worker
 * and its API threads): one UPDATE ... last_seq + n, whose row lock is held
 * to the end of the caller's transaction, so the writers commit in seq
 * order and a rolled-back reservation leaves no hole. Call it LAST in a
 * transaction (after the rows it locks), so two writers never wait on each
 * other in opposite orders. Sets *first to the first seq taken. */
db_status_t db_stream_reserve(PGconn *conn, const char *stream, int64_t n, int64_t *first);

/* Records that consumer applied stream up to last_seq (consumer_offsets),
 * inside the caller's transaction, together with the effect. */
db_status_t db_consumer_offset_save(PGconn *conn, const char *consumer, const char *stream,
                                    int64_t last_seq);

/* The active/standby session of a stateful daemon: connects (with
 * back-off), refuses a schema older than min_schema (logged: run alertdesk
 * migrate), then waits for the session advisory lock named `lock_name`
 * ("alertdesk.ticketer"), logging once that it is standby. Returns the
 * connection holding the lock, or NULL when *stop became non-zero or the
 * schema is too old. Caller owns the connection; close with PQfinish(). */
PGconn *db_open_active(const char *url, int64_t connect_timeout_ms, int64_t retry_max_ms,
                       int min_schema, const char *lock_name, volatile sig_atomic_t *stop);

/* Calls fn for every (stream, last_seq) consumer applied (consumer_offsets).
 * Returns the number of streams, or -1 (logged). */
int db_consumer_offsets_load(PGconn *conn, const char *consumer,
                             void (*fn)(void *arg, const char *stream, int64_t seq), void *arg);

/* Calls fn for every producer stream (stream_heads) that has rows in table
 * (a fixed, trusted name: "events", "incident_changes"), with its head.
 * Returns the number of streams, or -1 (logged). */
int db_producer_streams(PGconn *conn, const char *table,
                        void (*fn)(void *arg, const char *stream, int64_t head), void *arg);

/* Encodes row `row` of res into buf and returns its seq, or -1 (logged) when
 * the row is unusable. */
typedef int64_t (*db_range_row_fn)(void *arg, const PGresult *res, int row, wire_buf_t *buf);

/* Reads the rows of one stream with after_seq < seq <= upto_seq, `page` rows
 * per query, and hands each, encoded by row_fn, to apply in seq order: the
 * paging every stream's gap fill shares. sql takes $1 stream, $2 after, $3
 * upto, $4 limit, orders by seq and returns rows in result_format (0 text,
 * 1 binary). Returns the last seq applied (after_seq when none), or -1. */
int64_t db_fetch_range(PGconn *conn, const char *what, const char *sql, int result_format, int page,
                       const char *stream, int64_t after_seq, int64_t upto_seq,
                       db_range_row_fn row_fn, void *row_arg,
                       int (*apply)(void *arg, const char *stream, int64_t seq,
                                    const uint8_t *payload, size_t len),
                       void *apply_arg);

/* Formats a Unix time in microseconds as RFC 3339 UTC with microseconds. */
void db_format_time(int64_t unix_us, char *buf, size_t buflen);

#endif
