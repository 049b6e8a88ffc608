/*
 * event - the canonical event every input format becomes.
 *
 * An event owns all its strings: they live in a small arena inside the event
 * and die with event_destroy(). Labels and annotations are flat string maps
 * kept sorted by key with unique keys (event_label_set keeps them so), which
 * is what the fingerprint, the wire encoding and the rules rely on.
 *
 * This file knows nothing of JSON, the wire or the database: decoders fill an
 * event (decode_*.c), wire.c moves it between processes, db code stores it.
 */
#ifndef ALERTDESK_EVENT_H
#define ALERTDESK_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* Ordered so that a larger value is more severe; 0 is "not set". */
typedef enum {
    EVENT_SEVERITY_NONE = 0,
    EVENT_SEVERITY_INFO = 1,
    EVENT_SEVERITY_WARNING = 2,
    EVENT_SEVERITY_MINOR = 3,
    EVENT_SEVERITY_MAJOR = 4,
    EVENT_SEVERITY_CRITICAL = 5,
} event_severity_t;

/* acknowledged exists because PagerDuty Events v2 carries it (event_action). */
typedef enum {
    EVENT_STATUS_NONE = 0,
    EVENT_STATUS_FIRING = 1,
    EVENT_STATUS_RESOLVED = 2,
    EVENT_STATUS_ACKNOWLEDGED = 3,
} event_status_t;

/* Which decoder produced the event; also the value of the `format` column. */
typedef enum {
    EVENT_FORMAT_NATIVE = 1,
    EVENT_FORMAT_ALERTMANAGER = 2,
    EVENT_FORMAT_PAGERDUTY = 3,
    EVENT_FORMAT_ZABBIX = 4,
} event_format_t;

#define EVENT_FINGERPRINT_HEX 32 /* 128 bits of SHA-256, lower-case hex */

typedef struct {
    const char *key;
    const char *value;
} event_label_t;

typedef struct event_arena_chunk event_arena_chunk_t;

typedef struct event {
    event_format_t format;
    const char *source;   /* monitoring system: "alertmanager", "zabbix", ... */
    const char *resource; /* what is affected */
    const char *check;    /* what was measured */
    event_severity_t severity;
    event_status_t status;
    const char *summary;     /* may be NULL */
    const char *description; /* may be NULL */
    const char *dedup_key;   /* the sender's key, may be NULL */
    event_label_t *labels;   /* sorted by key, unique */
    uint32_t nlabels;
    event_label_t *annotations; /* sorted by key, unique */
    uint32_t nannotations;
    int64_t occurred_at_us; /* microseconds since the Unix epoch, UTC */
    int64_t received_at_us;
    char fingerprint[EVENT_FINGERPRINT_HEX + 1];
    /* Set once the event is committed: the stream that stored it and its seq. */
    int64_t seq;
    /* private */
    uint32_t labels_cap, annotations_cap;
    event_arena_chunk_t *arena;
} event_t;

/* Caller owns the result; free with event_destroy(). */
event_t *event_new(event_format_t format);
/* Accepts NULL; sets *evp to NULL. */
void event_destroy(event_t **evp);

/* Copies len bytes of s into the event's arena, NUL-terminated. The result
 * lives as long as the event. */
const char *event_strndup(event_t *ev, const char *s, size_t len);
const char *event_strdup(event_t *ev, const char *s);

/* Sets (or replaces) a label / annotation; key and value are copied. */
void event_label_set(event_t *ev, const char *key, const char *value);
void event_annotation_set(event_t *ev, const char *key, const char *value);
/* Returns the label's value or NULL. */
const char *event_label_get(const event_t *ev, const char *key);

/* Names as stored and shown ("critical", "firing", "alertmanager"). */
const char *event_severity_name(event_severity_t s);
const char *event_status_name(event_status_t s);
const char *event_format_name(event_format_t f);
/* Parse the names above; return -1 when the name is unknown. */
int event_severity_parse(const char *name, event_severity_t *out);
int event_status_parse(const char *name, event_status_t *out);
int event_format_parse(const char *name, event_format_t *out);

/* Current time in microseconds since the epoch (CLOCK_REALTIME). */
int64_t event_now_us(void);

#endif
