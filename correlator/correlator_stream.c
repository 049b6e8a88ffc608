/*
 * correlator_stream - records of the incidents stream: encoding, decoding and
 * reading gaps back from incident_changes. See correlator_stream.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "xalloc.h"

#include "correlator_stream.h"
#include "db.h"

#define CORRELATOR_RECORD_MAGIC   'C'
#define CORRELATOR_RECORD_VERSION 1
#define CORRELATOR_RECORD_NSTR    8
#define CORRELATOR_FETCH_BATCH    5000

bool correlator_record_wanted(corr_change_kind_t kind)
{
    return kind >= CORR_CHANGE_INCIDENT_OPENED && kind <= CORR_CHANGE_INCIDENT_MERGED;
}

corr_change_kind_t correlator_kind_parse(const char *name)
{
    for (int k = CORR_CHANGE_ALERT_OPENED; k <= CORR_CHANGE_INCIDENT_MERGED; k++) {
        if (strcmp(corr_change_kind_name((corr_change_kind_t)k), name) == 0) {
            return (corr_change_kind_t)k;
        }
    }
    return (corr_change_kind_t)0;
}

void correlator_record_from_change(const corr_change_t *ch, correlator_record_t *out)
{
    out->kind = ch->kind;
    out->incident_id = ch->incident_id;
    out->into_incident_id = ch->into_incident_id;
    out->at_us = ch->at_us;
    out->severity = ch->severity;
    out->symptom = ch->symptom;
    out->domain = ch->domain;
    out->fingerprint = ch->fingerprint;
    out->resource = ch->resource;
    out->rule = ch->rule;
    out->group_key = ch->group_key;
    out->cause_fingerprint = ch->cause_fingerprint;
    out->parent = ch->parent;
    out->reason = ch->reason;
}

/* ---- encoding ---- */

static void correlator_put_i64(wire_buf_t *b, int64_t v)
{
    uint8_t x[8];
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) {
        x[i] = (uint8_t)(u >> (8 * i));
    }
    wire_buf_put(b, x, 8);
}

static void correlator_put_str(wire_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    uint8_t v[10];
    size_t k = 0;
    uint64_t u = n;
    do {
        v[k] = (uint8_t)(u & 0x7f);
        u >>= 7;
        if (u) {
            v[k] |= 0x80;
        }
        k++;
    } while (u);
    wire_buf_put(b, v, k);
    wire_buf_put(b, s, n);
}

void correlator_record_encode(const correlator_record_t *r, wire_buf_t *b)
{
    uint8_t head[5] = {CORRELATOR_RECORD_MAGIC, CORRELATOR_RECORD_VERSION, (uint8_t)r->kind,
                       (uint8_t)(r->symptom ? 1 : 0), (uint8_t)r->severity};
    wire_buf_put(b, head, sizeof head);
    correlator_put_i64(b, r->incident_id);
    correlator_put_i64(b, r->into_incident_id);
    correlator_put_i64(b, r->at_us);
    const char *strs[CORRELATOR_RECORD_NSTR] = {r->domain, r->fingerprint, r->resource,
                                                r->rule,   r->group_key,   r->cause_fingerprint,
                                                r->parent, r->reason};
    for (int i = 0; i < CORRELATOR_RECORD_NSTR; i++) {
        correlator_put_str(b, strs[i] ? strs[i] : "");
    }
}

/* ---- decoding ---- */

static int64_t correlator_get_i64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u |= (uint64_t)p[i] << (8 * i);
    }
    return (int64_t)u;
}

static int correlator_get_len(const uint8_t *p, size_t len, size_t *pos, size_t *out)
{
    uint64_t u = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*pos >= len) {
            return -1;
        }
        uint8_t c = p[(*pos)++];
        u |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (u > len - *pos) {
                return -1;
            }
            *out = (size_t)u;
            return 0;
        }
    }
    return -1;
}

int correlator_record_decode(const uint8_t *p, size_t len, correlator_record_t *out, char **strings)
{
    *strings = NULL;
    if (len < 5 + 24 || p[0] != CORRELATOR_RECORD_MAGIC || p[1] != CORRELATOR_RECORD_VERSION ||
        !correlator_record_wanted((corr_change_kind_t)p[2]) || p[3] > 1 ||
        p[4] > EVENT_SEVERITY_CRITICAL) {
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->kind = (corr_change_kind_t)p[2];
    out->symptom = p[3] != 0;
    out->severity = (event_severity_t)p[4];
    out->incident_id = correlator_get_i64(p + 5);
    out->into_incident_id = correlator_get_i64(p + 13);
    out->at_us = correlator_get_i64(p + 21);
    size_t pos = 29, off[CORRELATOR_RECORD_NSTR], lens[CORRELATOR_RECORD_NSTR], total = 0;
    for (int i = 0; i < CORRELATOR_RECORD_NSTR; i++) {
        if (correlator_get_len(p, len, &pos, &lens[i]) < 0) {
            return -1;
        }
        off[i] = pos;
        pos += lens[i];
        total += lens[i] + 1;
    }
    if (pos != len) {
        return -1;
    }
    char *buf = xmalloc(total), *w = buf;
    const char **dst[CORRELATOR_RECORD_NSTR] = {
        &out->domain,    &out->fingerprint,       &out->resource, &out->rule,
        &out->group_key, &out->cause_fingerprint, &out->parent,   &out->reason};
    for (int i = 0; i < CORRELATOR_RECORD_NSTR; i++) {
        memcpy(w, p + off[i], lens[i]);
        w[lens[i]] = '\0';
        *dst[i] = w;
        w += lens[i] + 1;
    }
    *strings = buf;
    return 0;
}

/* ---- reading gaps back ---- */

/* One incident_changes row (text result) as an encoded record. */
static int64_t correlator_stream_row(void *arg, const PGresult *res, int i, wire_buf_t *buf)
{
    (void)arg;
    correlator_record_t r = {
        .kind = correlator_kind_parse(PQgetvalue(res, i, 1)),
        .incident_id = strtoll(PQgetvalue(res, i, 2), NULL, 10),
        .into_incident_id = strtoll(PQgetvalue(res, i, 3), NULL, 10),
        .at_us = strtoll(PQgetvalue(res, i, 4), NULL, 10),
        .severity = (event_severity_t)atoi(PQgetvalue(res, i, 5)),
        .symptom = PQgetvalue(res, i, 6)[0] == 't',
        .domain = PQgetvalue(res, i, 7),
        .fingerprint = PQgetvalue(res, i, 8),
        .resource = PQgetvalue(res, i, 9),
        .rule = PQgetvalue(res, i, 10),
        .group_key = PQgetvalue(res, i, 11),
        .cause_fingerprint = PQgetvalue(res, i, 12),
        .parent = PQgetvalue(res, i, 13),
        .reason = PQgetvalue(res, i, 14),
    };
    correlator_record_encode(&r, buf);
    return strtoll(PQgetvalue(res, i, 0), NULL, 10);
}

int64_t correlator_stream_fetch(void *arg, const char *stream, int64_t after_seq, int64_t upto_seq,
                                stream_apply_fn apply, void *apply_arg)
{
    return db_fetch_range(arg, "incident_changes",
                          "SELECT seq, kind, incident_id, into_incident_id, "
                          "(extract(epoch FROM at) * 1000000)::bigint, severity, symptom, domain, "
                          "fingerprint, resource, rule, group_key, cause_fingerprint, parent, "
                          "reason FROM incident_changes WHERE stream = $1 AND seq > $2 AND "
                          "seq <= $3 ORDER BY seq LIMIT $4",
                          0, CORRELATOR_FETCH_BATCH, stream, after_seq, upto_seq,
                          correlator_stream_row, NULL, apply, apply_arg);
}
