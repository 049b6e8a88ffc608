/*
 * corr_silence - copying and matching dynamic silences.
 *
 * The engine keeps its own deep copy of the daemon's silence list, so the
 * daemon may free or reload its list at any time. Matchers are rebuilt with
 * corr_matcher_build() (corr_rules.c owns matcher syntax and regexes).
 */
#include <string.h>

#include "corr_silence.h"
#include "xalloc.h"

corr_silence_t *corr_silence_copy_array(const corr_silence_t *s, size_t n)
{
    if (n == 0) {
        return NULL;
    }
    corr_silence_t *out = xcalloc(n, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        out[i].id = s[i].id;
        out[i].starts_us = s[i].starts_us;
        out[i].ends_us = s[i].ends_us;
        out[i].creator = s[i].creator ? xstrdup(s[i].creator) : NULL;
        out[i].comment = s[i].comment ? xstrdup(s[i].comment) : NULL;
        out[i].matchers = xcalloc(s[i].nmatchers ? s[i].nmatchers : 1, sizeof(corr_matcher_t));
        for (size_t j = 0; j < s[i].nmatchers; j++) {
            const corr_matcher_t *m = &s[i].matchers[j];
            char why[256];
            /* the source matcher compiled once already, so this cannot fail */
            if (corr_matcher_build(m->field, corr_op_name(m->op), m->value,
                                   &out[i].matchers[out[i].nmatchers], why, sizeof(why)) == 0) {
                out[i].nmatchers++;
            }
        }
    }
    return out;
}

void corr_silence_free_array(corr_silence_t *s, size_t n)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < s[i].nmatchers; j++) {
            corr_matcher_free(&s[i].matchers[j]);
        }
        free(s[i].matchers);
        free((char *)s[i].creator);
        free((char *)s[i].comment);
    }
    free(s);
}

bool corr_silence_matches(const corr_silence_t *s, const event_t *ev, int64_t at_us)
{
    if (at_us < s->starts_us || at_us >= s->ends_us) {
        return false;
    }
    /* a silence with no matcher would mute everything: refuse to */
    if (s->nmatchers == 0) {
        return false;
    }
    return corr_matchers_match(s->matchers, s->nmatchers, ev);
}
