/*
 * ingest_kafka_batch - the Kafka intake's batch of polled messages: decoding
 * each one, turning a run of them into one intake request (events plus dead
 * letters), and the offsets to commit once that request is stored.
 *
 * Private to ingest_kafka.c. Pure apart from memory: no I/O, no logging, no
 * metrics, no librdkafka calls other than reading and freeing messages.
 */
#ifndef ALERTDESK_INGEST_KAFKA_BATCH_H
#define ALERTDESK_INGEST_KAFKA_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "decode.h"
#include "event.h"
#include "intake.h"
#include "settings.h"

/* Raw bytes kept per dead letter; a longer body is cut and the reason says so. */
#define INGEST_KAFKA_BATCH_DEAD_BODY_MAX 1048576
/* Longest dead letter reason (the rejects of one message, "; "-separated). */
#define INGEST_KAFKA_BATCH_REASON_MAX 1024

/* One polled message and what decoding made of it. */
typedef struct {
    rd_kafka_message_t *rkm; /* owned: freed by ingest_kafka_batch_msg_clear() */
    int64_t received_at_us;
    event_format_t format; /* configured, or detected for format: auto */
    event_t **events;      /* owned until moved into a request */
    size_t nevents;
    char *dead_reason; /* owned; non-NULL: store the message as a dead letter */
    bool body_refused; /* the decoder refused the whole body */
    size_t nrejected;  /* events rejected (when the body was read) */
} ingest_kafka_msg_t;

typedef struct {
    ingest_kafka_msg_t *msgs;
    size_t n, cap;
    size_t nevents; /* decoded events held, for the batch bound */
} ingest_kafka_batch_t;

/* Decodes m->rkm with the topic's format (decode_detect() for format: auto
 * or a topic not in s->kafka_topics), ctx with received_at_us set from
 * m->received_at_us. Fills format, events, dead_reason, body_refused and
 * nrejected; an empty message is refused as "body: empty message". */
void ingest_kafka_batch_decode(ingest_kafka_msg_t *m, const settings_t *s,
                               const decode_context_t *ctx);

/* Frees m's events, reason and message, and zeroes m. */
void ingest_kafka_batch_msg_clear(ingest_kafka_msg_t *m);

/* Takes ownership of *m's contents and zeroes *m. */
void ingest_kafka_batch_push(ingest_kafka_batch_t *b, ingest_kafka_msg_t *m);
/* Frees every message; keeps the array for reuse. */
void ingest_kafka_batch_clear(ingest_kafka_batch_t *b);
/* Frees everything and zeroes b. */
void ingest_kafka_batch_free(ingest_kafka_batch_t *b);

/* One intake request (INTAKE_KAFKA) for msgs[0..n): every event, moved out
 * of the messages (their events become NULL), and a dead letter per message
 * with a reason. Caller owns the result; free with intake_req_destroy(). */
intake_req_t *ingest_kafka_batch_request(ingest_kafka_msg_t *msgs, size_t n);

/* offset + 1 of the last message of each partition in b. Caller owns the
 * result; free with rd_kafka_topic_partition_list_destroy(). */
rd_kafka_topic_partition_list_t *ingest_kafka_batch_offsets(const ingest_kafka_batch_t *b);

/* "topic/partition/offset" of rkm, into buf; returns buf. */
const char *ingest_kafka_batch_origin(const rd_kafka_message_t *rkm, char *buf, size_t len);

#endif
