/*
 * ingest_kafka_batch - decode polled Kafka messages and turn a batch of them
 * into one intake request and a list of offsets. See ingest_kafka_batch.h.
 *
 * A message becomes a dead letter when the decoder refuses its body, when
 * every event in it is rejected, and also when only some are (the good ones
 * are stored as events, and the dead letter names the rejected indexes), so
 * that nothing a sender put on a topic disappears without a row saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "event.h"
#include "xalloc.h"

#include "ingest_kafka_batch.h"
#include "intake.h"

/* The format configured for topic, or -1 for auto (also for a topic not in
 * the list, e.g. matched by a "^regex" subscription). */
static int ingest_kafka_batch_topic_format(const settings_t *s, const char *topic)
{
    for (size_t i = 0; i < s->nkafka_topics; i++) {
        const settings_kafka_topic_t *t = &s->kafka_topics[i];
        if (strcmp(t->name, topic) == 0) {
            return t->auto_format ? -1 : (int)t->format;
        }
    }
    return -1;
}

/* The rejects of r as one reason: "[3] labels.site: longer than 256 bytes;
 * [5] ...", or "body: not valid JSON ..." for a whole-body refusal; capped
 * at INGEST_KAFKA_BATCH_REASON_MAX with "(+N more)". Caller owns the result. */
static char *ingest_kafka_batch_reasons(const decode_result_t *r)
{
    char buf[INGEST_KAFKA_BATCH_REASON_MAX];
    size_t off = 0, shown = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nrejects; i++) {
        const decode_reject_t *rj = &r->rejects[i];
        char one[384];
        if (rj->index >= 0) {
            snprintf(one, sizeof one, "%s[%d] %s: %s", i ? "; " : "", rj->index, rj->field,
                     rj->error);
        } else {
            snprintf(one, sizeof one, "%s%s: %s", i ? "; " : "", rj->field, rj->error);
        }
        if (off + strlen(one) + 24 >= sizeof buf) {
            break; /* room left for the "(+N more)" tail */
        }
        off += (size_t)snprintf(buf + off, sizeof buf - off, "%s", one);
        shown++;
    }
    if (shown < r->nrejects) {
        snprintf(buf + off, sizeof buf - off, "; (+%zu more)", r->nrejects - shown);
    }
    if (buf[0] == '\0') {
        snprintf(buf, sizeof buf, "body: refused");
    }
    return xstrdup(buf);
}

void ingest_kafka_batch_decode(ingest_kafka_msg_t *m, const settings_t *s,
                               const decode_context_t *ctx)
{
    const rd_kafka_message_t *rkm = m->rkm;
    const char *body = rkm->payload;
    size_t len = rkm->len;

    m->nrejected = 0;
    if (!body || len == 0) {
        m->format = EVENT_FORMAT_NATIVE;
        m->dead_reason = xstrdup("body: empty message");
        m->body_refused = true;
        return;
    }
    int f = ingest_kafka_batch_topic_format(s, rd_kafka_topic_name(rkm->rkt));
    m->format = f < 0 ? decode_detect(body, len) : (event_format_t)f;

    decode_context_t c = *ctx;
    c.received_at_us = m->received_at_us;
    decode_result_t r;
    decode_result_init(&r);
    int rc = decode_any(m->format, body, len, &s->limits, &c, &r);
    m->events = decode_result_take_events(&r, &m->nevents);
    m->body_refused = rc != 0;
    m->nrejected = rc == 0 ? r.nrejects : 0;
    if (rc != 0 || r.nrejects > 0) {
        m->dead_reason = ingest_kafka_batch_reasons(&r);
    }
    decode_result_clear(&r);
}

void ingest_kafka_batch_msg_clear(ingest_kafka_msg_t *m)
{
    for (size_t i = 0; i < m->nevents; i++) {
        event_destroy(&m->events[i]);
    }
    free(m->events);
    free(m->dead_reason);
    if (m->rkm) {
        rd_kafka_message_destroy(m->rkm);
    }
    memset(m, 0, sizeof *m);
}

void ingest_kafka_batch_push(ingest_kafka_batch_t *b, ingest_kafka_msg_t *m)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->msgs = xrealloc(b->msgs, b->cap * sizeof *b->msgs);
    }
    b->nevents += m->nevents;
    b->msgs[b->n++] = *m;
    memset(m, 0, sizeof *m);
}

void ingest_kafka_batch_clear(ingest_kafka_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        ingest_kafka_batch_msg_clear(&b->msgs[i]);
    }
    b->n = 0;
    b->nevents = 0;
}

void ingest_kafka_batch_free(ingest_kafka_batch_t *b)
{
    ingest_kafka_batch_clear(b);
    free(b->msgs);
    memset(b, 0, sizeof *b);
}

const char *ingest_kafka_batch_origin(const rd_kafka_message_t *rkm, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%d/%lld", rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
             (long long)rkm->offset);
    return buf;
}

intake_req_t *ingest_kafka_batch_request(ingest_kafka_msg_t *msgs, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += msgs[i].nevents;
    }
    event_t **events = xmalloc((total ? total : 1) * sizeof *events);
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < msgs[i].nevents; j++) {
            events[e++] = msgs[i].events[j];
        }
        free(msgs[i].events);
        msgs[i].events = NULL;
        msgs[i].nevents = 0;
    }
    /* intake_req_new takes the array and every event in it; events becomes NULL. */
    intake_req_t *req = intake_req_new(INTAKE_KAFKA, &events, total);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *rkm = msgs[i].rkm;
        if (!msgs[i].dead_reason) {
            continue;
        }
        char origin[320];
        const char *reason = msgs[i].dead_reason;
        char *longer = NULL;
        size_t len = rkm->payload ? rkm->len : 0;
        if (len > INGEST_KAFKA_BATCH_DEAD_BODY_MAX) {
            longer = xasprintf("%s (body cut to %d of %zu bytes)", reason,
                               INGEST_KAFKA_BATCH_DEAD_BODY_MAX, len);
            reason = longer;
            len = INGEST_KAFKA_BATCH_DEAD_BODY_MAX;
        }
        /* intake_req_add_dead copies origin, reason and the payload: the
         * message itself stays ours until its offset is committed. */
        intake_req_add_dead(req, ingest_kafka_batch_origin(rkm, origin, sizeof origin), reason,
                            rkm->payload ? rkm->payload : "", len);
        free(longer);
    }
    return req;
}

rd_kafka_topic_partition_list_t *ingest_kafka_batch_offsets(const ingest_kafka_batch_t *b)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < b->n; i++) {
        const rd_kafka_message_t *rkm = b->msgs[i].rkm;
        const char *topic = rd_kafka_topic_name(rkm->rkt);
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_find(offsets, topic, rkm->partition);
        if (!p) {
            p = rd_kafka_topic_partition_list_add(offsets, topic, rkm->partition);
            p->offset = rkm->offset + 1;
        } else if (rkm->offset + 1 > p->offset) {
            p->offset = rkm->offset + 1;
        }
    }
    return offsets;
}
