/*
 * fuzz_decode - what every decoder fuzz target checks after a decode: the
 * promises of decode.h, turned into aborts that libFuzzer reports as crashes.
 *
 * Header only, shared by tests/fuzz/fuzz_decode_*.c (each target is one
 * translation unit). Not a test of the values decoded; test_decode.c does
 * that.
 */
#ifndef ALERTDESK_FUZZ_DECODE_H
#define ALERTDESK_FUZZ_DECODE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "event.h"

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Decoders may add a few annotations of their own past max_labels (the
 * generator URL, PagerDuty's truncation note, Zabbix's fixed fields). */
#define FUZZ_EXTRA_ANNOTATIONS 16

static inline int fuzz_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!s[i] || !strchr("0123456789abcdef", s[i])) {
            return 0;
        }
    }
    return 1;
}

static inline void fuzz_check_map(const event_label_t *m, uint32_t n, uint32_t max)
{
    FUZZ_ASSERT(n <= max);
    for (uint32_t i = 0; i < n; i++) {
        FUZZ_ASSERT(m[i].key && m[i].value);
        FUZZ_ASSERT(i == 0 || strcmp(m[i - 1].key, m[i].key) < 0);
    }
}

static inline void fuzz_check_result(const decode_result_t *r, int rc, event_format_t format,
                                     const decode_limits_t *lim)
{
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (rc == -1) {
        FUZZ_ASSERT(r->nevents == 0);
        FUZZ_ASSERT(r->nrejects >= 1);
    }
    FUZZ_ASSERT(r->nevents <= lim->max_events);
    for (size_t i = 0; i < r->nrejects; i++) {
        const decode_reject_t *rj = &r->rejects[i];
        FUZZ_ASSERT(rj->index >= -1);
        FUZZ_ASSERT(memchr(rj->field, '\0', sizeof rj->field));
        FUZZ_ASSERT(memchr(rj->error, '\0', sizeof rj->error) && rj->error[0]);
    }
    for (size_t i = 0; i < r->nevents; i++) {
        const event_t *ev = r->events[i];
        FUZZ_ASSERT(ev->format == format);
        FUZZ_ASSERT(ev->source && ev->source[0]);
        FUZZ_ASSERT(ev->resource && ev->resource[0]);
        FUZZ_ASSERT(ev->check && ev->check[0]);
        FUZZ_ASSERT(strlen(ev->resource) <= lim->max_value_bytes);
        FUZZ_ASSERT(strlen(ev->check) <= lim->max_value_bytes);
        FUZZ_ASSERT(!ev->summary || strlen(ev->summary) <= lim->max_text_bytes);
        FUZZ_ASSERT(!ev->description || strlen(ev->description) <= lim->max_text_bytes);
        FUZZ_ASSERT(!ev->dedup_key || strlen(ev->dedup_key) <= 255);
        FUZZ_ASSERT(ev->severity >= EVENT_SEVERITY_INFO && ev->severity <= EVENT_SEVERITY_CRITICAL);
        FUZZ_ASSERT(ev->status >= EVENT_STATUS_FIRING && ev->status <= EVENT_STATUS_ACKNOWLEDGED);
        FUZZ_ASSERT(strlen(ev->fingerprint) == EVENT_FINGERPRINT_HEX &&
                    fuzz_is_hex(ev->fingerprint, EVENT_FINGERPRINT_HEX));
        fuzz_check_map(ev->labels, ev->nlabels, lim->max_labels + FUZZ_EXTRA_ANNOTATIONS);
        fuzz_check_map(ev->annotations, ev->nannotations, lim->max_labels + FUZZ_EXTRA_ANNOTATIONS);
        for (uint32_t k = 0; k < ev->nannotations; k++) {
            FUZZ_ASSERT(strlen(ev->annotations[k].value) <= lim->max_text_bytes);
        }
        for (uint32_t k = 0; k < ev->nlabels; k++) {
            FUZZ_ASSERT(strlen(ev->labels[k].key) <= lim->max_key_bytes);
            FUZZ_ASSERT(strlen(ev->labels[k].value) <= lim->max_value_bytes);
        }
    }
}

#endif
