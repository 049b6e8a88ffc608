/*
 * intake - the bounded queue between ingest's intakes (HTTP, ZeroMQ, Kafka)
 * and the group committer.
 *
 * An intake decodes a request into events, wraps them in an intake_req_t and
 * submits it. The committer gathers requests from all intakes for up to
 * ingest.batch.max_wait or ingest.batch.max_events into one transaction, then
 * calls every request's done() callback with the outcome, and only then
 * publishes the events on the `events` stream. A sender must be answered
 * from done(), never before: that is the durability promise.
 *
 * Backpressure: the queue is bounded in events (ingest.queue.max_events).
 * intake_submit() refuses when full (HTTP answers 429) or when the database
 * is known to be down (HTTP answers 503); intake_submit_wait() blocks
 * instead (Kafka and ZeroMQ pause). Nothing is dropped silently.
 */
#ifndef ALERTDESK_INTAKE_H
#define ALERTDESK_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef enum {
    INTAKE_COMMITTED = 0,   /* stored; events[i]->seq are set */
    INTAKE_FULL = 1,        /* queue full: retry later (429) */
    INTAKE_UNAVAILABLE = 2, /* database down or shutting down: retry later (503) */
    INTAKE_FAILED = 3,      /* the database refused these rows for good (a constraint: a
                             * bug or an unforeseen value): do not retry as is (500; Kafka:
                             * dead-letter the messages) */
} intake_status_t;

typedef enum { INTAKE_HTTP = 0, INTAKE_ZMQ = 1, INTAKE_KAFKA = 2 } intake_kind_t;

/* A message that could not be decoded and has no sender to tell (Kafka). It
 * is stored in dead_letters in the same transaction as the request's events. */
typedef struct {
    char *origin; /* "topic/partition/offset" */
    char *reason; /* the decoder's reject: "field: error" */
    char *body;   /* raw bytes, may contain anything; stored as bytea */
    size_t body_len;
} intake_dead_letter_t;

typedef struct intake_req intake_req_t;
typedef void (*intake_done_fn)(intake_req_t *req, intake_status_t status, void *arg);

struct intake_req {
    intake_kind_t kind;
    event_t **events; /* owned by the request */
    size_t nevents;
    intake_dead_letter_t *dead; /* owned by the request */
    size_t ndead;
    char *raw_body;      /* optional (ingest.keep_raw), owned, shared by all events */
    intake_done_fn done; /* called exactly once, from the committer thread */
    void *done_arg;
    /* private to intake.c */
    intake_req_t *next;
    int64_t enqueued_us;
    bool isolated; /* retried alone after its batch was refused by a constraint */
};

typedef struct intake_queue intake_queue_t;

/* Caller owns the result; free with intake_req_destroy(). Takes ownership of
 * the events array and the events (sets *events to NULL). */
intake_req_t *intake_req_new(intake_kind_t kind, event_t ***events, size_t nevents);
/* Adds a dead letter; copies origin, reason and body. */
void intake_req_add_dead(intake_req_t *req, const char *origin, const char *reason,
                         const void *body, size_t body_len);
/* Frees the request, its events and dead letters. Accepts NULL. */
void intake_req_destroy(intake_req_t **reqp);

/* Non-blocking: on INTAKE_COMMITTED-as-accepted returns 0 and the queue owns
 * req until done() runs (done() must destroy it or hand it on). Otherwise
 * returns INTAKE_FULL or INTAKE_UNAVAILABLE and the caller still owns req. */
intake_status_t intake_submit(intake_queue_t *q, intake_req_t *req);
/* Blocking: waits for room (or shutdown), then for the commit, and returns the
 * outcome. The caller keeps ownership of req (done/done_arg are ignored);
 * on INTAKE_COMMITTED the events' seq are set. */
intake_status_t intake_submit_wait(intake_queue_t *q, intake_req_t *req);

/* Events currently queued (a gauge for /metrics). */
size_t intake_queue_depth(intake_queue_t *q);
/* True while the committer cannot reach the database. */
bool intake_db_down(intake_queue_t *q);
/* True once shutdown has begun: intakes stop taking new work. */
bool intake_stopping(intake_queue_t *q);

#endif
