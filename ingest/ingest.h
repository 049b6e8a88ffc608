/*
 * ingest - what the intakes of alertdesk-ingest share: the settings, the
 * queue to the committer, the PagerDuty integrations and the metrics.
 *
 * Owned by ingest.c; the intakes (ingest_http.c, ingest_zmq.c,
 * ingest_kafka.c) only borrow it for the daemon's lifetime.
 */
#ifndef ALERTDESK_INGEST_H
#define ALERTDESK_INGEST_H

#include <stdatomic.h>
#include <stddef.h>

#include "decode.h"
#include "intake.h"
#include "metrics.h"
#include "settings.h"

/* Why a request or an event was not taken, for alertdesk_ingest_rejected_total. */
typedef enum {
    INGEST_REJECT_INVALID = 0, /* an event broke a rule (field named in the answer) */
    INGEST_REJECT_BODY,        /* the whole body was refused (not JSON, too deep, ...) */
    INGEST_REJECT_AUTH,        /* missing, unknown or under-privileged token */
    INGEST_REJECT_OVERLOAD,    /* queue full: 429 */
    INGEST_REJECT_UNAVAILABLE, /* database down or stopping: 503 */
    INGEST_REJECT_FAILED,      /* the database refused the rows: 500 */
    INGEST_REJECT_NREASONS
} ingest_reject_reason_t;

/* What a reload may change (settings marked reloadable: auth.*, integrations):
 * one immutable generation, swapped whole by an atomic pointer store. Old
 * generations are kept until exit, so a request in flight never reads freed
 * memory. */
typedef struct ingest_live {
    const settings_t *s;                /* tokens, auth.required, integrations */
    decode_integration_t *integrations; /* the decoder's view of s->integrations */
    size_t nintegrations;
    struct ingest_live *older; /* previous generation, freed at exit */
} ingest_live_t;

typedef struct ingest {
    const settings_t *s; /* as started: everything that is not reloadable */
    intake_queue_t *q;
    _Atomic(ingest_live_t *) live;
    metric_t *m_received[3][5]; /* requests (Kafka: messages) by [intake][format] */
    metric_t *m_accepted[3][5]; /* events handed to the committer */
    metric_t *m_rejected[3][INGEST_REJECT_NREASONS]; /* events or requests refused */
} ingest_t;

/* Makes the first or a new generation from s and publishes it. */
void ingest_live_set(ingest_t *in, const settings_t *s);
/* Frees every generation (at exit). */
void ingest_live_free(ingest_t *in);

/* Fills a decode context for a request received now. */
void ingest_decode_context(const ingest_t *in, decode_context_t *ctx);

/* {"accepted":N,"rejected":[{"index":i,"field":"...","error":"..."}]}
 * Caller owns the result; free with free(). */
char *ingest_reply_json(size_t accepted, const decode_result_t *r);

/* Counts rejects of a decode result and one received request. */
void ingest_count(const ingest_t *in, intake_kind_t kind, event_format_t format,
                  const decode_result_t *r, size_t accepted);

#endif
