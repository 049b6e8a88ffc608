/*
 * decode_pagerduty - PagerDuty Events API v2 (POST /v2/enqueue), accepted
 * verbatim as PagerDuty documents it (see shared/PEERS.md), so any tool with
 * a PagerDuty integration - Alertmanager's pagerduty_configs among them - can
 * point at alertdesk unchanged.
 *
 *   routing_key   required, 1..64 characters (an integration key is 32); it
 *                 selects the integration (ctx->find_integration) whose name
 *                 scopes the fingerprint and whose labels join the event.
 *                 It is a credential: never copied into the event or a reject.
 *   event_action  trigger | acknowledge | resolve -> firing | acknowledged |
 *                 resolved
 *   dedup_key     <= 255 bytes; required for acknowledge and resolve; a
 *                 trigger without one gets a random UUID v4. Either way it
 *                 is returned in r->dedup_key for the reply.
 *   payload       required for trigger: summary (<= 1024 characters), source,
 *                 severity (critical|error|warning|info), optional timestamp
 *                 (ISO 8601), component / group / class (become labels),
 *                 custom_details (its top-level members become annotations)
 *   links[], images[], client, client_url   annotations link.N, image.N, ...
 *
 * One event per request, so any problem refuses the whole body (index -1).
 * Two deliberate softnesses, both about text that only informs:
 *  - custom_details, links, images, client and client_url never cost an
 *    event: values past max_text_bytes are cut with a marker, members past
 *    the annotation limit or with bad keys are dropped, and an annotation
 *    "alertdesk_truncated" says how many (Alertmanager puts a whole group's
 *    rendered text in custom_details);
 *  - acknowledge and resolve read their payload leniently: PagerDuty ignores
 *    it, and a resolve must always reach the ticket, so a malformed optional
 *    field there is skipped rather than refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "decode.h"
#include "decode_internal.h"
#include "xalloc.h"

enum {
    PF_ROUTING_KEY,
    PF_EVENT_ACTION,
    PF_DEDUP_KEY,
    PF_PAYLOAD,
    PF_LINKS,
    PF_IMAGES,
    PF_CLIENT,
    PF_CLIENT_URL,
    PF_COUNT
};

static const char *const pd_fields[PF_COUNT + 1] = {
    "routing_key", "event_action", "dedup_key",  "payload", "links",
    "images",      "client",       "client_url", NULL,
};

enum {
    PP_SUMMARY,
    PP_SOURCE,
    PP_SEVERITY,
    PP_TIMESTAMP,
    PP_COMPONENT,
    PP_GROUP,
    PP_CLASS,
    PP_CUSTOM_DETAILS,
    PP_COUNT
};

static const char *const pd_payload_fields[PP_COUNT + 1] = {
    "summary", "source", "severity",       "timestamp", "component",
    "group",   "class",  "custom_details", NULL,
};

enum { PD_TRIGGER = 1, PD_ACKNOWLEDGE = 2, PD_RESOLVE = 3 };

static const decode_name_map_t pd_actions[] = {
    {"trigger", PD_TRIGGER},
    {"acknowledge", PD_ACKNOWLEDGE},
    {"resolve", PD_RESOLVE},
    {NULL, 0},
};

#define PD_ROUTING_KEY_MAX   64
#define PD_DEDUP_KEY_MAX     255
#define PD_SUMMARY_MAX_CHARS 1024
#define PD_TRUNCATED_MARK    " [truncated by alertdesk]"
#define PD_TRUNCATED_KEY     "alertdesk_truncated"

/* State of the informational annotations of one event. */
typedef struct {
    decode_req_t *q;
    event_t *ev;
    unsigned dropped, truncated;
} pd_notes_t;

/* Adds an informational annotation: cut to max_text_bytes with a marker,
 * dropped when the event has no room left (one slot stays free for the
 * alertdesk_truncated note). */
static void pd_note(pd_notes_t *nt, const char *key, size_t klen, const char *val, size_t vlen)
{
    const decode_limits_t *lim = &nt->q->lim;
    if (klen == 0 || klen > lim->max_key_bytes || nt->ev->nannotations + 1 >= lim->max_labels) {
        nt->dropped++;
        return;
    }
    if (vlen <= lim->max_text_bytes) {
        event_annotation_set(nt->ev, key, val);
        return;
    }
    size_t mlen = strlen(PD_TRUNCATED_MARK);
    size_t keep = lim->max_text_bytes > mlen ? lim->max_text_bytes - mlen : 0;
    keep = decode_utf8_cut(val, vlen, keep);
    char *cut = xmalloc(keep + mlen + 1);
    memcpy(cut, val, keep);
    memcpy(cut + keep, PD_TRUNCATED_MARK, mlen + 1);
    event_annotation_set(nt->ev, key, cut);
    free(cut);
    nt->truncated++;
}

/* A JSON value as annotation text: strings as they are, anything else in
 * compact JSON (json_dumps only here: custom_details may hold anything). */
static void pd_note_json(pd_notes_t *nt, const char *key, size_t klen, json_t *v)
{
    if (json_is_null(v)) {
        return;
    }
    if (json_is_string(v)) {
        pd_note(nt, key, klen, json_string_value(v), json_string_length(v));
        return;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        abort(); /* jansson fails only on out of memory here */
    }
    pd_note(nt, key, klen, text, strlen(text));
    free(text);
}

static void pd_custom_details(pd_notes_t *nt, json_t *v)
{
    if (!v || json_is_null(v)) {
        return;
    }
    if (!json_is_object(v)) {
        pd_note_json(nt, "custom_details", strlen("custom_details"), v);
        return;
    }
    for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
        pd_note_json(nt, json_object_iter_key(it), json_object_iter_key_len(it),
                     json_object_iter_value(it));
    }
}

/* links[] {href, text} -> link.N, link.N.text; images[] {src, href, alt} ->
 * image.N, image.N.href, image.N.alt. members[0] is the main value. */
static void pd_list(pd_notes_t *nt, json_t *list, const char *name, const char *const *members)
{
    char key[64];
    if (!list || json_is_null(list)) {
        return;
    }
    if (!json_is_array(list)) {
        nt->dropped++;
        return;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        json_t *main = json_object_get(item, members[0]);
        if (!json_is_string(main)) {
            nt->dropped++;
            continue;
        }
        int klen = snprintf(key, sizeof key, "%s.%zu", name, i);
        pd_note(nt, key, (size_t)klen, json_string_value(main), json_string_length(main));
        for (int m = 1; members[m]; m++) {
            json_t *extra = json_object_get(item, members[m]);
            if (json_is_string(extra) && json_string_length(extra)) {
                klen = snprintf(key, sizeof key, "%s.%zu.%s", name, i, members[m]);
                pd_note(nt, key, (size_t)klen, json_string_value(extra), json_string_length(extra));
            }
        }
    }
}

/* A random UUID v4 in lower-case hex with dashes (36 chars + NUL). */
static int pd_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        return -1;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0xf];
    }
    *p = '\0';
    return 0;
}

/* Everything after the body has loaded; returns 0 or -1 (refused). */
static int pd_decode(decode_req_t *q, json_t *root, event_t *ev, const char **scope)
{
    json_t *f[PF_COUNT], *p[PP_COUNT], *payload;
    const char *s, *key;
    size_t n, keylen;
    int action, present, v;
    size_t maxv = q->lim.max_value_bytes;

    if (!json_is_object(root)) {
        return decode_fail(q, NULL, "body", "must be a JSON object");
    }
    decode_members(q, root, NULL, pd_fields, f, 0);

    /* routing_key: any length check first, then the lookup. */
    if (decode_string(q, f[PF_ROUTING_KEY], NULL, "routing_key", (size_t)-1, DECODE_REQUIRED, &key,
                      &keylen) < 0) {
        return -1;
    }
    if (keylen > PD_ROUTING_KEY_MAX) {
        return decode_fail(q, NULL, "routing_key",
                           "must be 1 to 64 characters (an integration key is 32)");
    }
    if (decode_enum(q, f[PF_EVENT_ACTION], NULL, "event_action", pd_actions, DECODE_REQUIRED,
                    &action, &present) < 0) {
        return -1;
    }
    if (decode_string(q, f[PF_DEDUP_KEY], NULL, "dedup_key", PD_DEDUP_KEY_MAX, 0, &s, &n) < 0) {
        return -1;
    }
    if (n) {
        memcpy(q->r->dedup_key, s, n);
        q->r->dedup_key[n] = '\0';
        ev->dedup_key = event_strndup(ev, s, n);
    } else if (action != PD_TRIGGER) {
        return decode_fail(q, NULL, "dedup_key", "required for acknowledge and resolve");
    }
    q->lenient = action != PD_TRIGGER;
    if (decode_object(q, f[PF_PAYLOAD], NULL, "payload", action == PD_TRIGGER ? DECODE_REQUIRED : 0,
                      &payload) < 0) {
        return -1;
    }
    q->lenient = 0;

    const decode_integration_t *integ = NULL;
    if (q->ctx->find_integration) {
        integ = q->ctx->find_integration(q->ctx->find_arg, key);
        if (!integ) {
            return decode_fail(q, NULL, "routing_key", "unknown integration key");
        }
        *scope = integ->name;
    } else {
        /* No integrations configured: every key is its own namespace. The
         * key itself only enters the hash, never the event. */
        *scope = key;
    }

    ev->status = action == PD_TRIGGER       ? EVENT_STATUS_FIRING
                 : action == PD_ACKNOWLEDGE ? EVENT_STATUS_ACKNOWLEDGED
                                            : EVENT_STATUS_RESOLVED;
    ev->severity = EVENT_SEVERITY_WARNING;
    ev->resource = "unknown";
    ev->check = "event";

    if (payload) {
        int req = action == PD_TRIGGER ? DECODE_REQUIRED : 0;
        q->lenient = action != PD_TRIGGER;
        decode_members(q, payload, "payload.", pd_payload_fields, p, 0);
        if (decode_string(q, p[PP_SUMMARY], "payload.", "summary", PD_SUMMARY_MAX_CHARS,
                          req | DECODE_CHARS, &s, &n) < 0) {
            return -1;
        }
        if (n > q->lim.max_text_bytes) {
            /* 1024 characters may exceed a max_text_bytes set below 4 KB */
            if (decode_fail(q, "payload.", "summary", "longer than %zu bytes",
                            q->lim.max_text_bytes) < 0) {
                return -1;
            }
            n = 0;
        }
        ev->summary = n ? event_strndup(ev, s, n) : NULL;
        if (decode_string(q, p[PP_SOURCE], "payload.", "source", maxv, req, &s, &n) < 0) {
            return -1;
        }
        if (n) {
            ev->resource = event_strndup(ev, s, n);
        }
        if (decode_enum(q, p[PP_SEVERITY], "payload.", "severity", severity_map_pagerduty, req, &v,
                        &present) < 0) {
            return -1;
        }
        if (present) {
            ev->severity = (event_severity_t)v;
        }
        if (decode_time(q, p[PP_TIMESTAMP], "payload.", "timestamp", DECODE_ISO8601,
                        &ev->occurred_at_us, &present) < 0) {
            return -1;
        }
        /* component, group, class: labels of the same names; the most
         * specific of them names the check. */
        static const int label_slots[] = {PP_COMPONENT, PP_GROUP, PP_CLASS};
        for (int i = 0; i < 3; i++) {
            const char *name = pd_payload_fields[label_slots[i]];
            if (decode_string(q, p[label_slots[i]], "payload.", name, maxv, 0, &s, &n) < 0) {
                return -1;
            }
            if (n) {
                event_label_set(ev, name, s);
                ev->check = event_label_get(ev, name);
            }
        }
        q->lenient = 0;
    }
    if (integ) {
        /* Set after the payload's labels: the operator's configuration wins
         * over what the sender wrote. */
        for (uint32_t i = 0; i < integ->nlabels; i++) {
            event_label_set(ev, integ->labels[i].key, integ->labels[i].value);
        }
    }

    pd_notes_t nt = {q, ev, 0, 0};
    static const char *const link_members[] = {"href", "text", NULL};
    static const char *const image_members[] = {"src", "href", "alt", NULL};
    if (payload) {
        pd_custom_details(&nt, json_object_get(payload, "custom_details"));
    }
    pd_list(&nt, f[PF_LINKS], "link", link_members);
    pd_list(&nt, f[PF_IMAGES], "image", image_members);
    if (json_is_string(f[PF_CLIENT])) {
        pd_note(&nt, "client", 6, json_string_value(f[PF_CLIENT]),
                json_string_length(f[PF_CLIENT]));
    }
    if (json_is_string(f[PF_CLIENT_URL])) {
        pd_note(&nt, "client_url", 10, json_string_value(f[PF_CLIENT_URL]),
                json_string_length(f[PF_CLIENT_URL]));
    }
    if (nt.dropped || nt.truncated) {
        char note[96];
        snprintf(note, sizeof note, "%u values cut to %zu bytes, %u fields dropped", nt.truncated,
                 q->lim.max_text_bytes, nt.dropped);
        event_annotation_set(ev, PD_TRUNCATED_KEY, note);
    }

    if (!ev->dedup_key) {
        char uuid[37];
        if (pd_uuid4(uuid) < 0) {
            return decode_fail(q, NULL, "dedup_key", "could not generate one (no randomness)");
        }
        memcpy(q->r->dedup_key, uuid, sizeof uuid);
        ev->dedup_key = event_strdup(ev, uuid);
    }
    return 0;
}

int decode_pagerduty(const char *body, size_t len, const decode_limits_t *lim,
                     const decode_context_t *ctx, decode_result_t *r)
{
    decode_req_t q;
    const char *scope = NULL;

    decode_req_init(&q, lim, ctx, r);
    q.index = -1; /* one event per request: every reject is the body's */
    json_t *root = decode_load(&q, body, len);
    if (!root) {
        return -1;
    }
    event_t *ev = decode_event_new(&q, EVENT_FORMAT_PAGERDUTY);
    ev->source = "pagerduty";
    pd_decode(&q, root, ev, &scope);
    if (q.rejected) {
        r->dedup_key[0] = '\0';
    }
    /* scope may point into the tree: finish before releasing it. */
    decode_event_finish(&q, &ev, scope);
    json_decref(root);
    return q.rejected ? -1 : 0;
}
