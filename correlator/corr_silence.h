/*
 * corr_silence - dynamic silences: matchers plus a time range, a creator and a
 * comment. Silences are created through the CLI or API and stored in
 * PostgreSQL; the daemon reads them and hands them to the engine with
 * corr_engine_set_silences(), which copies them.
 *
 * This file holds the data type, the matcher parser for silence text
 * ("labels.site=ams1", "resource=~core-.*", "check!=Ping") and matching. It
 * does no I/O. Recurring maintenance windows live in the rule file
 * (corr_rules.h), not here.
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

/*
 * Parses one matcher "field OP value" with OP one of = != =~ !~ (field as in
 * corr_rules.h: source, resource, check, severity, status, summary,
 * labels.<name> or a bare label name). Regexes are anchored like the rule
 * file's. Returns 0, or -1 with a reason in err. On success the caller owns
 * the strings and regex inside *out; release with corr_silence_matcher_free().
 */
int corr_silence_matcher_parse(const char *text, corr_matcher_t *out, char *err, size_t errlen);
/* Releases what corr_silence_matcher_parse() put in m (not m itself). */
void corr_silence_matcher_free(corr_matcher_t *m);

/* Deep copy of n silences (matchers recompiled). Caller owns the result;
 * free with corr_silence_free_array(). */
corr_silence_t *corr_silence_copy_array(const corr_silence_t *s, size_t n);
/* Releases an array from corr_silence_copy_array(). Accepts NULL. */
void corr_silence_free_array(corr_silence_t *s, size_t n);

/* True when s is active at at_us and all its matchers match ev. */
bool corr_silence_matches(const corr_silence_t *s, const event_t *ev, int64_t at_us);

#endif
