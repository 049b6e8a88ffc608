/*
 * event_store - the `events` table: the one place that knows its columns.
 *
 * Writing: rows go in with binary COPY inside the caller's transaction, which
 * also moves the stream head by compare-and-set (db_stream_advance(): the
 * head row is the sequencer: no holes, no duplicates, one writer per stream).
 * Reading: event_store_fetch() reads a seq range back as wire-encoded events
 * for the stream consumer's gap fill (binary results: no JSON, no text
 * parsing).
 */
#ifndef ALERTDESK_EVENT_STORE_H
#define ALERTDESK_EVENT_STORE_H

#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "event.h"
#include "stream.h"

/* The COPY statement matching event_store_copy_row(). */
extern const char EVENT_STORE_COPY_SQL[];

/* Appends one row for ev (ev->seq must be set) to the COPY payload. raw_body
 * may be NULL. */
void event_store_copy_row(db_copy_t *c, const char *stream, const event_t *ev,
                          const char *raw_body);

/* A stream_fetch_fn over a PGconn passed as arg: reads rows in
 * (after_seq, upto_seq] in batches and applies each wire-encoded. */
int64_t event_store_fetch(void *conn, const char *stream, int64_t after_seq, int64_t upto_seq,
                          stream_apply_fn apply, void *apply_arg);

/* Lists the known streams and their heads. Calls fn for each; returns the
 * count, or -1 on error. */
int event_store_streams(PGconn *conn, void (*fn)(void *arg, const char *stream, int64_t last_seq),
                        void *arg);

#endif
