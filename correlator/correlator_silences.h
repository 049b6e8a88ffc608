/*
 * correlator_silences - reading silences from the `silences` table into the
 * engine's corr_silence_t (matchers parsed with corr_matcher_parse()).
 *
 * One loader for the daemon (silences that have not ended yet, re-read
 * every correlator.silence_refresh) and for `alertdesk rules replay --since`
 * (silences whose time range overlaps the replayed period), so that both
 * read the same rows the same way. A silence with a matcher that does not
 * parse is skipped with a warning. No engine calls, no state: the caller
 * hands the result to corr_engine_set_silences().
 *
 * Built into alertdesk-correlator and into the CLI (cli/CMakeLists.txt).
 */
#ifndef ALERTDESK_CORRELATOR_SILENCES_H
#define ALERTDESK_CORRELATOR_SILENCES_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "corr_silence.h"

/*
 * Reads the silences with ends_at > from and starts_at < to, in id order.
 * from_us == 0 means the database's now(); to_us == 0 means no upper bound.
 * Caller owns *out; free with correlator_silences_free(). Returns 0, or -1
 * on a database error (logged; *out NULL, *n 0).
 */
int correlator_silences_load(PGconn *conn, int64_t from_us, int64_t to_us, corr_silence_t **out,
                             size_t *n);
/* Releases an array from correlator_silences_load(). Accepts NULL. */
void correlator_silences_free(corr_silence_t *s, size_t n);

#endif
