/*
 * event_store - binary COPY into `events`, the stream head sequencer, and
 * reading committed rows back for consumers. See event_store.h.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "event_store.h"
#include "log.h"
#include "wire.h"
#include "xalloc.h"

#define EVENT_STORE_PG_EPOCH_OFFSET_US 946684800000000LL
#define EVENT_STORE_FETCH_BATCH        5000

const char EVENT_STORE_COPY_SQL[] =
    "COPY events (stream, seq, received_at, occurred_at, format, source, resource, \"check\", "
    "severity, status, summary, description, dedup_key, fingerprint, labels, annotations, "
    "raw_body) FROM STDIN (FORMAT binary)";

void event_store_copy_row(db_copy_t *c, const char *stream, const event_t *ev, const char *raw_body)
{
    db_copy_row(c, 17);
    db_copy_text(c, stream);
    db_copy_int64(c, ev->seq);
    db_copy_timestamptz(c, ev->received_at_us);
    db_copy_timestamptz(c, ev->occurred_at_us);
    db_copy_int16(c, (int16_t)ev->format);
    db_copy_text(c, ev->source);
    db_copy_text(c, ev->resource);
    db_copy_text(c, ev->check);
    db_copy_int16(c, (int16_t)ev->severity);
    db_copy_int16(c, (int16_t)ev->status);
    db_copy_text(c, ev->summary);
    db_copy_text(c, ev->description);
    db_copy_text(c, ev->dedup_key);
    db_copy_text(c, ev->fingerprint);
    db_copy_hstore(c, ev->labels, ev->nlabels);
    db_copy_hstore(c, ev->annotations, ev->nannotations);
    db_copy_text(c, raw_body);
}

/* ---- binary result decoding ---- */

static int64_t event_store_i64(const PGresult *res, int row, int col)
{
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, row, col);
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u = (u << 8) | p[i];
    }
    return (int64_t)u;
}

static int16_t event_store_i16(const PGresult *res, int row, int col)
{
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, row, col);
    return (int16_t)((p[0] << 8) | p[1]);
}

static const char *event_store_text(event_t *ev, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) {
        return NULL;
    }
    return event_strndup(ev, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

static uint32_t event_store_u32(const uint8_t *p)
{
    uint32_t be;
    memcpy(&be, p, 4);
    return ntohl(be);
}

/* hstore binary: count, then (keylen key vallen val)*. */
static int event_store_hstore(event_t *ev, const PGresult *res, int row, int col, int annotations)
{
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, row, col);
    size_t len = (size_t)PQgetlength(res, row, col), pos = 4;
    if (len < 4) {
        return -1;
    }
    uint32_t n = event_store_u32(p);
    for (uint32_t i = 0; i < n; i++) {
        if (len - pos < 4) {
            return -1;
        }
        uint32_t kl = event_store_u32(p + pos);
        pos += 4;
        if (len - pos < kl) {
            return -1;
        }
        char *k = xstrndup((const char *)p + pos, kl);
        pos += kl;
        if (len - pos < 4) {
            free(k);
            return -1;
        }
        uint32_t vl = event_store_u32(p + pos);
        pos += 4;
        char *v = vl == 0xffffffffu ? xstrdup("") : NULL;
        if (!v) {
            if (len - pos < vl) {
                free(k);
                return -1;
            }
            v = xstrndup((const char *)p + pos, vl);
            pos += vl;
        }
        if (annotations) {
            event_annotation_set(ev, k, v);
        } else {
            event_label_set(ev, k, v);
        }
        free(k);
        free(v);
    }
    return 0;
}

/* One `events` row (binary result) as a wire-encoded event. */
static int64_t event_store_row(void *arg, const PGresult *res, int i, wire_buf_t *buf)
{
    (void)arg;
    event_t *ev = event_new((event_format_t)event_store_i16(res, i, 3));
    ev->seq = event_store_i64(res, i, 0);
    ev->received_at_us = event_store_i64(res, i, 1) + EVENT_STORE_PG_EPOCH_OFFSET_US;
    ev->occurred_at_us = event_store_i64(res, i, 2) + EVENT_STORE_PG_EPOCH_OFFSET_US;
    ev->source = event_store_text(ev, res, i, 4);
    ev->resource = event_store_text(ev, res, i, 5);
    ev->check = event_store_text(ev, res, i, 6);
    ev->severity = (event_severity_t)event_store_i16(res, i, 7);
    ev->status = (event_status_t)event_store_i16(res, i, 8);
    ev->summary = event_store_text(ev, res, i, 9);
    ev->description = event_store_text(ev, res, i, 10);
    ev->dedup_key = event_store_text(ev, res, i, 11);
    snprintf(ev->fingerprint, sizeof ev->fingerprint, "%s", PQgetvalue(res, i, 12));
    int64_t seq = ev->seq;
    if (event_store_hstore(ev, res, i, 13, 0) < 0 || event_store_hstore(ev, res, i, 14, 1) < 0) {
        log_error("msg=\"bad hstore in events row\" seq=%" PRId64, seq);
        seq = -1;
    } else {
        wire_encode(ev, buf);
    }
    event_destroy(&ev);
    return seq;
}

int64_t event_store_fetch(void *arg, const char *stream, int64_t after_seq, int64_t upto_seq,
                          stream_apply_fn apply, void *apply_arg)
{
    return db_fetch_range(
        arg, "events",
        "SELECT seq, received_at, occurred_at, format, source, resource, \"check\", severity, "
        "status, summary, description, dedup_key, fingerprint, labels, annotations "
        "FROM events WHERE stream = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        1, EVENT_STORE_FETCH_BATCH, stream, after_seq, upto_seq, event_store_row, NULL, apply,
        apply_arg);
}

int event_store_streams(PGconn *conn, void (*fn)(void *arg, const char *stream, int64_t last_seq),
                        void *arg)
{
    PGresult *res = NULL;
    if (db_exec(conn, "event_store.streams",
                "SELECT stream, last_seq FROM stream_heads ORDER BY stream", 0, NULL,
                &res) != DB_OK) {
        return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        fn(arg, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10));
    }
    PQclear(res);
    return n;
}
