/*
 * notifier_send - queued notifications out through the delivery channels
 * (deliver.h), their outcome recorded row by row.
 *
 * A notification is claimed (state pending -> sending, attempts + 1,
 * committed) BEFORE its attempt starts; the outcome then moves it to sent,
 * back to pending with next_attempt_at after an exponential back-off with
 * jitter (or the receiver's Retry-After, whichever is later), or to failed
 * (a 4xx, or the last attempt). At start-up rows left in `sending` by a
 * crash go back to pending: that one page may be sent twice, never more.
 *
 * Single-threaded: the worker that owns the connection calls everything.
 */
#ifndef ALERTDESK_NOTIFIER_SEND_H
#define ALERTDESK_NOTIFIER_SEND_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "settings.h"

typedef struct notifier_sender notifier_sender_t;

/* Caller owns the result; free with notifier_sender_destroy() (waits for
 * nothing: attempts in flight are abandoned, their rows stay `sending`). */
notifier_sender_t *notifier_sender_new(const settings_t *s);
void notifier_sender_destroy(notifier_sender_t **sp);

/* Rows a previous life left in `sending` (and none in flight here) go back
 * to pending. Call at session start, outside a transaction. */
db_status_t notifier_sender_recover(notifier_sender_t *snd, PGconn *conn);

/* Claims up to limit due rows and starts their attempts; *n how many.
 * Outside a transaction (each claim commits on its own). */
db_status_t notifier_sender_run(notifier_sender_t *snd, PGconn *conn, int64_t now_us, size_t limit,
                                size_t *n);

/* Drives attempts up to timeout_ms and records finished ones on conn
 * (outside a transaction). Returns -1 when recording failed (the session
 * should restart), else the number still in flight. */
int notifier_sender_poll(notifier_sender_t *snd, PGconn *conn, int timeout_ms);

#endif
