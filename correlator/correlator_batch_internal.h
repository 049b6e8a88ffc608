/*
 * correlator_batch_internal - the inside of a correlator batch: the touched
 * key sets (alerts, incidents, members), the offsets, the pending records
 * and the COPY buffers, and the few helpers both halves use.
 *
 * Shared by correlator_batch.c (collecting changes) and correlator_store.c
 * (writing them) only; everything else goes through correlator_store.h.
 * Not here: any SQL, any function that talks to PostgreSQL.
 */
#ifndef ALERTDESK_CORRELATOR_BATCH_INTERNAL_H
#define ALERTDESK_CORRELATOR_BATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "stream.h"
#include "wire.h"

#include "correlator_store.h"

/* What a change said last about an alert or incident, for those the engine
 * forgot before the commit read its state, and what has to be written of
 * the ones it still holds. */
typedef struct {
    char *key; /* alerts: "domain\x1f" "fingerprint"; members: "id\x1f" "fingerprint";
                  incidents: NULL */
    int64_t id;
    corr_change_kind_t last_kind;
    int64_t at_us, into;
    bool seen; /* found in the engine at commit */
    /* alerts: a change other than repeats (ALERT_COUNTS) touched it, so the
     * whole row is written; otherwise only what a repeat moves */
    bool full;
    /* incidents: merged within the batch (every member inactive), and how
     * many of its members a change named (the only member rows written) */
    bool merged;
    size_t ndirty;
    /* incidents: what the changes said, to write one the engine forgot
     * within the batch (merged into another and collected at once) */
    char *domain, *rule, *group_key, *cause_fp, *cause_resource;
    event_severity_t severity;
    int64_t opened_at_us;
} correlator_touch_t;

typedef struct {
    correlator_touch_t *v;
    size_t cap, n;
} correlator_set_t;

typedef struct {
    char name[STREAM_NAME_MAX + 1];
    int64_t seq;
} correlator_offset_t;

typedef struct {
    int64_t seq;
    size_t off, len;
} correlator_pending_t;

struct correlator_batch {
    char stream[STREAM_NAME_MAX + 1];
    int64_t head;
    size_t nevents;
    correlator_set_t alerts, incidents, members;
    correlator_offset_t *offsets;
    size_t noffsets, offsets_cap;
    db_copy_t changes, decisions, stage_alerts, stage_counts, stage_incidents, stage_members;
    db_copy_t stage_notes; /* annotations of opening events, built as they come */
    size_t ndecisions;
    wire_buf_t payloads;
    correlator_pending_t *pending;
    size_t npending, pending_cap;
};

/* Finds the entry for key (alerts, members) or id (incidents), or NULL. The
 * result is owned by the set. (correlator_batch.c) */
correlator_touch_t *correlator_set_find(const correlator_set_t *s, const char *key, int64_t id);
/* The set keys of an alert and of an incident's member, written into buf.
 * (correlator_batch.c) */
void correlator_alert_key(char *buf, size_t len, const char *domain, const char *fp);
void correlator_member_key(char *buf, size_t len, int64_t incident_id, const char *fp);
/* Appends a binary COPY boolean. (correlator_store.c) */
void correlator_copy_bool(db_copy_t *c, bool v);

#endif
