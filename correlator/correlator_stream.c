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

void correlator_record_encode(const correlator_record_t *r, wire_buf_t *b)
{
    uint8_t head[5] = {CORRELATOR_RECORD_MAGIC, CORRELATOR_RECORD_VERSION, (uint8_t)r->kind,
                       (uint8_t)(r->symptom ? 1 : 0), (uint8_t)r->severity};
    wire_buf_put(b, head, sizeof head);
    wire_put_i64(b, r->incident_id);
    wire_put_i64(b, r->into_incident_id);
    wire_put_i64(b, r->at_us);
    const char *strs[CORRELATOR_RECORD_NSTR] = {r->domain, r->fingerprint, r->resource,
                                                r->rule,   r->group_key,   r->cause_fingerprint,
                                                r->parent, r->reason};
    for (int i = 0; i < CORRELATOR_RECORD_NSTR; i++) {
        wire_put_str(b, strs[i] ? strs[i] : "");
    }
}

/* ---- decoding ---- */

/* correlator_get_len - a varint length that fits in what is left. */
static int correlator_get_len(wire_reader_t *r, size_t *out)
{
    uint64_t u;
    if (wire_get_varint(r, &u) < 0 || u > r->len - r->pos) {
        return -1;
    }
    *out = (size_t)u;
    return 0;
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
    wire_reader_t r = {p, len, 5};
    if (wire_get_i64(&r, &out->incident_id) < 0 || wire_get_i64(&r, &out->into_incident_id) < 0 ||
        wire_get_i64(&r, &out->at_us) < 0) {
        return -1;
    }
    size_t off[CORRELATOR_RECORD_NSTR], lens[CORRELATOR_RECORD_NSTR], total = 0;
    for (int i = 0; i < CORRELATOR_RECORD_NSTR; i++) {
        if (correlator_get_len(&r, &lens[i]) < 0) {
            return -1;
        }
        off[i] = r.pos;
        r.pos += lens[i];
        total += lens[i] + 1;
    }
    if (r.pos != len) {
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
