/*
 * decode - the parts every decoder shares: results, limits, format dispatch
 * and detection, and the helpers of decode_internal.h (whole-body checks and
 * JSON loading, typed field readers that name the field and the rule in a
 * reject, RFC 3339 times, UTF-8 lengths).
 *
 * What a format means lives in its own file (decode_native.c,
 * decode_alertmanager.c, decode_pagerduty.c, decode_zabbix.c) and its
 * severity names in severity_map.c; nothing here knows a format's fields.
 * Nothing here does I/O or keeps state between calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "decode.h"
#include "decode_internal.h"
#include "event.h"
#include "fingerprint.h"
#include "xalloc.h"

/* ------------------------------------------------------------------------ */
/* decode_limits_default - the settings table's defaults */

void decode_limits_default(decode_limits_t *lim)
{
    lim->max_body_bytes = 524288; /* PagerDuty's 512 KB */
    lim->max_depth = 16;
    lim->max_labels = 64;
    lim->max_key_bytes = 128;
    lim->max_value_bytes = 1024;
    lim->max_text_bytes = 16384;
    lim->max_events = 1000;
}

/* ------------------------------------------------------------------------ */
/* results */

void decode_result_init(decode_result_t *r)
{
    memset(r, 0, sizeof *r);
}

void decode_result_clear(decode_result_t *r)
{
    for (size_t i = 0; i < r->nevents; i++) {
        event_destroy(&r->events[i]);
    }
    free(r->events);
    free(r->rejects);
    decode_result_init(r);
}

event_t **decode_result_take_events(decode_result_t *r, size_t *n)
{
    event_t **events = r->events;
    *n = r->nevents;
    r->events = NULL;
    r->nevents = r->events_cap = 0;
    return events;
}

/* Takes ownership of ev. */
static void decode_result_push(decode_result_t *r, event_t *ev)
{
    if (r->nevents == r->events_cap) {
        r->events_cap = r->events_cap ? r->events_cap * 2 : 4;
        r->events = xrealloc(r->events, r->events_cap * sizeof *r->events);
    }
    r->events[r->nevents++] = ev;
}

static void decode_vreject(decode_result_t *r, int index, const char *prefix, const char *key,
                           const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void decode_vreject(decode_result_t *r, int index, const char *prefix, const char *key,
                           const char *fmt, va_list ap)
{
    if (r->nrejects == r->rejects_cap) {
        r->rejects_cap = r->rejects_cap ? r->rejects_cap * 2 : 4;
        r->rejects = xrealloc(r->rejects, r->rejects_cap * sizeof *r->rejects);
    }
    decode_reject_t *rj = &r->rejects[r->nrejects++];
    rj->index = index;
    snprintf(rj->field, sizeof rj->field, "%s%s", prefix ? prefix : "", key ? key : "");
    vsnprintf(rj->error, sizeof rj->error, fmt, ap);
}

void decode_reject(decode_result_t *r, int index, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    decode_vreject(r, index, field, NULL, fmt, ap);
    va_end(ap);
}

int decode_fail(decode_req_t *q, const char *prefix, const char *key, const char *fmt, ...)
{
    if (q->lenient) {
        return 1;
    }
    /* One reason per event is enough to fix it, and keeps a hostile body
     * with thousands of bad fields from growing the reply. */
    if (!q->rejected) {
        va_list ap;
        va_start(ap, fmt);
        decode_vreject(q->r, q->index, prefix, key, fmt, ap);
        va_end(ap);
    }
    q->rejected = 1;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* requests and events */

void decode_req_init(decode_req_t *q, const decode_limits_t *lim, const decode_context_t *ctx,
                     decode_result_t *r)
{
    static const decode_context_t no_ctx;
    memset(q, 0, sizeof *q);
    if (lim) {
        q->lim = *lim;
    } else {
        decode_limits_default(&q->lim);
    }
    q->ctx = ctx ? ctx : &no_ctx;
    q->r = r;
    q->received_at_us = q->ctx->received_at_us ? q->ctx->received_at_us : event_now_us();
    q->index = -1;
}

event_t *decode_event_new(decode_req_t *q, event_format_t format)
{
    event_t *ev = event_new(format);
    ev->received_at_us = q->received_at_us;
    ev->occurred_at_us = q->received_at_us;
    return ev;
}

void decode_event_finish(decode_req_t *q, event_t **evp, const char *scope)
{
    if (q->rejected) {
        event_destroy(evp);
        return;
    }
    event_t *ev = *evp;
    fingerprint_compute(ev, scope, q->ctx->fingerprint_ignore_labels,
                        q->ctx->nfingerprint_ignore_labels);
    decode_result_push(q->r, ev);
    *evp = NULL;
}

/* ------------------------------------------------------------------------ */
/* decode_load - whole-body checks, then jansson */

/* One pass over the raw bytes before jansson sees them: jansson would stop
 * a raw NUL with a vague "control character" message, and it only limits
 * depth at 2048 levels - far past what any alert needs, and deep trees are
 * what a hostile body uses to burn memory and stack. */
static int decode_scan(decode_req_t *q, const char *body, size_t len)
{
    const char *nul = memchr(body, '\0', len);
    if (nul) {
        decode_reject(q->r, -1, "body", "contains a NUL byte at offset %zu", (size_t)(nul - body));
        return -1;
    }
    int depth = 0;
    size_t i = 0;
    while (i < len) {
        char c = body[i];
        if (c == '"') {
            /* Jump to the closing quote with memchr: strings are most of a
             * body, and a byte loop over them cost as much as 10% of the
             * decode. A quote preceded by an odd run of backslashes is
             * escaped. An unterminated string ends the scan; jansson then
             * says what is wrong. */
            size_t from = i + 1;
            i = len;
            while (from < len) {
                const char *qp = memchr(body + from, '"', len - from);
                if (!qp) {
                    break;
                }
                size_t k = (size_t)(qp - body), bs = 0;
                while (k - bs > from && body[k - bs - 1] == '\\') {
                    bs++;
                }
                if (bs % 2 == 0) {
                    i = k + 1;
                    break;
                }
                from = k + 1;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > q->lim.max_depth) {
                decode_reject(q->r, -1, "body", "nested deeper than %d levels", q->lim.max_depth);
                return -1;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
        i++;
    }
    return 0;
}

json_t *decode_load(decode_req_t *q, const char *body, size_t len)
{
    json_error_t err;

    if (len > q->lim.max_body_bytes) {
        decode_reject(q->r, -1, "body", "larger than %zu bytes", q->lim.max_body_bytes);
        return NULL;
    }
    if (!body || len == 0) {
        decode_reject(q->r, -1, "body", "empty");
        return NULL;
    }
    if (decode_scan(q, body, len) < 0) {
        return NULL;
    }
    /* Without JSON_DECODE_ANY the root must be an object or an array;
     * without JSON_ALLOW_NUL "\u0000" is refused, so every string jansson
     * returns is a proper C string; invalid UTF-8 is always refused. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (root) {
        return root;
    }
    switch (json_error_code(&err)) {
    case json_error_invalid_utf8:
        decode_reject(q->r, -1, "body", "not valid UTF-8 (near byte %d)", err.position);
        break;
    case json_error_null_character:
    case json_error_null_byte_in_key:
        decode_reject(q->r, -1, "body", "\\u0000 is not allowed (line %d, column %d)", err.line,
                      err.column);
        break;
    case json_error_duplicate_key:
        decode_reject(q->r, -1, "body", "duplicate key: %s (line %d)", err.text, err.line);
        break;
    default:
        decode_reject(q->r, -1, "body", "not valid JSON: %s (line %d, column %d)", err.text,
                      err.line, err.column);
        break;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* field readers */

int decode_members(decode_req_t *q, json_t *obj, const char *prefix, const char *const *names,
                   json_t **slots, int strict)
{
    size_t n = 0;
    while (names[n]) {
        slots[n++] = NULL;
    }
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        size_t i = 0;
        while (i < n && strcmp(names[i], key) != 0) {
            i++;
        }
        if (i < n) {
            slots[i] = json_object_iter_value(it);
        } else if (strict && decode_fail(q, prefix, key, "unknown field") < 0) {
            return -1;
        }
    }
    return 0;
}

/* Absent or null. Returns -1 (rejected), 1 (lenient: skip) or 0 (absent,
 * fine). */
static int decode_absent(decode_req_t *q, const char *prefix, const char *key, int flags)
{
    if (flags & DECODE_REQUIRED) {
        return decode_fail(q, prefix, key, "required");
    }
    return 0;
}

int decode_string(decode_req_t *q, json_t *v, const char *prefix, const char *key, size_t max,
                  int flags, const char **out, size_t *outlen)
{
    *out = NULL;
    if (outlen) {
        *outlen = 0;
    }
    if (!v || json_is_null(v)) {
        return decode_absent(q, prefix, key, flags) < 0 ? -1 : 0;
    }
    if (!json_is_string(v)) {
        return decode_fail(q, prefix, key, "must be a string") < 0 ? -1 : 0;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 && (flags & (DECODE_NONEMPTY | DECODE_REQUIRED))) {
        const char *why = (flags & DECODE_REQUIRED) ? "required" : "must not be empty";
        return decode_fail(q, prefix, key, "%s", why) < 0 ? -1 : 0;
    }
    if (n > max) {
        if (!(flags & DECODE_CHARS)) {
            return decode_fail(q, prefix, key, "longer than %zu bytes", max) < 0 ? -1 : 0;
        }
        /* A character is at most 4 bytes: only count when it can matter. */
        if (n > 4 * max || decode_utf8_chars(s, n) > max) {
            return decode_fail(q, prefix, key, "longer than %zu characters", max) < 0 ? -1 : 0;
        }
    }
    *out = s;
    if (outlen) {
        *outlen = n;
    }
    return 0;
}

const char *decode_annotation_get(const event_t *ev, const char *key)
{
    uint32_t lo = 0, hi = ev->nannotations;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ev->annotations[mid].key, key);
        if (c == 0) {
            return ev->annotations[mid].value;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

int decode_name_lookup(const decode_name_map_t *map, const char *name, size_t n, int nocase,
                       int *out)
{
    for (; map->name; map++) {
        if (strlen(map->name) != n) {
            continue;
        }
        if (nocase ? strncasecmp(map->name, name, n) == 0 : memcmp(map->name, name, n) == 0) {
            *out = map->value;
            return 0;
        }
    }
    return -1;
}

int decode_enum(decode_req_t *q, json_t *v, const char *prefix, const char *key,
                const decode_name_map_t *map, int flags, int *out, int *present)
{
    const char *s;
    size_t n;
    *present = 0;
    /* No length limit here: any unknown name, long or empty, gets the same
     * "must be one of" that lists the right ones. */
    if (decode_string(q, v, prefix, key, (size_t)-1, flags, &s, &n) < 0) {
        return -1;
    }
    if (!s) {
        return 0;
    }
    if (decode_name_lookup(map, s, n, flags & DECODE_NOCASE, out) == 0) {
        *present = 1;
        return 0;
    }
    char names[192];
    size_t used = 0;
    names[0] = '\0';
    for (const decode_name_map_t *m = map; m->name && used < sizeof names; m++) {
        used +=
            (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? "|" : "", m->name);
    }
    return decode_fail(q, prefix, key, "must be one of %s", names) < 0 ? -1 : 0;
}

int decode_time(decode_req_t *q, json_t *v, const char *prefix, const char *key, int flags,
                int64_t *out_us, int *present)
{
    const char *s;
    size_t n;
    *present = 0;
    if (decode_string(q, v, prefix, key, (size_t)-1, flags, &s, &n) < 0) {
        return -1;
    }
    if (!s) {
        return 0;
    }
    if (decode_time_parse(s, n, flags, out_us) == 0) {
        *present = 1;
        return 0;
    }
    const char *what = (flags & DECODE_ISO8601) ? "ISO 8601" : "RFC 3339";
    return decode_fail(q, prefix, key, "not an %s timestamp", what) < 0 ? -1 : 0;
}

int decode_int(decode_req_t *q, json_t *v, const char *prefix, const char *key, json_int_t min,
               json_int_t max, int flags, json_int_t *out, int *present)
{
    *present = 0;
    if (!v || json_is_null(v)) {
        return decode_absent(q, prefix, key, flags) < 0 ? -1 : 0;
    }
    if (!json_is_integer(v)) {
        return decode_fail(q, prefix, key, "must be an integer") < 0 ? -1 : 0;
    }
    json_int_t i = json_integer_value(v);
    if (i < min || i > max) {
        int rc = decode_fail(q, prefix, key,
                             "must be between %" JSON_INTEGER_FORMAT " and %" JSON_INTEGER_FORMAT,
                             min, max);
        return rc < 0 ? -1 : 0;
    }
    *out = i;
    *present = 1;
    return 0;
}

int decode_object(decode_req_t *q, json_t *v, const char *prefix, const char *key, int flags,
                  json_t **out)
{
    *out = NULL;
    if (!v || json_is_null(v)) {
        return decode_absent(q, prefix, key, flags) < 0 ? -1 : 0;
    }
    if (!json_is_object(v)) {
        return decode_fail(q, prefix, key, "must be an object") < 0 ? -1 : 0;
    }
    *out = v;
    return 0;
}

int decode_string_map(decode_req_t *q, event_t *ev, json_t *v, const char *field, int annotations)
{
    json_t *obj;
    char prefix[64];
    const char *what = annotations ? "annotations" : "labels";
    size_t max_value = annotations ? q->lim.max_text_bytes : q->lim.max_value_bytes;

    if (decode_object(q, v, NULL, field, 0, &obj) < 0) {
        return -1;
    }
    if (!obj) {
        return 0;
    }
    if (json_object_size(obj) > q->lim.max_labels &&
        decode_fail(q, NULL, field, "more than %u %s", q->lim.max_labels, what) < 0) {
        return -1;
    }
    snprintf(prefix, sizeof prefix, "%s.", field);
    uint32_t taken = 0;
    for (void *it = json_object_iter(obj); it && taken < q->lim.max_labels;
         it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        const char *val;
        if (klen == 0) {
            if (decode_fail(q, NULL, field, "has an empty key") < 0) {
                return -1;
            }
            continue; /* lenient: skip the member */
        }
        if (klen > q->lim.max_key_bytes) {
            if (decode_fail(q, prefix, key, "key longer than %zu bytes", q->lim.max_key_bytes) <
                0) {
                return -1;
            }
            continue;
        }
        if (decode_string(q, json_object_iter_value(it), prefix, key, max_value, 0, &val, NULL) <
            0) {
            return -1;
        }
        if (!val) {
            continue; /* null, or skipped in lenient mode */
        }
        if (annotations) {
            event_annotation_set(ev, key, val);
        } else {
            event_label_set(ev, key, val);
        }
        taken++;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* times and UTF-8 */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): exact for every year we accept, no libc time zone. */
static int64_t decode_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int decode_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) {
            return -1;
        }
        v = v * 10 + (int)d;
    }
    *out = v;
    return 0;
}

int decode_time_parse(const char *s, size_t n, int flags, int64_t *out_us)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    int64_t frac_us = 0;

    /* YYYY-MM-DDTHH:MM:SS is 19 bytes, and an offset follows. */
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || decode_digits(s, 4, &y) < 0 ||
        decode_digits(s + 5, 2, &mo) < 0 || decode_digits(s + 8, 2, &d) < 0 ||
        decode_digits(s + 11, 2, &h) < 0 || decode_digits(s + 14, 2, &mi) < 0 ||
        decode_digits(s + 17, 2, &se) < 0) {
        return -1;
    }
    size_t i = 19;
    if (s[i] == '.') {
        int digits = 0;
        for (i++; i < n && (unsigned)((unsigned char)s[i] - '0') <= 9; i++, digits++) {
            if (digits < 6) {
                frac_us = frac_us * 10 + (s[i] - '0');
            }
        }
        if (digits == 0) {
            return -1;
        }
        for (; digits < 6; digits++) {
            frac_us *= 10;
        }
    }
    if (i >= n) {
        return -1; /* no offset: local time of an unknown zone */
    }
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '-' ? -1 : 1;
        i++;
        if (n - i < 2 || decode_digits(s + i, 2, &oh) < 0) {
            return -1;
        }
        i += 2;
        if (i < n && s[i] == ':') {
            if (n - i < 3 || decode_digits(s + i + 1, 2, &om) < 0) {
                return -1;
            }
            i += 3;
        } else if (!(flags & DECODE_ISO8601)) {
            return -1;
        } else if (n - i >= 2 && decode_digits(s + i, 2, &om) == 0) {
            i += 2;
        }
    } else {
        return -1;
    }
    if (i != n) {
        return -1;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
        se > 60 || oh > 23 || om > 59) {
        return -1;
    }
    /* A leap second (:60) reads as the first second of the next minute. */
    int64_t secs = decode_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
                   mi * 60 + se - (int64_t)sign * (oh * 3600 + om * 60);
    *out_us = secs * 1000000 + frac_us;
    return 0;
}

size_t decode_utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) {
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return chars;
}

size_t decode_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) {
        return n;
    }
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) {
        k--;
    }
    return k;
}

/* ------------------------------------------------------------------------ */
/* decode_any, decode_detect */

int decode_any(event_format_t format, const char *body, size_t len, const decode_limits_t *lim,
               const decode_context_t *ctx, decode_result_t *r)
{
    switch (format) {
    case EVENT_FORMAT_NATIVE:
        return decode_native(body, len, lim, ctx, r);
    case EVENT_FORMAT_ALERTMANAGER:
        return decode_alertmanager(body, len, lim, ctx, r);
    case EVENT_FORMAT_PAGERDUTY:
        return decode_pagerduty(body, len, lim, ctx, r);
    case EVENT_FORMAT_ZABBIX:
        return decode_zabbix(body, len, lim, ctx, r);
    }
    decode_reject(r, -1, "format", "unknown format %d", (int)format);
    return -1;
}

static size_t detect_ws(const char *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
        i++;
    }
    return i;
}

/* i is at an opening quote; returns the index of the closing one, or len
 * when there is none. */
static size_t detect_string_close(const char *b, size_t len, size_t i)
{
    for (i++; i < len && b[i] != '"'; i++) {
        if (b[i] == '\\') {
            i++;
        }
    }
    return i < len ? i : len;
}

/* Skips one JSON value starting at i, without validating it. */
static size_t detect_skip_value(const char *b, size_t len, size_t i)
{
    i = detect_ws(b, len, i);
    if (i >= len) {
        return len;
    }
    if (b[i] == '"') {
        i = detect_string_close(b, len, i);
        return i < len ? i + 1 : len;
    }
    if (b[i] == '{' || b[i] == '[') {
        size_t depth = 0;
        while (i < len) {
            char c = b[i];
            if (c == '"') {
                i = detect_string_close(b, len, i) + 1;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            i++;
        }
        return len;
    }
    while (i < len && b[i] != ',' && b[i] != '}' && b[i] != ']') {
        i++;
    }
    return i;
}

#define DETECT_ROUTING_KEY  0x01
#define DETECT_EVENT_ACTION 0x02
#define DETECT_VERSION      0x04
#define DETECT_ALERTS       0x08
#define DETECT_ZABBIX       0x10

event_format_t decode_detect(const char *body, size_t len)
{
    static const struct {
        const char *key;
        unsigned bit;
    } keys[] = {
        {"routing_key", DETECT_ROUTING_KEY},
        {"event_action", DETECT_EVENT_ACTION},
        {"version", DETECT_VERSION},
        {"alerts", DETECT_ALERTS},
        {"alertdesk_media_type", DETECT_ZABBIX},
    };
    unsigned seen = 0;

    if (!body) {
        return EVENT_FORMAT_NATIVE;
    }
    size_t i = detect_ws(body, len, 0);
    if (i >= len || body[i] != '{') {
        return EVENT_FORMAT_NATIVE;
    }
    i++;
    while ((i = detect_ws(body, len, i)) < len) {
        if (body[i] == ',') {
            i++;
            continue;
        }
        if (body[i] != '"') {
            break; /* '}' or not JSON: decide on what was seen */
        }
        size_t start = i + 1;
        i = detect_string_close(body, len, i);
        if (i >= len) {
            break; /* an unterminated key is no key */
        }
        size_t klen = i - start;
        i++;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (strlen(keys[k].key) == klen && memcmp(keys[k].key, body + start, klen) == 0) {
                seen |= keys[k].bit;
            }
        }
        i = detect_ws(body, len, i);
        if (i >= len || body[i] != ':') {
            break;
        }
        i = detect_skip_value(body, len, i + 1);
    }
    if ((seen & (DETECT_ROUTING_KEY | DETECT_EVENT_ACTION)) ==
        (DETECT_ROUTING_KEY | DETECT_EVENT_ACTION)) {
        return EVENT_FORMAT_PAGERDUTY;
    }
    if ((seen & (DETECT_VERSION | DETECT_ALERTS)) == (DETECT_VERSION | DETECT_ALERTS)) {
        return EVENT_FORMAT_ALERTMANAGER;
    }
    if (seen & DETECT_ZABBIX) {
        return EVENT_FORMAT_ZABBIX;
    }
    return EVENT_FORMAT_NATIVE;
}
