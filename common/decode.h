/*
 * decode - turn an untrusted request body into canonical events.
 *
 * One entry point per input format, plus format detection for Kafka topics
 * set to "auto". Every decoder enforces the limits below BEFORE any event is
 * handed out, and reports each rejected event (or the whole body) with the
 * field and the rule it broke, e.g.
 *     {"index":3,"field":"labels.site","error":"longer than 256 bytes"}
 * index is the event's position in the request (alert index for
 * Alertmanager), or -1 when the whole body is refused (not JSON, too deep,
 * too big, duplicate key, ...). Good events in the same request are still
 * returned: the caller decides whether partial acceptance fits the protocol.
 *
 * Decoders never touch I/O; they are pure and thread-safe, and each has a
 * libFuzzer target in tests/fuzz/.
 */
#ifndef ALERTDESK_DECODE_H
#define ALERTDESK_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Limits enforced before anything is stored; each comes from a setting. */
typedef struct {
    size_t max_body_bytes;  /* limits.max_body_bytes */
    int max_depth;          /* limits.max_json_depth: nesting of objects/arrays */
    uint32_t max_labels;    /* limits.max_labels per event (annotations too) */
    size_t max_key_bytes;   /* limits.max_key_bytes: label/annotation key */
    size_t max_value_bytes; /* limits.max_value_bytes: label/annotation value, short fields */
    size_t max_text_bytes;  /* limits.max_text_bytes: summary, description */
    uint32_t max_events;    /* limits.max_events_per_request */
} decode_limits_t;

/* The defaults of the settings table (used by tests and fuzzers). */
void decode_limits_default(decode_limits_t *lim);

/* A PagerDuty integration: routing_key -> name and labels added to events. */
typedef struct {
    const char *name;            /* integration name, e.g. "core-network" */
    const char *routing_key;     /* the 32-char integration key */
    const event_label_t *labels; /* added to every event of this integration */
    uint32_t nlabels;
} decode_integration_t;

typedef struct {
    int64_t received_at_us; /* stamped on every event */
    /* Looks up a PagerDuty routing_key; NULL result means unknown key. */
    const decode_integration_t *(*find_integration)(void *arg, const char *routing_key);
    void *find_arg;
    /* Labels that do not identify an alert (excluded from the fingerprint). */
    const char *const *fingerprint_ignore_labels;
    size_t nfingerprint_ignore_labels;
} decode_context_t;

typedef struct {
    int index;       /* position in the request, -1 for the whole body */
    char field[128]; /* dotted path: "labels.site", "payload.severity", "body" */
    char error[192]; /* the rule: "longer than 256 bytes", "required", ... */
} decode_reject_t;

typedef struct {
    event_t **events; /* owned; each freed by decode_result_clear() */
    size_t nevents, events_cap;
    decode_reject_t *rejects;
    size_t nrejects, rejects_cap;
    /* PagerDuty only: the dedup_key to answer with (generated when absent). */
    char dedup_key[256];
} decode_result_t;

void decode_result_init(decode_result_t *r);
/* Frees all events still owned by the result and the reject list. */
void decode_result_clear(decode_result_t *r);
/* Moves the events out: caller owns the array and every event in it;
 * free each with event_destroy() and the array with free(). */
event_t **decode_result_take_events(decode_result_t *r, size_t *n);

/* All decoders: 0 when the body was read (some events may still be rejected,
 * see r->rejects), -1 when the whole body is refused (one reject, index -1).
 * Every accepted event has severity, status, source, resource, check,
 * received_at and fingerprint set. */
int decode_native(const char *body, size_t len, const decode_limits_t *lim,
                  const decode_context_t *ctx, decode_result_t *r);
int decode_alertmanager(const char *body, size_t len, const decode_limits_t *lim,
                        const decode_context_t *ctx, decode_result_t *r);
int decode_pagerduty(const char *body, size_t len, const decode_limits_t *lim,
                     const decode_context_t *ctx, decode_result_t *r);
int decode_zabbix(const char *body, size_t len, const decode_limits_t *lim,
                  const decode_context_t *ctx, decode_result_t *r);

/* Dispatch on format. */
int decode_any(event_format_t format, const char *body, size_t len, const decode_limits_t *lim,
               const decode_context_t *ctx, decode_result_t *r);

/* Guesses the format of a body (for Kafka topics with format "auto"):
 * PagerDuty if it has routing_key and event_action, Alertmanager if it has
 * version and alerts, Zabbix if it carries our media type's marker, else
 * native. Cheap: looks at top-level keys only. */
event_format_t decode_detect(const char *body, size_t len);

#endif
