/*
 * ticketer_log - the changes one transaction makes to tickets: rows of
 * ticket_events, which is both the append-only audit trail and the
 * ticketer's output stream (the `tickets` topic).
 *
 * A writer (the incidents worker, or an API thread) adds changes while it
 * works on ticket rows, then calls ticketer_log_flush() LAST before COMMIT:
 * it takes the seqs with db_stream_reserve() (the head row stays locked to
 * the commit, so writers commit in seq order and ticket rows are always
 * locked before the head: no lock-order deadlock) and inserts the rows.
 * After COMMIT the rows are handed to the outbox, which the worker thread
 * publishes on ZeroMQ (stream_pub_t belongs to one thread). A crash
 * between commit and publish loses nothing: consumers read gaps back from
 * ticket_events (ticketer_stream_fetch).
 *
 * Payload on ZeroMQ ('T' version 1): ticket_id at_us priority(1) then the
 * strings actor kind field before after comment ticket_key state queue
 * assignee as varint length + bytes ("" for NULL).
 */
#ifndef ALERTDESK_TICKETER_LOG_H
#define ALERTDESK_TICKETER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "stream.h"

/* One ticket_events row. Strings may be NULL (written as NULL / ""). In a
 * log, they are owned copies; as a decoded record, they point into the
 * decoder's string block. */
typedef struct {
    int64_t seq; /* 0 until flushed */
    int64_t ticket_id;
    int64_t at_us;
    const char *actor;  /* a token's user name or "system" */
    const char *kind;   /* opened, updated, state_changed, assigned, commented, sla_warning,
                           sla_breached, alerts, merged, reopened, watchers */
    const char *field;  /* what changed: "state", "priority", "assignee", "" */
    const char *before; /* old value, or NULL */
    const char *after;  /* new value, or NULL */
    const char *comment;
    /* the ticket after the change */
    const char *ticket_key;
    const char *state;
    int priority;
    const char *queue;
    const char *assignee;
} ticket_change_t;

typedef struct ticketer_log ticketer_log_t;

/* Caller owns the result; free with ticketer_log_destroy(). */
ticketer_log_t *ticketer_log_new(const char *stream);
void ticketer_log_destroy(ticketer_log_t **lp);
/* Forgets every change (after a rollback, or once published). */
void ticketer_log_reset(ticketer_log_t *l);
/* Copies c (and its strings) into the log. */
void ticketer_log_add(ticketer_log_t *l, const ticket_change_t *c);
size_t ticketer_log_count(const ticketer_log_t *l);
/* The i-th change (seq set after a flush). Borrowed from l. */
const ticket_change_t *ticketer_log_get(const ticketer_log_t *l, size_t i);
/* Reserves seqs and inserts every row, inside the caller's transaction;
 * call last before COMMIT. No-op when empty. */
db_status_t ticketer_log_flush(PGconn *conn, ticketer_log_t *l);

/* Encodes one change as the stream payload (appends to b). */
void ticketer_change_encode(const ticket_change_t *c, wire_buf_t *b);
/* Decodes a payload; strings are copied into *strings (caller owns it; free
 * with free()). 0, or -1 on a malformed buffer (the input is untrusted). */
int ticketer_change_decode(const uint8_t *p, size_t len, ticket_change_t *out, char **strings);

/* A stream_fetch_fn over a PGconn passed as arg: ticket_events rows of
 * stream in (after_seq, upto_seq], in order, each applied encoded. */
int64_t ticketer_stream_fetch(void *conn, const char *stream, int64_t after_seq, int64_t upto_seq,
                              stream_apply_fn apply, void *apply_arg);

/* ---- outbox: committed changes waiting for the worker to publish ---- */

typedef struct ticketer_outbox ticketer_outbox_t;
/* Caller owns the result; free with ticketer_outbox_destroy(). Thread-safe. */
ticketer_outbox_t *ticketer_outbox_new(void);
void ticketer_outbox_destroy(ticketer_outbox_t **op);
/* Queues the flushed (and committed) changes of l for publication. Any thread. */
void ticketer_outbox_push(ticketer_outbox_t *o, const ticketer_log_t *l);
/* Publishes everything queued, in seq order. The publisher's thread only.
 * (Heartbeats carry the committed head read from stream_heads: other
 * processes write this stream too.) */
void ticketer_outbox_publish(ticketer_outbox_t *o, stream_pub_t *pub);

#endif
