/*
 * wire - binary event encoding. See wire.h for the layout.
 */
#include <string.h>

#include "wire.h"
#include "xalloc.h"

#define WIRE_MAGIC   'E'
#define WIRE_VERSION 1

void wire_buf_init(wire_buf_t *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void wire_buf_free(wire_buf_t *b)
{
    free(b->data);
    wire_buf_init(b);
}

void wire_buf_reserve(wire_buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra) {
        return;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        cap *= 2;
    }
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void wire_buf_put(wire_buf_t *b, const void *p, size_t n)
{
    wire_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void wire_put_varint(wire_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    wire_buf_put(b, tmp, n);
}

void wire_put_i64(wire_buf_t *b, int64_t v)
{
    uint8_t tmp[8];
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) {
        tmp[i] = (uint8_t)(u >> (8 * i));
    }
    wire_buf_put(b, tmp, 8);
}

void wire_put_opt_str(wire_buf_t *b, const char *s)
{
    if (!s) {
        wire_put_varint(b, 0);
        return;
    }
    size_t n = strlen(s);
    wire_put_varint(b, (uint64_t)n + 1);
    wire_buf_put(b, s, n);
}

void wire_put_str(wire_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    wire_put_varint(b, n);
    wire_buf_put(b, s, n);
}

static void wire_put_map(wire_buf_t *b, const event_label_t *map, uint32_t n)
{
    wire_put_varint(b, n);
    for (uint32_t i = 0; i < n; i++) {
        wire_put_str(b, map[i].key);
        wire_put_str(b, map[i].value);
    }
}

void wire_encode(const event_t *ev, wire_buf_t *b)
{
    uint8_t head[5] = {WIRE_MAGIC, WIRE_VERSION, (uint8_t)ev->format, (uint8_t)ev->severity,
                       (uint8_t)ev->status};
    wire_buf_put(b, head, sizeof head);
    wire_put_i64(b, ev->occurred_at_us);
    wire_put_i64(b, ev->received_at_us);
    wire_put_i64(b, ev->seq);
    wire_buf_put(b, ev->fingerprint, EVENT_FINGERPRINT_HEX);
    wire_put_opt_str(b, ev->source);
    wire_put_opt_str(b, ev->resource);
    wire_put_opt_str(b, ev->check);
    wire_put_opt_str(b, ev->summary);
    wire_put_opt_str(b, ev->description);
    wire_put_opt_str(b, ev->dedup_key);
    wire_put_map(b, ev->labels, ev->nlabels);
    wire_put_map(b, ev->annotations, ev->nannotations);
}

int wire_get_varint(wire_reader_t *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->len) {
            return -1;
        }
        uint8_t byte = r->p[r->pos++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int wire_get_i64(wire_reader_t *r, int64_t *out)
{
    if (r->len - r->pos < 8) {
        return -1;
    }
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    }
    r->pos += 8;
    *out = (int64_t)u;
    return 0;
}

/* Reads n bytes as a string into the event's arena. Embedded NULs are refused:
 * every string in an event is a C string. */
static int wire_get_bytes(wire_reader_t *r, event_t *ev, uint64_t n, const char **out)
{
    if (n > r->len - r->pos || memchr(r->p + r->pos, '\0', (size_t)n)) {
        return -1;
    }
    *out = event_strndup(ev, (const char *)r->p + r->pos, (size_t)n);
    r->pos += (size_t)n;
    return 0;
}

static int wire_get_opt_str(wire_reader_t *r, event_t *ev, const char **out)
{
    uint64_t n;
    if (wire_get_varint(r, &n) < 0) {
        return -1;
    }
    if (n == 0) {
        *out = NULL;
        return 0;
    }
    return wire_get_bytes(r, ev, n - 1, out);
}

static int wire_get_map(wire_reader_t *r, event_t *ev, int annotations)
{
    uint64_t n;
    if (wire_get_varint(r, &n) < 0 || n > (r->len - r->pos) / 2) {
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t kn, vn;
        const char *k, *v;
        if (wire_get_varint(r, &kn) < 0 || wire_get_bytes(r, ev, kn, &k) < 0 ||
            wire_get_varint(r, &vn) < 0 || wire_get_bytes(r, ev, vn, &v) < 0) {
            return -1;
        }
        if (annotations) {
            event_annotation_set(ev, k, v);
        } else {
            event_label_set(ev, k, v);
        }
    }
    return 0;
}

int wire_decode(const uint8_t *p, size_t len, event_t **out, size_t *used)
{
    *out = NULL;
    wire_reader_t r = {p, len, 0};
    if (len < 5 + 24 + EVENT_FINGERPRINT_HEX || p[0] != WIRE_MAGIC || p[1] != WIRE_VERSION) {
        return -1;
    }
    if (p[2] < EVENT_FORMAT_NATIVE || p[2] > EVENT_FORMAT_ZABBIX ||
        p[3] > EVENT_SEVERITY_CRITICAL || p[4] > EVENT_STATUS_ACKNOWLEDGED) {
        return -1;
    }
    event_t *ev = event_new((event_format_t)p[2]);
    ev->severity = (event_severity_t)p[3];
    ev->status = (event_status_t)p[4];
    r.pos = 5;
    if (wire_get_i64(&r, &ev->occurred_at_us) < 0 || wire_get_i64(&r, &ev->received_at_us) < 0 ||
        wire_get_i64(&r, &ev->seq) < 0) {
        goto fail;
    }
    memcpy(ev->fingerprint, p + r.pos, EVENT_FINGERPRINT_HEX);
    ev->fingerprint[EVENT_FINGERPRINT_HEX] = '\0';
    r.pos += EVENT_FINGERPRINT_HEX;
    if (wire_get_opt_str(&r, ev, &ev->source) < 0 || wire_get_opt_str(&r, ev, &ev->resource) < 0 ||
        wire_get_opt_str(&r, ev, &ev->check) < 0 || wire_get_opt_str(&r, ev, &ev->summary) < 0 ||
        wire_get_opt_str(&r, ev, &ev->description) < 0 ||
        wire_get_opt_str(&r, ev, &ev->dedup_key) < 0 || wire_get_map(&r, ev, 0) < 0 ||
        wire_get_map(&r, ev, 1) < 0) {
        goto fail;
    }
    *out = ev;
    *used = r.pos;
    return 0;
fail:
    event_destroy(&ev);
    return -1;
}
