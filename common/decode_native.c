/*
 * decode_native - alertdesk's own event format (POST /api/v1/events, the
 * ZeroMQ intake, `alertdesk send`): one JSON object or an array of them,
 *
 *   {"source": "api", "resource": "sw1.ams1", "check": "LinkDown",
 *    "severity": "critical", "status": "firing", "summary": "...",
 *    "description": "...", "labels": {"site": "ams1"}, "annotations": {},
 *    "occurred_at": "2026-11-25T03:17:49Z", "dedup_key": "..."}
 *
 * resource and check are required; source defaults to "api", severity to
 * warning, status to firing, occurred_at to the time we received it. This
 * format is ours, so it is strict: unknown fields, wrong types and unknown
 * names are refused with the field named, where the formats of other tools
 * are read tolerantly. Each element of an array is accepted or refused on
 * its own.
 *
 * Does not do: transport, authentication, storage.
 */
#include <string.h>

#include <jansson.h>

#include "decode.h"
#include "decode_internal.h"

/* The order of native_fields is the order of the slots below. */
enum {
    NF_SOURCE,
    NF_RESOURCE,
    NF_CHECK,
    NF_SEVERITY,
    NF_STATUS,
    NF_SUMMARY,
    NF_DESCRIPTION,
    NF_LABELS,
    NF_ANNOTATIONS,
    NF_OCCURRED_AT,
    NF_DEDUP_KEY,
    NF_COUNT
};

static const char *const native_fields[NF_COUNT + 1] = {
    "source",      "resource", "check",       "severity",    "status",    "summary",
    "description", "labels",   "annotations", "occurred_at", "dedup_key", NULL,
};

static const decode_name_map_t native_status[] = {
    {"firing", EVENT_STATUS_FIRING},
    {"resolved", EVENT_STATUS_RESOLVED},
    {NULL, 0},
};

/* A dedup_key longer than this would not fit decode_result_t.dedup_key nor
 * PagerDuty's rule; one limit for every sender's key. */
#define NATIVE_DEDUP_KEY_MAX 255

/* Copies s (n bytes, from the JSON tree) into the event's arena; NULL stays
 * NULL. */
static const char *native_copy(event_t *ev, const char *s, size_t n)
{
    return s ? event_strndup(ev, s, n) : NULL;
}

/* One element; rejects go to q->index. */
static void native_decode_one(decode_req_t *q, json_t *obj)
{
    json_t *f[NF_COUNT];
    const char *s;
    size_t n;
    int v, present;
    event_t *ev = decode_event_new(q, EVENT_FORMAT_NATIVE);
    size_t maxv = q->lim.max_value_bytes, maxt = q->lim.max_text_bytes;

    q->rejected = 0;
    if (!json_is_object(obj)) {
        decode_fail(q, NULL, "event", "must be an object");
        goto done;
    }
    if (decode_members(q, obj, NULL, native_fields, f, 1) < 0) {
        goto done;
    }

    if (decode_string(q, f[NF_SOURCE], NULL, "source", maxv, DECODE_NONEMPTY, &s, &n) < 0) {
        goto done;
    }
    ev->source = s ? native_copy(ev, s, n) : "api";
    if (decode_string(q, f[NF_RESOURCE], NULL, "resource", maxv, DECODE_REQUIRED, &s, &n) < 0) {
        goto done;
    }
    ev->resource = native_copy(ev, s, n);
    if (decode_string(q, f[NF_CHECK], NULL, "check", maxv, DECODE_REQUIRED, &s, &n) < 0) {
        goto done;
    }
    ev->check = native_copy(ev, s, n);

    if (decode_enum(q, f[NF_SEVERITY], NULL, "severity", severity_map_native, 0, &v, &present) <
        0) {
        goto done;
    }
    ev->severity = present ? (event_severity_t)v : EVENT_SEVERITY_WARNING;
    if (decode_enum(q, f[NF_STATUS], NULL, "status", native_status, 0, &v, &present) < 0) {
        goto done;
    }
    ev->status = present ? (event_status_t)v : EVENT_STATUS_FIRING;

    if (decode_string(q, f[NF_SUMMARY], NULL, "summary", maxt, 0, &s, &n) < 0) {
        goto done;
    }
    ev->summary = n ? native_copy(ev, s, n) : NULL;
    if (decode_string(q, f[NF_DESCRIPTION], NULL, "description", maxt, 0, &s, &n) < 0) {
        goto done;
    }
    ev->description = n ? native_copy(ev, s, n) : NULL;

    if (decode_string_map(q, ev, f[NF_LABELS], "labels", 0) < 0 ||
        decode_string_map(q, ev, f[NF_ANNOTATIONS], "annotations", 1) < 0) {
        goto done;
    }
    if (decode_time(q, f[NF_OCCURRED_AT], NULL, "occurred_at", 0, &ev->occurred_at_us, &present) <
        0) {
        goto done;
    }
    if (decode_string(q, f[NF_DEDUP_KEY], NULL, "dedup_key", NATIVE_DEDUP_KEY_MAX, 0, &s, &n) < 0) {
        goto done;
    }
    ev->dedup_key = n ? native_copy(ev, s, n) : NULL;

done:
    /* A native dedup_key is the sender's own namespace already (source is
     * hashed with it), so there is no scope. */
    decode_event_finish(q, &ev, NULL);
}

int decode_native(const char *body, size_t len, const decode_limits_t *lim,
                  const decode_context_t *ctx, decode_result_t *r)
{
    decode_req_t q;
    decode_req_init(&q, lim, ctx, r);
    json_t *root = decode_load(&q, body, len);
    if (!root) {
        return -1;
    }
    if (json_is_object(root)) {
        q.index = 0;
        native_decode_one(&q, root);
    } else {
        size_t n = json_array_size(root);
        if (n > q.lim.max_events) {
            decode_reject(r, -1, "body", "more than %u events", q.lim.max_events);
            json_decref(root);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            q.index = (int)i;
            native_decode_one(&q, json_array_get(root, i));
        }
    }
    json_decref(root);
    return 0;
}
