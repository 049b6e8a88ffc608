/*
 * notifier_ack - acknowledge from the page: GET and POST /ack/<token>.
 *
 * The token (notify_token.c) is an HMAC-signed (notification, ticket,
 * expiry). GET only shows a small confirmation page with a form, because
 * chat apps and mail scanners prefetch links; POST acknowledges. Expired,
 * forged or malformed tokens are refused; a token is single use (ack_uses).
 * Acknowledging goes through ticketer_ticket.h, the same path the API takes,
 * so the ticket's audit trail records the paged user as the actor and the
 * tickets stream carries the change (the notifier's worker then stops the
 * escalation when it sees it).
 *
 * Runs on the HTTP threads; each keeps its own PostgreSQL connection.
 */
#ifndef ALERTDESK_NOTIFIER_ACK_H
#define ALERTDESK_NOTIFIER_ACK_H

#include "http_server.h"
#include "settings.h"
#include "ticket_routing.h"

typedef struct notifier_ack notifier_ack_t;

/* routing(arg): the ticketer's routing (SLA calendars for the clocks).
 * Caller owns the result; free with notifier_ack_destroy() after the HTTP
 * server stopped. */
notifier_ack_t *notifier_ack_new(const settings_t *s, const ticket_routing_t *routing);
void notifier_ack_destroy(notifier_ack_t **ap);
/* The two routes (GET and POST /ack/...) to hand to http_server_start. */
const http_route_t *notifier_ack_routes(notifier_ack_t *a, size_t *n);

#endif
