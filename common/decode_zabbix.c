/*
 * decode_zabbix - the JSON that alertdesk's own Zabbix media type posts
 * (deploy/integrations/zabbix/alertdesk_media_type.yaml) to /api/v1/zabbix.
 * Zabbix's generic webhook cannot send structured data, so the media type's
 * script builds this body from macros:
 *
 *   {"alertdesk_media_type": "zabbix/1",     required marker and version
 *    "event_source": 0,                      {EVENT.SOURCE}: triggers only
 *    "event_id": "4711",                     {EVENT.ID}: the problem's ID, also
 *                                            in its recovery -> dedup_key
 *    "event_value": 1,                       {EVENT.VALUE}: 1 problem, 0 OK
 *    "event_update_status": 0,               {EVENT.UPDATE.STATUS}
 *    "event_ack_status": "No",               {EVENT.ACK.STATUS}: Yes | No
 *    "event_nseverity": 4,                   {EVENT.NSEVERITY}: 0..5
 *    "event_name": "...",                    {EVENT.NAME} -> summary
 *    "event_time": "2026-11-25T03:17:49Z",   from {EVENT.*TIMESTAMP}
 *    "event_tags": [{"tag": "site", "value": "ams1"}],   {EVENT.TAGSJSON}
 *    "host": "sw1.ams1",                     {HOST.HOST} -> resource
 *    "trigger_name": "...",                  {TRIGGER.NAME} -> check
 *    ... optional text: host_name, host_ip, trigger_id, trigger_description,
 *    opdata, zabbix_url, message, recovery_event_id, event_update_action,
 *    event_update_message, event_update_user}
 *
 * status: event_value 0 -> resolved; an update (event_update_status 1) of an
 * acknowledged problem -> acknowledged; else firing. severity through
 * severity_map_zabbix. Tags become labels (a tag given twice keeps both
 * values, joined by ","); host_ip and trigger_id are labels too. The
 * fingerprint is the event ID under scope "zabbix".
 *
 * One event per request: any problem refuses the whole body. Members the
 * media type does not send are ignored, so a site may add its own.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "decode.h"
#include "decode_internal.h"
#include "xalloc.h"

#define ZABBIX_MARKER       "zabbix/1"
#define ZABBIX_SCOPE        "zabbix"
#define ZABBIX_EVENT_ID_MAX 20 /* a uint64 in decimal */

enum {
    ZF_MARKER,
    ZF_SOURCE,
    ZF_EVENT_ID,
    ZF_VALUE,
    ZF_UPDATE,
    ZF_ACK,
    ZF_NSEVERITY,
    ZF_NAME,
    ZF_TIME,
    ZF_TAGS,
    ZF_HOST,
    ZF_TRIGGER_NAME,
    ZF_DESCRIPTION,
    ZF_COUNT
};

static const char *const zabbix_fields[ZF_COUNT + 1] = {
    "alertdesk_media_type",
    "event_source",
    "event_id",
    "event_value",
    "event_update_status",
    "event_ack_status",
    "event_nseverity",
    "event_name",
    "event_time",
    "event_tags",
    "host",
    "trigger_name",
    "trigger_description",
    NULL,
};

/* Optional strings kept as they are: name in the body, label (1) or
 * annotation (0), and whether it is human text (max_text_bytes). */
static const struct {
    const char *name;
    int label;
    int text;
} zabbix_extras[] = {
    {"host_ip", 1, 0},
    {"trigger_id", 1, 0},
    {"host_name", 0, 0},
    {"opdata", 0, 1},
    {"zabbix_url", 0, 1},
    {"message", 0, 1},
    {"recovery_event_id", 0, 0},
    {"event_update_action", 0, 1},
    {"event_update_message", 0, 1},
    {"event_update_user", 0, 0},
};

static const decode_name_map_t zabbix_ack[] = {
    {"Yes", 1},
    {"No", 0},
    {NULL, 0},
};

/* Zabbix allows a tag name several times ("service: web", "service: db");
 * a label map has one value per key, so the values are joined. */
static void zabbix_tag_set(event_t *ev, const char *tag, const char *value)
{
    const char *old = event_label_get(ev, tag);
    if (!old) {
        event_label_set(ev, tag, value);
        return;
    }
    char *joined = xasprintf("%s,%s", old, value);
    event_label_set(ev, tag, joined);
    free(joined);
}

static int zabbix_tags(decode_req_t *q, event_t *ev, json_t *tags)
{
    char where[40], prefix[48];
    if (!tags || json_is_null(tags)) {
        return 0;
    }
    if (!json_is_array(tags)) {
        return decode_fail(q, NULL, "event_tags", "must be an array");
    }
    if (json_array_size(tags) > q->lim.max_labels) {
        return decode_fail(q, NULL, "event_tags", "more than %u tags", q->lim.max_labels);
    }
    for (size_t i = 0; i < json_array_size(tags); i++) {
        json_t *t = json_array_get(tags, i);
        const char *tag, *value;
        size_t n;
        snprintf(where, sizeof where, "event_tags[%zu]", i);
        snprintf(prefix, sizeof prefix, "%s.", where);
        if (!json_is_object(t)) {
            return decode_fail(q, NULL, where, "must be an object {tag, value}");
        }
        if (decode_string(q, json_object_get(t, "tag"), prefix, "tag", q->lim.max_key_bytes,
                          DECODE_REQUIRED, &tag, &n) < 0 ||
            decode_string(q, json_object_get(t, "value"), prefix, "value", q->lim.max_value_bytes,
                          0, &value, &n) < 0) {
            return -1;
        }
        zabbix_tag_set(ev, tag, value ? value : "");
        /* Joined values may grow past the value limit: hold them to it. */
        const char *now = event_label_get(ev, tag);
        if (strlen(now) > q->lim.max_value_bytes) {
            return decode_fail(q, prefix, "value", "tag values together longer than %zu bytes",
                               q->lim.max_value_bytes);
        }
    }
    return 0;
}

static int zabbix_decode(decode_req_t *q, json_t *root, event_t *ev)
{
    json_t *f[ZF_COUNT];
    const char *s;
    size_t n;
    json_int_t value, update = 0, nsev, source;
    int present, ack = 0;
    size_t maxv = q->lim.max_value_bytes, maxt = q->lim.max_text_bytes;

    if (!json_is_object(root)) {
        return decode_fail(q, NULL, "body", "must be a JSON object");
    }
    decode_members(q, root, NULL, zabbix_fields, f, 0);

    if (decode_string(q, f[ZF_MARKER], NULL, "alertdesk_media_type", 64, DECODE_REQUIRED, &s, &n) <
        0) {
        return -1;
    }
    if (strcmp(s, ZABBIX_MARKER) != 0) {
        return decode_fail(q, NULL, "alertdesk_media_type",
                           "must be " ZABBIX_MARKER " (import the media type of this release)");
    }
    if (decode_int(q, f[ZF_SOURCE], NULL, "event_source", 0, 3, 0, &source, &present) < 0) {
        return -1;
    }
    if (present && source != 0) {
        return decode_fail(q, NULL, "event_source", "only trigger events (0) are supported");
    }
    if (decode_string(q, f[ZF_EVENT_ID], NULL, "event_id", ZABBIX_EVENT_ID_MAX, DECODE_REQUIRED, &s,
                      &n) < 0) {
        return -1;
    }
    if (strspn(s, "0123456789") != n) {
        return decode_fail(q, NULL, "event_id", "must be a Zabbix event ID (digits)");
    }
    ev->dedup_key = event_strndup(ev, s, n);

    if (decode_int(q, f[ZF_VALUE], NULL, "event_value", 0, 1, DECODE_REQUIRED, &value, &present) <
            0 ||
        decode_int(q, f[ZF_UPDATE], NULL, "event_update_status", 0, 1, 0, &update, &present) < 0 ||
        decode_enum(q, f[ZF_ACK], NULL, "event_ack_status", zabbix_ack, 0, &ack, &present) < 0 ||
        decode_int(q, f[ZF_NSEVERITY], NULL, "event_nseverity", 0, 5, DECODE_REQUIRED, &nsev,
                   &present) < 0) {
        return -1;
    }
    ev->severity = severity_map_zabbix[nsev];
    ev->status = value == 0                ? EVENT_STATUS_RESOLVED
                 : update == 1 && ack == 1 ? EVENT_STATUS_ACKNOWLEDGED
                                           : EVENT_STATUS_FIRING;

    if (decode_string(q, f[ZF_HOST], NULL, "host", maxv, DECODE_REQUIRED, &s, &n) < 0) {
        return -1;
    }
    ev->resource = event_strndup(ev, s, n);
    if (decode_string(q, f[ZF_TRIGGER_NAME], NULL, "trigger_name", maxv, DECODE_REQUIRED, &s, &n) <
        0) {
        return -1;
    }
    ev->check = event_strndup(ev, s, n);
    if (decode_string(q, f[ZF_NAME], NULL, "event_name", maxt, 0, &s, &n) < 0) {
        return -1;
    }
    ev->summary = n ? event_strndup(ev, s, n) : ev->check;
    if (decode_string(q, f[ZF_DESCRIPTION], NULL, "trigger_description", maxt, 0, &s, &n) < 0) {
        return -1;
    }
    ev->description = n ? event_strndup(ev, s, n) : NULL;
    if (decode_time(q, f[ZF_TIME], NULL, "event_time", 0, &ev->occurred_at_us, &present) < 0) {
        return -1;
    }
    if (zabbix_tags(q, ev, f[ZF_TAGS]) < 0) {
        return -1;
    }
    /* After the tags: these are facts from Zabbix and win over a tag of the
     * same name. */
    for (size_t i = 0; i < sizeof zabbix_extras / sizeof zabbix_extras[0]; i++) {
        const char *name = zabbix_extras[i].name;
        if (decode_string(q, json_object_get(root, name), NULL, name,
                          zabbix_extras[i].text ? maxt : maxv, 0, &s, &n) < 0) {
            return -1;
        }
        if (!n) {
            continue;
        }
        if (zabbix_extras[i].label) {
            event_label_set(ev, name, s);
        } else {
            event_annotation_set(ev, name, s);
        }
    }
    return 0;
}

int decode_zabbix(const char *body, size_t len, const decode_limits_t *lim,
                  const decode_context_t *ctx, decode_result_t *r)
{
    decode_req_t q;
    decode_req_init(&q, lim, ctx, r);
    q.index = -1; /* one event per request */
    json_t *root = decode_load(&q, body, len);
    if (!root) {
        return -1;
    }
    event_t *ev = decode_event_new(&q, EVENT_FORMAT_ZABBIX);
    ev->source = "zabbix";
    zabbix_decode(&q, root, ev);
    decode_event_finish(&q, &ev, ZABBIX_SCOPE);
    json_decref(root);
    return q.rejected ? -1 : 0;
}
