/*
 * correlator_stream - the `incidents` stream: one record per incident change
 * the correlator committed, as a row of incident_changes and as the payload
 * published on ZeroMQ (topic "incidents") under the one rule of delivery.
 *
 * The payload is a small binary layout (no JSON between processes):
 *   'C' version(1) kind(1) symptom(1) severity(1)
 *   incident_id into_incident_id at_us          (3 x int64 LE)
 *   domain fingerprint resource rule group_key cause_fingerprint parent reason
 *                                               (varint length + bytes)
 * correlator_record_decode() checks every length: the input is untrusted.
 *
 * correlator_stream_fetch() is the stream_fetch_fn a consumer (the ticketer)
 * uses to read gaps back from incident_changes.
 */
#ifndef ALERTDESK_CORRELATOR_STREAM_H
#define ALERTDESK_CORRELATOR_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corr_engine.h"
#include "stream.h"
#include "wire.h"

/* One incident change. Strings are never NULL. As a view (from a change or
 * a database row) it borrows them; decoded, they point into the string block
 * correlator_record_decode() hands to the caller. */
typedef struct {
    corr_change_kind_t kind;
    int64_t incident_id;
    int64_t into_incident_id;
    int64_t at_us;
    event_severity_t severity; /* the incident's */
    bool symptom;
    const char *domain;
    const char *fingerprint; /* "" when no alert is concerned */
    const char *resource;
    const char *rule;
    const char *group_key;
    const char *cause_fingerprint;
    const char *parent;
    const char *reason;
} correlator_record_t;

/* True for the change kinds that go on the incidents stream (incident_*). */
bool correlator_record_wanted(corr_change_kind_t kind);

/* A view of an engine change as a record (borrows ch's strings). */
void correlator_record_from_change(const corr_change_t *ch, correlator_record_t *out);

/* Appends the payload of r to b. */
void correlator_record_encode(const correlator_record_t *r, wire_buf_t *b);

/* Decodes a payload. On success returns 0 and fills out with strings copied
 * into *strings (caller owns it; free with free()). -1 on a malformed buffer. */
int correlator_record_decode(const uint8_t *p, size_t len, correlator_record_t *out,
                             char **strings);

/* A stream_fetch_fn over a PGconn passed as arg: reads incident_changes rows
 * in (after_seq, upto_seq] in order and applies each encoded. */
int64_t correlator_stream_fetch(void *conn, const char *stream, int64_t after_seq, int64_t upto_seq,
                                stream_apply_fn apply, void *apply_arg);

/* The kind named by corr_change_kind_name(), or 0 when unknown. */
corr_change_kind_t correlator_kind_parse(const char *name);

#endif
