/*
 * ticketer_incidents - the correlator's `incidents` stream into tickets, and
 * the ticketer's timers (SLA checks, auto-close, coalesced alert notes).
 *
 * Everything here runs inside the caller's transaction and adds its
 * ticket_events rows to the caller's log; the worker commits the batch with
 * its consumer offset, so each incident change takes effect exactly once.
 * Idempotence does not rest on the offset alone: tickets.incident_id is
 * UNIQUE, so a replayed incident_opened finds its ticket and does nothing.
 *
 * What each change does:
 *   incident_opened         a ticket (routing decides queue, priority, SLA,
 *                           or no ticket at all), key PREFIX-N, title and
 *                           description from the cause alert;
 *   incident_alert_joined   counts, and one coalesced system note per
 *   incident_alert_cleared  comment interval (never a comment per alert);
 *   incident_updated        severity, and the priority raised (never
 *                           lowered by the system) when routing says so;
 *   incident_resolved       resolves the ticket when its queue auto-resolves;
 *   incident_reopened       reopens a resolved/closed ticket (comment says why);
 *   incident_merged         the merged ticket is resolved as "merged into K".
 */
#ifndef ALERTDESK_TICKETER_INCIDENTS_H
#define ALERTDESK_TICKETER_INCIDENTS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "correlator_stream.h"
#include "db.h"
#include "ticket_routing.h"
#include "ticketer_log.h"

/* Applies one incident change. */
db_status_t ticketer_incident_apply(PGconn *conn, const correlator_record_t *r,
                                    const ticket_routing_t *routing, ticketer_log_t *log);

/* Runs what is due at now_us: SLA clocks whose status may move, resolved
 * tickets to auto-close, alert notes to write. At most `limit` tickets per
 * kind; *done says how many were handled (call again while it equals the
 * limit). */
db_status_t ticketer_timers_run(PGconn *conn, const ticket_routing_t *routing, int64_t now_us,
                                size_t limit, ticketer_log_t *log, size_t *done);

#endif
