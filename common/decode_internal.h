/*
 * decode_internal - what the decoders (decode_*.c) share and nobody else
 * should call: the per-request state, JSON loading with the whole-body checks,
 * typed field readers that record a reject naming the field and the rule,
 * RFC 3339 time parsing, and the per-format severity tables.
 *
 * Not a public interface: callers use decode.h. Strings handed out by the
 * readers point into the jansson tree and live as long as that tree; copy
 * them into the event arena (event_strndup) before the tree is released.
 */
#ifndef ALERTDESK_DECODE_INTERNAL_H
#define ALERTDESK_DECODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "decode.h"
#include "event.h"

/* The state of one request being decoded. */
typedef struct {
    decode_limits_t lim;         /* a copy: the defaults when the caller passed NULL */
    const decode_context_t *ctx; /* never NULL (a zeroed one when the caller passed NULL) */
    decode_result_t *r;
    int64_t received_at_us;
    int index;    /* index recorded with rejects of the event being decoded */
    int rejected; /* set by decode_fail(): the current event is refused */
    int lenient;  /* bad optional fields are skipped, not rejected */
} decode_req_t;

/* Reader flags. */
#define DECODE_REQUIRED 0x01 /* absent or null is refused: "required" */
#define DECODE_NONEMPTY 0x02 /* "" is refused: "must not be empty" */
#define DECODE_CHARS    0x04 /* the limit counts UTF-8 characters, not bytes */
#define DECODE_ISO8601  0x08 /* time: also accept +HHMM and +HH offsets */
#define DECODE_NOCASE   0x10 /* enum: ignore ASCII case */

/* A name -> value table, ended by a NULL name. */
typedef struct {
    const char *name;
    int value;
} decode_name_map_t;

void decode_req_init(decode_req_t *q, const decode_limits_t *lim, const decode_context_t *ctx,
                     decode_result_t *r);

/* Records a reject; field and error are truncated to fit. */
void decode_reject(decode_result_t *r, int index, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Refuses the current event: records a reject at q->index (only the first
 * per event), sets q->rejected and returns -1. The field is prefix + key
 * (either may be NULL). In lenient mode records nothing and returns 1: the
 * caller then treats the field as absent. */
int decode_fail(decode_req_t *q, const char *prefix, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Size, NUL-byte and depth checks, then jansson with duplicate keys refused.
 * On failure records one reject with index -1 and returns NULL. Caller owns
 * the result; release with json_decref(). */
json_t *decode_load(decode_req_t *q, const char *body, size_t len);

/* One pass over obj's members (json_object_iter): slots[i] gets the member
 * named names[i] (NULL when absent); names ends with NULL. With strict, any
 * other member is refused ("unknown field"). 0, or -1 after a reject. */
int decode_members(decode_req_t *q, json_t *obj, const char *prefix, const char *const *names,
                   json_t **slots, int strict);

/* Typed readers of one member value v (NULL when absent). JSON null reads
 * as absent. All return 0 with the value, or with *out = NULL / *present =
 * 0 when absent and not required; -1 after recording a reject (naming
 * prefix + key); in lenient mode a bad value reads as absent. */
int decode_string(decode_req_t *q, json_t *v, const char *prefix, const char *key, size_t max,
                  int flags, const char **out, size_t *outlen);
int decode_enum(decode_req_t *q, json_t *v, const char *prefix, const char *key,
                const decode_name_map_t *map, int flags, int *out, int *present);
int decode_time(decode_req_t *q, json_t *v, const char *prefix, const char *key, int flags,
                int64_t *out_us, int *present);
int decode_int(decode_req_t *q, json_t *v, const char *prefix, const char *key, json_int_t min,
               json_int_t max, int flags, json_int_t *out, int *present);
int decode_object(decode_req_t *q, json_t *v, const char *prefix, const char *key, int flags,
                  json_t **out);

/* A flat {string: string} object v (NULL: nothing) into the event's labels
 * (annotations = 0) or annotations (annotations = 1). Keys non-empty and at
 * most max_key_bytes; values strings of at most max_value_bytes for labels
 * and max_text_bytes for annotations (human text: a long description must
 * not cost the alert); at most max_labels members. field names it in
 * rejects ("labels", "annotations"). */
int decode_string_map(decode_req_t *q, event_t *ev, json_t *v, const char *field, int annotations);

/* The annotation's value or NULL (event.h has only the label getter). */
const char *decode_annotation_get(const event_t *ev, const char *key);

/* Looks name (n bytes) up in map; 0 and *out, or -1 when absent. */
int decode_name_lookup(const decode_name_map_t *map, const char *name, size_t n, int nocase,
                       int *out);

/* Parses an RFC 3339 date-time (with DECODE_ISO8601 also the ISO 8601
 * offsets +HHMM and +HH) to microseconds since the epoch, years 0000-9999.
 * 0, or -1 when s is not one. */
int decode_time_parse(const char *s, size_t n, int flags, int64_t *out_us);
/* Number of UTF-8 characters in s (jansson has validated the encoding). */
size_t decode_utf8_chars(const char *s, size_t n);
/* The longest prefix of s (n bytes) that is at most max bytes and does not
 * split a UTF-8 character. */
size_t decode_utf8_cut(const char *s, size_t n, size_t max);

/* A new event stamped with the request's received time (also its default
 * occurred_at). Caller owns it; hand it to decode_event_finish(). */
event_t *decode_event_new(decode_req_t *q, event_format_t format);
/* Takes ownership of *evp and sets it to NULL: a refused event
 * (q->rejected) is destroyed, a good one gets its fingerprint and moves into
 * q->r. */
void decode_event_finish(decode_req_t *q, event_t **evp, const char *scope);

/* Severity tables, one per format, all in severity_map.c. */
extern const decode_name_map_t severity_map_native[];
extern const decode_name_map_t severity_map_alertmanager[];
extern const decode_name_map_t severity_map_pagerduty[];
extern const event_severity_t severity_map_zabbix[6]; /* by {EVENT.NSEVERITY} */

#endif
