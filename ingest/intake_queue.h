/*
 * intake_queue - the committer's side of the intake queue (see intake.h).
 * Only ingest.c (lifecycle) and ingest_commit.c (taking work) use this.
 */
#ifndef ALERTDESK_INTAKE_QUEUE_H
#define ALERTDESK_INTAKE_QUEUE_H

#include "intake.h"

/* Caller owns the result; free with intake_queue_destroy() once nothing
 * uses it. */
intake_queue_t *intake_queue_new(size_t max_events);
void intake_queue_destroy(intake_queue_t **qp);

/* Takes a chain of requests (linked by ->next) worth at most max_events
 * (at least one request). Waits up to wait_us for the first, then lingers up
 * to linger_us for more. Returns NULL when nothing came. Caller owns the
 * chain and must call each request's done(). */
intake_req_t *intake_take(intake_queue_t *q, size_t max_events, int64_t wait_us, int64_t linger_us,
                          size_t *nevents);

/* Puts every request of chain back at the front of the queue, each to be
 * taken alone by intake_take() (used when a batch broke a constraint, to find
 * the request that did). Takes ownership of the chain. Ignores the bound:
 * these requests were already counted once. */
void intake_requeue_isolated(intake_queue_t *q, intake_req_t *chain);

/* The committer reports the database state; submitters see it at once. */
void intake_set_db_down(intake_queue_t *q, bool down);
/* Refuses new work from now on and wakes every waiter. */
void intake_begin_stop(intake_queue_t *q);

#endif
