/*
 * correlator_batch - a batch's in-memory bookkeeping: the emit callback that
 * records each engine change (which alerts, incidents and members it
 * touched, its decision row, its incident_changes row and the payload to
 * publish), the consumer offsets of the events applied, and publishing the
 * committed changes afterwards. See correlator_store.h.
 *
 * Not here: any SQL; staging the touched state and writing it in one
 * transaction (correlator_store.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#include "correlator_batch_internal.h"
#include "correlator_stream.h"

static uint64_t correlator_hash(const char *s, int64_t id)
{
    /* Alerts are keyed by their string only (their id field is a marker). */
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(s ? 0 : id);
    for (; s && *s; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

static correlator_touch_t *correlator_set_get(correlator_set_t *s, const char *key, int64_t id);

static void correlator_set_grow(correlator_set_t *s)
{
    correlator_set_t old = *s;
    s->cap = old.cap ? old.cap * 2 : 256;
    s->v = xcalloc(s->cap, sizeof *s->v);
    s->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.v[i].key || old.v[i].id) {
            correlator_touch_t *t = correlator_set_get(s, old.v[i].key, old.v[i].id);
            char *newkey = t->key;
            *t = old.v[i];
            free(newkey);
        }
    }
    free(old.v);
}

/* Finds or adds the entry for key (alerts) or id (incidents). */
static correlator_touch_t *correlator_set_get(correlator_set_t *s, const char *key, int64_t id)
{
    if ((s->n + 1) * 2 > s->cap) {
        correlator_set_grow(s);
    }
    size_t mask = s->cap - 1, i = (size_t)correlator_hash(key, id) & mask;
    for (;; i = (i + 1) & mask) {
        correlator_touch_t *t = &s->v[i];
        if (!t->key && !t->id) {
            t->key = key ? xstrdup(key) : NULL;
            t->id = key ? 1 : id; /* id != 0 marks the slot used */
            s->n++;
            return t;
        }
        if (key ? (t->key && strcmp(t->key, key) == 0) : (!t->key && t->id == id)) {
            return t;
        }
    }
}

correlator_touch_t *correlator_set_find(const correlator_set_t *s, const char *key, int64_t id)
{
    if (!s->cap) {
        return NULL;
    }
    size_t mask = s->cap - 1, i = (size_t)correlator_hash(key, id) & mask;
    for (;; i = (i + 1) & mask) {
        const correlator_touch_t *t = &s->v[i];
        if (!t->key && !t->id) {
            return NULL;
        }
        if (key ? (t->key && strcmp(t->key, key) == 0) : (!t->key && t->id == id)) {
            return (correlator_touch_t *)t;
        }
    }
}

static void correlator_set_clear(correlator_set_t *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->v[i].key);
        free(s->v[i].domain);
        free(s->v[i].rule);
        free(s->v[i].group_key);
        free(s->v[i].cause_fp);
        free(s->v[i].cause_resource);
    }
    if (s->cap) {
        memset(s->v, 0, s->cap * sizeof *s->v);
    }
    s->n = 0;
}

void correlator_alert_key(char *buf, size_t len, const char *domain, const char *fp)
{
    snprintf(buf, len, "%s\x1f%s", domain, fp);
}

void correlator_member_key(char *buf, size_t len, int64_t incident_id, const char *fp)
{
    snprintf(buf, len, "%" PRId64 "\x1f%s", incident_id, fp);
}

/* Marks the member fp of incident t->id as changed within the batch. */
static void correlator_member_touch(correlator_batch_t *b, correlator_touch_t *t, const char *fp)
{
    char key[512];
    correlator_member_key(key, sizeof key, t->id, fp);
    size_t n = b->members.n;
    correlator_set_get(&b->members, key, 0);
    if (b->members.n != n) {
        t->ndirty++;
    }
}

correlator_batch_t *correlator_batch_new(const char *stream, int64_t head)
{
    correlator_batch_t *b = xcalloc(1, sizeof *b);
    snprintf(b->stream, sizeof b->stream, "%s", stream);
    b->head = head;
    db_copy_init(&b->changes);
    db_copy_init(&b->decisions);
    db_copy_init(&b->stage_alerts);
    db_copy_init(&b->stage_counts);
    db_copy_init(&b->stage_incidents);
    db_copy_init(&b->stage_members);
    db_copy_init(&b->stage_notes);
    db_copy_reset(&b->stage_notes);
    wire_buf_init(&b->payloads);
    return b;
}

void correlator_batch_destroy(correlator_batch_t **bp)
{
    if (!bp || !*bp) {
        return;
    }
    correlator_batch_t *b = *bp;
    correlator_set_clear(&b->alerts);
    correlator_set_clear(&b->incidents);
    correlator_set_clear(&b->members);
    free(b->alerts.v);
    free(b->incidents.v);
    free(b->members.v);
    free(b->offsets);
    db_copy_free(&b->changes);
    db_copy_free(&b->decisions);
    db_copy_free(&b->stage_alerts);
    db_copy_free(&b->stage_counts);
    db_copy_free(&b->stage_incidents);
    db_copy_free(&b->stage_members);
    db_copy_free(&b->stage_notes);
    wire_buf_free(&b->payloads);
    free(b->pending);
    free(b);
    *bp = NULL;
}

size_t correlator_batch_events(const correlator_batch_t *b)
{
    return b->nevents;
}

bool correlator_batch_empty(const correlator_batch_t *b)
{
    return b->nevents == 0 && b->npending == 0 && b->alerts.n == 0 && b->incidents.n == 0 &&
           b->ndecisions == 0;
}

int64_t correlator_batch_head(const correlator_batch_t *b)
{
    return b->head;
}

void correlator_batch_annotations(correlator_batch_t *b, const char *domain,
                                  const char *fingerprint, const event_label_t *annotations,
                                  uint32_t n)
{
    db_copy_row(&b->stage_notes, 4);
    db_copy_int64(&b->stage_notes, (int64_t)b->stage_notes.rows); /* order: the last wins */
    db_copy_text(&b->stage_notes, domain);
    db_copy_text(&b->stage_notes, fingerprint);
    db_copy_hstore(&b->stage_notes, annotations, n);
}

void correlator_batch_offset(correlator_batch_t *b, const char *stream, int64_t seq)
{
    b->nevents++;
    for (size_t i = 0; i < b->noffsets; i++) {
        if (strcmp(b->offsets[i].name, stream) == 0) {
            b->offsets[i].seq = seq;
            return;
        }
    }
    if (b->noffsets == b->offsets_cap) {
        b->offsets_cap = b->offsets_cap ? b->offsets_cap * 2 : 4;
        b->offsets = xrealloc(b->offsets, b->offsets_cap * sizeof *b->offsets);
    }
    correlator_offset_t *o = &b->offsets[b->noffsets++];
    snprintf(o->name, sizeof o->name, "%s", stream);
    o->seq = seq;
}

void correlator_batch_add(void *arg, const corr_change_t *ch)
{
    correlator_batch_t *b = arg;
    if (ch->fingerprint[0]) {
        char key[512];
        correlator_alert_key(key, sizeof key, ch->domain, ch->fingerprint);
        correlator_touch_t *t = correlator_set_get(&b->alerts, key, 0);
        if (ch->kind != CORR_CHANGE_ALERT_COUNTS) {
            t->last_kind = ch->kind;
            t->at_us = ch->at_us;
            t->full = true;
        }
    }
    if (ch->cause_fingerprint[0] && strcmp(ch->cause_fingerprint, ch->fingerprint) != 0) {
        /* A promotion changes the new cause's alert without a change of
         * its own: write that alert too. */
        char key[512];
        correlator_alert_key(key, sizeof key, ch->domain, ch->cause_fingerprint);
        correlator_set_get(&b->alerts, key, 0)->full = true;
    }
    if (ch->incident_id) {
        correlator_touch_t *t = correlator_set_get(&b->incidents, NULL, ch->incident_id);
        t->last_kind = ch->kind;
        t->at_us = ch->at_us;
        t->into = ch->into_incident_id;
        if (!t->domain) {
            t->domain = xstrdup(ch->domain);
            t->rule = xstrdup(ch->rule);
            t->group_key = xstrdup(ch->group_key);
            t->cause_fp = xstrdup(ch->cause_fingerprint);
            t->cause_resource = xstrdup("");
            t->opened_at_us = ch->at_us;
        }
        if (ch->kind == CORR_CHANGE_INCIDENT_OPENED) {
            t->opened_at_us = ch->at_us;
        }
        if (ch->fingerprint[0] && strcmp(ch->fingerprint, ch->cause_fingerprint) == 0) {
            free(t->cause_resource);
            t->cause_resource = xstrdup(ch->resource);
        }
        if (strcmp(t->cause_fp, ch->cause_fingerprint) != 0) {
            free(t->cause_fp);
            t->cause_fp = xstrdup(ch->cause_fingerprint);
        }
        t->severity = ch->severity;
        /* The member rows a change can move: the alert that joined or
         * left, and the cause (a promotion makes a symptom the cause). A
         * merge makes every member of the merged incident inactive at once
         * (written in bulk); nothing else changes a member. */
        if (ch->kind == CORR_CHANGE_INCIDENT_ALERT_JOINED ||
            ch->kind == CORR_CHANGE_INCIDENT_ALERT_CLEARED) {
            correlator_member_touch(b, t, ch->fingerprint);
        }
        if (ch->kind >= CORR_CHANGE_INCIDENT_OPENED && ch->cause_fingerprint[0]) {
            correlator_member_touch(b, t, ch->cause_fingerprint);
        }
        if (ch->kind == CORR_CHANGE_INCIDENT_MERGED) {
            t->merged = true;
        }
    }
    if (ch->into_incident_id) {
        correlator_set_get(&b->incidents, NULL, ch->into_incident_id);
    }
    if (ch->kind == CORR_CHANGE_ALERT_COUNTS) {
        return; /* state only: the alerts row carries it */
    }
    /* Every decision about an alert, for `alertdesk explain`. */
    if (ch->fingerprint[0] || ch->kind == CORR_CHANGE_INCIDENT_MERGED) {
        db_copy_t *c = &b->decisions;
        db_copy_row(c, 13);
        db_copy_text(c, ch->domain);
        db_copy_text(c, ch->fingerprint);
        db_copy_int64(c, ch->incident_id);
        db_copy_int64(c, ch->into_incident_id);
        db_copy_timestamptz(c, ch->at_us);
        db_copy_text(c, corr_change_kind_name(ch->kind));
        db_copy_text(c, ch->rule);
        db_copy_text(c, ch->group_key);
        db_copy_text(c, ch->parent);
        correlator_copy_bool(c, ch->symptom);
        db_copy_int64(c, ch->silence_id);
        db_copy_text(c, ch->window);
        db_copy_text(c, ch->reason);
        b->ndecisions++;
    }
    if (!correlator_record_wanted(ch->kind)) {
        return;
    }
    int64_t seq = b->head + (int64_t)b->npending + 1;
    db_copy_t *c = &b->changes;
    db_copy_row(c, 16);
    db_copy_text(c, b->stream);
    db_copy_int64(c, seq);
    db_copy_text(c, corr_change_kind_name(ch->kind));
    db_copy_int64(c, ch->incident_id);
    db_copy_int64(c, ch->into_incident_id);
    db_copy_timestamptz(c, ch->at_us);
    db_copy_text(c, ch->domain);
    db_copy_text(c, ch->fingerprint);
    db_copy_text(c, ch->resource);
    db_copy_int16(c, (int16_t)ch->severity);
    db_copy_text(c, ch->rule);
    db_copy_text(c, ch->group_key);
    db_copy_text(c, ch->cause_fingerprint);
    correlator_copy_bool(c, ch->symptom);
    db_copy_text(c, ch->parent);
    db_copy_text(c, ch->reason);
    correlator_record_t r;
    correlator_record_from_change(ch, &r);
    size_t off = b->payloads.len;
    correlator_record_encode(&r, &b->payloads);
    if (b->npending == b->pending_cap) {
        b->pending_cap = b->pending_cap ? b->pending_cap * 2 : 64;
        b->pending = xrealloc(b->pending, b->pending_cap * sizeof *b->pending);
    }
    b->pending[b->npending++] = (correlator_pending_t){seq, off, b->payloads.len - off};
}

size_t correlator_batch_publish(correlator_batch_t *b, stream_pub_t *pub)
{
    size_t n = b->npending;
    for (size_t i = 0; pub && i < n; i++) {
        const correlator_pending_t *p = &b->pending[i];
        stream_pub_send(pub, p->seq, b->payloads.data + p->off, p->len);
    }
    b->npending = 0;
    b->payloads.len = 0;
    b->nevents = 0;
    b->noffsets = 0;
    b->ndecisions = 0;
    db_copy_reset(&b->changes);
    db_copy_reset(&b->decisions);
    db_copy_reset(&b->stage_notes);
    correlator_set_clear(&b->alerts);
    correlator_set_clear(&b->incidents);
    correlator_set_clear(&b->members);
    return n;
}
