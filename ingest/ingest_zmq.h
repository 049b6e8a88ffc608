/*
 * ingest_zmq - the ZeroMQ intake: a ROUTER socket for native clients
 * (`alertdesk send`, scripts with any ZeroMQ binding).
 *
 * A client (DEALER, or REQ) sends one frame holding one native event or an
 * array, and receives one frame after the commit:
 *     {"accepted":N,"rejected":[{"index":i,"field":"...","error":"..."}]}
 * or, when nothing could be stored for now,
 *     {"accepted":0,"rejected":[],"error":"...","retry":true}
 * When the queue is full the intake stops reading the socket until there
 * is room (ZeroMQ's high-water mark then pushes back on the clients):
 * nothing is dropped.
 */
#ifndef ALERTDESK_INGEST_ZMQ_H
#define ALERTDESK_INGEST_ZMQ_H

#include "ingest.h"

typedef struct ingest_zmq ingest_zmq_t;

/* Binds s->ingest_zmq_listen and starts the intake thread. Returns NULL
 * (logged) when it cannot bind. Free with ingest_zmq_stop(). */
ingest_zmq_t *ingest_zmq_start(ingest_t *in, void *zctx);
/* Stops reading, waits for the answers of requests in flight, frees. */
void ingest_zmq_stop(ingest_zmq_t **zp);

#endif
