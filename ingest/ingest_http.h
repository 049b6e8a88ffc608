/*
 * ingest_http - the HTTP intake: alert endpoints on libmicrohttpd.
 *
 *   POST /api/v1/events        native format, one object or an array
 *   POST /api/v1/alertmanager  Alertmanager webhook (version 4)
 *   POST /api/v1/zabbix        our Zabbix media type
 *   POST /v2/enqueue           PagerDuty Events API v2, answered as PagerDuty does
 *   GET  /healthz, /metrics    (http_server.c)
 *
 * Answers 202 only after the events are committed; 400 names the field and
 * rule; 401 without a valid bearer token (PagerDuty: unknown routing_key);
 * 429 with Retry-After when the queue is full; 503 with Retry-After while
 * the database is down.
 */
#ifndef ALERTDESK_INGEST_HTTP_H
#define ALERTDESK_INGEST_HTTP_H

#include "http_server.h"
#include "ingest.h"

/* Starts the HTTP intake. Returns NULL (logged) when it cannot listen.
 * Free with http_server_stop(). health is the daemon's /healthz callback. */
http_server_t *ingest_http_start(ingest_t *in, bool (*health)(void *arg, char *why, size_t whylen),
                                 void *health_arg);

#endif
