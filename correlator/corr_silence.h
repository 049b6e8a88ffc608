/*
 * corr_silence - dynamic silences: matchers plus a time range, a creator and a
 * comment. Silences are created through the CLI or API and stored in
 * PostgreSQL; the daemon reads them and hands them to the engine with
 * corr_engine_set_silences(), which copies them.
 *
 * This file holds the data type, copying and matching. Silence matcher text
 * ("labels.site=ams1", "resource=~core-.*", "check!=Ping") is parsed with
 * corr_matcher_parse() from corr_rules.h. It does no I/O. Recurring maintenance windows live in the
 * rule file (corr_rules.h), not here.
 */
#ifndef ALERTDESK_CORR_SILENCE_H
#define ALERTDESK_CORR_SILENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corr_rules.h"
#include "event.h"

typedef struct {
    int64_t id;               /* database id, > 0 */
    corr_matcher_t *matchers; /* all must match */
    size_t nmatchers;
    int64_t starts_us; /* active when starts_us <= t < ends_us */
    int64_t ends_us;
    const char *creator; /* may be NULL */
    const char *comment; /* may be NULL */
} corr_silence_t;

/* Matchers for silences are built with corr_matcher_parse() from
 * corr_rules.h (the rule file's parser, so both read matchers the same way)
 * and released with corr_matcher_free(). */

/* Deep copy of n silences (matchers recompiled). Caller owns the result;
 * free with corr_silence_free_array(). */
corr_silence_t *corr_silence_copy_array(const corr_silence_t *s, size_t n);
/* Releases an array from corr_silence_copy_array(). Accepts NULL. */
void corr_silence_free_array(corr_silence_t *s, size_t n);

/* True when s is active at at_us and all its matchers match ev. */
bool corr_silence_matches(const corr_silence_t *s, const event_t *ev, int64_t at_us);

#endif
