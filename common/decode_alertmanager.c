/*
 * decode_alertmanager - Prometheus Alertmanager webhook payloads, version 4
 * (POST /api/v1/alertmanager), one event per element of alerts[].
 *
 * Read as Alertmanager sends them: unknown fields (notification_reason,
 * truncatedAlerts, ...) are tolerated, the group-level fields are ignored
 * (each alert carries its full labels). Per alert:
 *   source       "alertmanager"
 *   check        labels.alertname (required)
 *   resource     the first present of labels resource, device, host,
 *                hostname, instance, node, service, job; else alertname
 *   severity     labels.severity through severity_map_alertmanager
 *                (absent or unknown: warning)
 *   status       the alert's status (firing | resolved)
 *   occurred_at  startsAt; endsAt for a resolved alert
 *   summary      annotations.summary, else annotations.message
 *   description  annotations.description
 *   labels       all the alert's labels
 *   annotations  all the alert's annotations, plus generator_url
 *   dedup_key    the alert's fingerprint (a hash of its label set)
 * The fingerprint is taken from that key with no scope, so the two members of
 * an Alertmanager HA pair sending the same alert give the same fingerprint;
 * an alert without one falls back to the label hash.
 *
 * A bad alert is refused on its own (index = its position in alerts[]); the
 * others are still returned. Each POST is a full snapshot of the group:
 * being idempotent about repeats is the correlator's job, not ours.
 */
#include <string.h>

#include <jansson.h>

#include "decode.h"
#include "decode_internal.h"

enum {
    AF_STATUS,
    AF_LABELS,
    AF_ANNOTATIONS,
    AF_STARTS_AT,
    AF_ENDS_AT,
    AF_GENERATOR_URL,
    AF_FINGERPRINT,
    AF_COUNT
};

static const char *const am_alert_fields[AF_COUNT + 1] = {
    "status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint", NULL,
};

static const decode_name_map_t am_status[] = {
    {"firing", EVENT_STATUS_FIRING},
    {"resolved", EVENT_STATUS_RESOLVED},
    {NULL, 0},
};

/* Labels that name what is affected, most specific first. */
static const char *const am_resource_labels[] = {
    "resource", "device", "host", "hostname", "instance", "node", "service", "job", NULL,
};

/* Go's zero time.Time: what Alertmanager writes in endsAt of a firing alert
 * ("0001-01-01T00:00:00Z"); it means "not set". */
#define AM_ZERO_TIME_US (-62135596800LL * 1000000)

static void am_decode_alert(decode_req_t *q, json_t *alert)
{
    json_t *f[AF_COUNT];
    const char *s;
    size_t n;
    int v, present;
    int64_t t;
    event_t *ev = decode_event_new(q, EVENT_FORMAT_ALERTMANAGER);

    q->rejected = 0;
    ev->source = "alertmanager";
    if (!json_is_object(alert)) {
        decode_fail(q, NULL, "alert", "must be an object");
        goto done;
    }
    decode_members(q, alert, NULL, am_alert_fields, f, 0);

    if (decode_enum(q, f[AF_STATUS], NULL, "status", am_status, DECODE_REQUIRED, &v, &present) <
        0) {
        goto done;
    }
    ev->status = (event_status_t)v;

    if (!f[AF_LABELS] || json_is_null(f[AF_LABELS])) {
        decode_fail(q, NULL, "labels", "required");
        goto done;
    }
    if (decode_string_map(q, ev, f[AF_LABELS], "labels", 0) < 0 ||
        decode_string_map(q, ev, f[AF_ANNOTATIONS], "annotations", 1) < 0) {
        goto done;
    }
    ev->check = event_label_get(ev, "alertname");
    if (!ev->check || !ev->check[0]) {
        decode_fail(q, NULL, "labels.alertname", "required");
        goto done;
    }
    ev->resource = ev->check;
    for (int i = 0; am_resource_labels[i]; i++) {
        const char *r = event_label_get(ev, am_resource_labels[i]);
        if (r && r[0]) {
            ev->resource = r;
            break;
        }
    }
    /* Strings below already live in the event's arena (the label maps copy). */
    const char *sev = event_label_get(ev, "severity");
    ev->severity = EVENT_SEVERITY_WARNING;
    if (sev && decode_name_lookup(severity_map_alertmanager, sev, strlen(sev), 1, &v) == 0) {
        ev->severity = (event_severity_t)v;
    }
    ev->summary = decode_annotation_get(ev, "summary");
    if (!ev->summary) {
        ev->summary = decode_annotation_get(ev, "message");
    }
    ev->description = decode_annotation_get(ev, "description");

    if (decode_time(q, f[AF_STARTS_AT], NULL, "startsAt", 0, &t, &present) < 0) {
        goto done;
    }
    if (present && t != AM_ZERO_TIME_US) {
        ev->occurred_at_us = t;
    }
    if (decode_time(q, f[AF_ENDS_AT], NULL, "endsAt", 0, &t, &present) < 0) {
        goto done;
    }
    /* A resolve happened when it ended; a resolved alert without a usable
     * endsAt gets the time we heard of it, never its start. */
    if (ev->status == EVENT_STATUS_RESOLVED) {
        ev->occurred_at_us = present && t != AM_ZERO_TIME_US ? t : q->received_at_us;
    }

    if (decode_string(q, f[AF_GENERATOR_URL], NULL, "generatorURL", q->lim.max_text_bytes, 0, &s,
                      &n) < 0) {
        goto done;
    }
    if (n) {
        event_annotation_set(ev, "generator_url", s);
    }
    if (decode_string(q, f[AF_FINGERPRINT], NULL, "fingerprint", 255, 0, &s, &n) < 0) {
        goto done;
    }
    ev->dedup_key = n ? event_strndup(ev, s, n) : NULL;

done:
    decode_event_finish(q, &ev, NULL);
}

int decode_alertmanager(const char *body, size_t len, const decode_limits_t *lim,
                        const decode_context_t *ctx, decode_result_t *r)
{
    decode_req_t q;
    decode_req_init(&q, lim, ctx, r);
    json_t *root = decode_load(&q, body, len);
    if (!root) {
        return -1;
    }
    json_t *alerts = json_is_object(root) ? json_object_get(root, "alerts") : NULL;
    if (!json_is_object(root)) {
        decode_reject(r, -1, "body", "must be a JSON object");
    } else if (!alerts || json_is_null(alerts)) {
        decode_reject(r, -1, "alerts", "required");
    } else if (!json_is_array(alerts)) {
        decode_reject(r, -1, "alerts", "must be an array");
    } else if (json_array_size(alerts) > q.lim.max_events) {
        decode_reject(r, -1, "alerts", "more than %u alerts", q.lim.max_events);
    } else {
        for (size_t i = 0; i < json_array_size(alerts); i++) {
            q.index = (int)i;
            am_decode_alert(&q, json_array_get(alerts, i));
        }
        json_decref(root);
        return 0;
    }
    json_decref(root);
    return -1;
}
