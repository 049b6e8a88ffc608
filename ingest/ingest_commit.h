/*
 * ingest_commit - the group committer: one thread, one PostgreSQL connection.
 *
 * Takes requests from the intake queue, writes all their events (and dead
 * letters) in one transaction with binary COPY, advances the stream head in
 * the same transaction, answers every request, and only then publishes the
 * events on the `events` stream with their seq. Publishes a heartbeat with
 * the last committed seq every ingest.heartbeat_interval.
 *
 * Database down: every queued and new request is refused at once with
 * INTAKE_UNAVAILABLE (HTTP 503) while the thread reconnects with back-off;
 * nothing that was answered COMMITTED is ever lost. A commit whose outcome is
 * unknown (connection lost during COMMIT) is answered UNAVAILABLE, so a
 * sender may retry an event that was in fact stored: ingest is at-least-once
 * into `events`, and the correlator dedups by fingerprint.
 */
#ifndef ALERTDESK_INGEST_COMMIT_H
#define ALERTDESK_INGEST_COMMIT_H

#include <stdbool.h>

#include "intake.h"
#include "settings.h"

typedef struct ingest_commit ingest_commit_t;

/* Starts the committer thread. Returns NULL (logged) when the publisher
 * cannot bind. Caller owns the result; free with ingest_commit_stop(). */
ingest_commit_t *ingest_commit_start(const settings_t *s, intake_queue_t *q, void *zctx);
/* Waits until the queue is drained (intake_begin_stop() must have been
 * called), stops the thread and frees everything. */
void ingest_commit_stop(ingest_commit_t **cp);
/* True while the committer holds a working connection. */
bool ingest_commit_db_ok(ingest_commit_t *c);

#endif
