/*
 * ingest_kafka - the Kafka intake of alertdesk-ingest: one consumer-group
 * member (librdkafka high-level consumer) on its own thread.
 *
 * It consumes s->kafka_topics as group s->kafka_group, decodes every message
 * with the topic's format (decode_detect() for format: auto) and hands each
 * polled batch to the group committer as ONE intake request. Offsets are
 * committed to Kafka only after that request is committed to PostgreSQL, so
 * nothing is lost; what was stored but not yet committed when the process
 * dies or a partition moves is consumed again. Kafka intake is therefore
 * at-least-once into `events`: the correlator dedups by fingerprint and
 * alert state, and this file does not try to be clever about it.
 *
 * A message that cannot be decoded, or whose events are all rejected, is a
 * poison message: it is stored in dead_letters (origin
 * "topic/partition/offset", the decoder's reason, the raw bytes) in the same
 * transaction as the batch's events, and its offset is committed, so it never
 * blocks its partition. A message with some rejected events stores the good
 * ones and a dead letter naming the rejected ones.
 *
 * While the database is unavailable the intake pauses its partitions and
 * retries the same batch with back-off; it never drops and never reads
 * further. ingest.keep_raw does not apply (one request spans many messages).
 */
#ifndef ALERTDESK_INGEST_KAFKA_H
#define ALERTDESK_INGEST_KAFKA_H

#include <stdbool.h>

#include "decode.h"
#include "intake.h"
#include "settings.h"

typedef struct ingest_kafka ingest_kafka_t;

/* Starts the consumer thread. Returns NULL when s->kafka_brokers is ""
 * (Kafka intake disabled, logged at info) or on a configuration error
 * (logged with log_error). *ctx is copied (received_at_us is set per
 * message); s, q and what ctx points to are borrowed and must outlive the
 * intake. Caller owns the result; free with ingest_kafka_stop(). */
ingest_kafka_t *ingest_kafka_start(const settings_t *s, intake_queue_t *q,
                                   const decode_context_t *ctx);

/* Drains and frees: finishes the batch in flight (when the queue still takes
 * it), commits the offsets of what was stored, leaves the group and closes
 * the consumer. Accepts NULL and *kp == NULL; sets *kp to NULL. */
void ingest_kafka_stop(ingest_kafka_t **kp);

/* True while the consumer thread runs, librdkafka reports no fatal error and
 * at least one broker is reachable. Thread-safe. */
bool ingest_kafka_healthy(const ingest_kafka_t *k);

#endif
