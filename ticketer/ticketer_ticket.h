/*
 * ticketer_ticket - one ticket row and every change to it, shared by the
 * incidents worker (system changes) and the HTTP API (people's changes), so
 * both go through the same state machine, SLA bookkeeping and audit trail.
 *
 * Pattern for a writer, inside one transaction:
 *     ticketer_ticket_lock(conn, id, &t)         SELECT ... FOR UPDATE
 *     (optional) compare t.version with the client's If-Match -> 409
 *     ticketer_ticket_transition / _assign / _comment ...  (mutate t, log changes)
 *     ticketer_ticket_save(conn, &t)             UPDATE, version + 1
 *     ticketer_log_flush(conn, log)              LAST: seqs + ticket_events rows
 *     COMMIT, then ticketer_outbox_push(outbox, log)
 *
 * Every operation that changes the ticket adds its ticket_events row(s) to
 * the log with the ticket as it is after the change. Times are injected
 * (now_us), so the logic is the same for replays and tests.
 */
#ifndef ALERTDESK_TICKETER_TICKET_H
#define ALERTDESK_TICKETER_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "sla_calendar.h"
#include "ticket_routing.h"
#include "ticket_state.h"
#include "ticketer_log.h"

#define TICKET_KEY_MAX  40
#define TICKET_TEXT_MAX 256

/* The mutable part of a ticket, as locked. Fixed buffers: no ownership. */
typedef struct {
    int64_t id;
    char key[TICKET_KEY_MAX];
    int64_t incident_id;
    char queue[TICKET_TEXT_MAX];
    int priority; /* 1..4 */
    int severity; /* event_severity_t */
    ticket_state_t state;
    bool has_pending_reason;
    char pending_reason[TICKET_TEXT_MAX];
    bool has_assignee;
    char assignee[TICKET_TEXT_MAX];
    char incident_state[32];
    int64_t merged_into; /* 0 = none */
    int alert_count, active_alerts;
    int64_t last_seen_us;
    int64_t opened_at_us, acknowledged_at_us, resolved_at_us, closed_at_us; /* 0 = NULL */
    int reopen_count;
    char sla_policy[TICKET_TEXT_MAX];
    char sla_calendar[TICKET_TEXT_MAX];
    int sla_warn_permille;
    int64_t response_target_us, resolution_target_us;
    int64_t update_target_us; /* a person's update at least this often; 0 = none */
    int64_t last_update_us;   /* the last comment, state change or assignment by a person */
    sla_status_t update_status;
    int64_t update_due_us;                                    /* 0 = NULL */
    int64_t sla_paused_business_us, sla_paused_since_us;      /* 0 = not paused */
    sla_status_t response_status, resolution_status;          /* as last recorded */
    int64_t response_due_us, resolution_due_us, sla_check_us; /* 0 = NULL */
    int64_t auto_close_us;                                    /* 0 = NULL */
    int note_joined, note_cleared;
    int64_t note_due_us; /* 0 = NULL */
    int version;
} ticket_t;

/* Locks and reads ticket id (SELECT ... FOR UPDATE). *found false when no
 * such ticket. */
db_status_t ticketer_ticket_lock(PGconn *conn, int64_t id, ticket_t *t, bool *found);
/* The same by key ("NOC-1042") or by incident id. */
db_status_t ticketer_ticket_lock_key(PGconn *conn, const char *key, ticket_t *t, bool *found);
db_status_t ticketer_ticket_lock_incident(PGconn *conn, int64_t incident_id, ticket_t *t,
                                          bool *found);
/* Writes t's mutable columns back and bumps the version (t->version too). */
db_status_t ticketer_ticket_save(PGconn *conn, ticket_t *t);
/* The same without a new version: the system's bookkeeping (SLA statuses,
 * coalesced alert notes) must not make a person's next write a conflict. */
db_status_t ticketer_ticket_save_quiet(PGconn *conn, ticket_t *t);

/* The calendar a ticket's SLA uses (by name in the current routing; NULL =
 * 24x7, also when the calendar was removed from the file since). */
const sla_calendar_t *ticketer_ticket_calendar(const ticket_t *t, const ticket_routing_t *r);

/* Moves t to state `to` (ticket_state_check decides; reason for pending,
 * or the comment that goes with the change). Keeps the SLA clocks
 * (pauses, first response, resolution), auto_close_at, and logs
 * state_changed (and sla_* when a clock's status changes). On refusal
 * returns -1 with the reason in why and changes nothing. system = true
 * lets the system make moves people cannot (new -> resolved when an
 * incident clears, resolved -> closed by auto-close). */
int ticketer_ticket_transition(ticket_t *t, ticket_state_t to, const char *reason,
                               const char *actor, bool system, const ticket_routing_t *r,
                               int64_t now_us, ticketer_log_t *log, char *why, size_t whylen);

/* Sets (assignee non-empty) or clears (NULL or "") the assignee; logs
 * `assigned`. Returns -1 with why when nothing would change. */
int ticketer_ticket_assign(ticket_t *t, const char *assignee, const char *actor, int64_t now_us,
                           ticketer_log_t *log, char *why, size_t whylen);

/* Adds (add true) or removes user from the ticket's watchers, who get mail
 * on every state change (the notifier), and logs `watchers`. Runs its own
 * UPDATE inside the caller's transaction (watchers are not in ticket_t).
 * DB_OK with *changed false and why set when nothing would change. */
db_status_t ticketer_ticket_watch(PGconn *conn, const ticket_t *t, const char *user, bool add,
                                  const char *actor, int64_t now_us, ticketer_log_t *log,
                                  bool *changed, char *why, size_t whylen);

/* Logs a comment (kind "commented"). A person's first comment on a new
 * ticket is not a first response; only acknowledging is. A person's comment
 * restarts the update-interval clock (as state changes and assignments do). */
void ticketer_ticket_comment(ticket_t *t, const char *text, const char *actor, int64_t now_us,
                             ticketer_log_t *log);

/* Re-evaluates the three SLA clocks (response, resolution, update) at
 * now_us: sets statuses, due dates and sla_check_at, and logs sla_warning /
 * sla_breached when a status moves there. ticketer_ticket_transition()
 * calls it; a caller of _assign() or _comment() calls it before saving (a
 * person's update restarts the update clock), and so does the timer. */
void ticketer_ticket_sla_refresh(ticket_t *t, const ticket_routing_t *r, int64_t now_us,
                                 ticketer_log_t *log);

/* Adds one change about t to log (the ticket's current key/state/...). */
void ticketer_ticket_log(const ticket_t *t, ticketer_log_t *log, int64_t now_us, const char *actor,
                         const char *kind, const char *field, const char *before, const char *after,
                         const char *comment);

#endif
