/*
 * ticketer_api - the ticketer's JSON API (/api/v1/...) on the shared HTTP
 * server: tickets (list, show with timeline, ack, assign, comment, state
 * changes, bulk), incidents, silences, reports. Bearer tokens with roles
 * (viewer < agent < operator < admin, settings_role_allows); every write
 * records the token's name as the actor. Writes go through
 * ticketer_ticket.h (the same state machine, SLA and audit trail as the
 * worker) and hand committed changes to the outbox the worker publishes.
 *
 * Each HTTP thread keeps its own PostgreSQL connection (opened on first use,
 * reopened after a failure). Errors are JSON: {"error": "...", "field": ...}
 * with a message a person can act on.
 */
#ifndef ALERTDESK_TICKETER_API_H
#define ALERTDESK_TICKETER_API_H

#include <stddef.h>

#include "http_server.h"
#include "settings.h"
#include "ticket_routing.h"
#include "ticketer_log.h"

typedef struct ticketer_api ticketer_api_t;

/* What the API borrows from the daemon; all outlive the API. */
typedef struct {
    const settings_t *settings;
    /* The routing in force (swapped on reload; old ones stay valid to exit). */
    const ticket_routing_t *(*routing)(void *arg);
    void *routing_arg;
    ticketer_outbox_t *outbox;
} ticketer_api_config_t;

/* Caller owns the result; free with ticketer_api_destroy() after the HTTP
 * server has stopped. */
ticketer_api_t *ticketer_api_new(const ticketer_api_config_t *cfg);
void ticketer_api_destroy(ticketer_api_t **ap);
/* The routes to hand to http_server_start(); borrowed from api. */
const http_route_t *ticketer_api_routes(const ticketer_api_t *api, size_t *n);

#endif
