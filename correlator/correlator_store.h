/*
 * correlator_store - the correlator's PostgreSQL side: what the engine
 * changed goes to alerts / incidents / incident_members / decisions /
 * incident_changes together with the consumer offsets, in ONE transaction
 * per batch; at start the open state is read back into a fresh engine.
 *
 * A batch collects the engine's changes (correlator_batch_add is the emit
 * callback) and the offsets of the events applied. At commit the state of
 * every alert and incident a change touched is read from the engine
 * (corr_engine_foreach_*) and written with binary COPY into temporary stage
 * tables and applied from there, so that the tables always hold exactly
 * what corr_engine_restore_*() needs to continue as if nothing happened.
 * Writes are deltas, so a batch costs what changed, not the size of the
 * incidents it touches: incident rows whole; member rows only for the
 * alerts a change named (joined, cleared, the cause), every member of an
 * incident merged within the batch made inactive by one UPDATE, those of an
 * incident forgotten within it deleted; an alert row whole when something
 * other than repeats changed it, else one UPDATE of count, last_seen,
 * refreshed_at and severity.
 *
 * The connection and the commit (staging, COPY, the one transaction) are in
 * correlator_store.c; collecting a batch (correlator_batch_new/add/offset/
 * annotations/..., the touched-key sets) and publishing it in
 * correlator_batch.c, which share correlator_batch_internal.h; the start-up
 * reads (restore, next incident id, silences) in correlator_restore.c.
 *
 * Not here: the event loop, the rules, ZeroMQ (correlator.c).
 * A PGconn and a batch belong to the correlator's worker thread.
 */
#ifndef ALERTDESK_CORRELATOR_STORE_H
#define ALERTDESK_CORRELATOR_STORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "corr_engine.h"
#include "corr_silence.h"
#include "correlator_silences.h"
#include "db.h"
#include "settings.h"
#include "stream.h"

/* ---- connection ---- */

/* Connects (retrying), waits for the correlator's advisory lock (a standby
 * waits here until the active one goes away), checks the schema version and
 * creates the stage tables. Returns NULL when *stop became non-zero or the
 * schema is too old (logged). Caller owns the connection; PQfinish() it. */
PGconn *correlator_store_open(const settings_t *s, volatile sig_atomic_t *stop);

/* ---- start-up ---- */

/* One past the highest incident id in incidents or on the incidents stream. */
db_status_t correlator_store_next_incident_id(PGconn *conn, int64_t *out);

/* Reads the alerts and incidents the engine needs (open, resolving, recently
 * resolved within the rules' windows, with their member alerts) and restores
 * them into e, then calls corr_engine_restore_done(). Returns 0, or -1
 * (logged) on a database error or a state the engine refuses. */
int correlator_store_restore(PGconn *conn, corr_engine_t *e, const corr_rules_t *rules,
                             size_t *nalerts, size_t *nincidents);

/* Reads the silences that have not ended (correlator_silences_load() from
 * now). Caller owns *out; free with correlator_store_silences_free().
 * Returns 0 or -1. */
int correlator_store_silences(PGconn *conn, corr_silence_t **out, size_t *n);
void correlator_store_silences_free(corr_silence_t *s, size_t n);

/* ---- batches ---- */

typedef struct correlator_batch correlator_batch_t;

/* A batch for the incidents stream `stream` whose committed head is head.
 * Caller owns the result; free with correlator_batch_destroy(). */
correlator_batch_t *correlator_batch_new(const char *stream, int64_t head);
void correlator_batch_destroy(correlator_batch_t **bp);

/* corr_emit_fn: records one change (copied). arg is the batch. */
void correlator_batch_add(void *arg, const corr_change_t *ch);
/* Keeps the annotations of the event that opened or reopened alert
 * (domain, fingerprint), written to alerts.annotations with the batch (the
 * last given wins). Only opening events: repeats never rewrite them. */
void correlator_batch_annotations(correlator_batch_t *b, const char *domain,
                                  const char *fingerprint, const event_label_t *annotations,
                                  uint32_t n);
/* Records that the event (events stream, seq) was applied. */
void correlator_batch_offset(correlator_batch_t *b, const char *stream, int64_t seq);

/* Events applied since the last commit. */
size_t correlator_batch_events(const correlator_batch_t *b);
/* True when there is nothing to commit. */
bool correlator_batch_empty(const correlator_batch_t *b);
/* The committed head of the incidents stream. */
int64_t correlator_batch_head(const correlator_batch_t *b);

/* Writes the batch in one transaction: touched alerts and incidents (their
 * state read from e), members, decisions, incident_changes with the next
 * seqs, the stream head (compare-and-set) and the consumer offsets. On DB_OK
 * the head moves; publish with correlator_batch_publish(), then the batch is
 * empty again. On failure the batch is unusable: the caller rebuilds its
 * state from the database. */
db_status_t correlator_store_commit(PGconn *conn, correlator_batch_t *b, const corr_engine_t *e);

/* After a commit: publishes the committed incident changes on pub in seq
 * order and empties the batch. Returns how many were published. */
size_t correlator_batch_publish(correlator_batch_t *b, stream_pub_t *pub);

#endif
