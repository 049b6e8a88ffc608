/*
 * ticket_state - the ITIL ticket life cycle: which state may follow which,
 * and why not when it may not.
 *
 *   new          -> acknowledged | in_progress | pending | resolved
 *   acknowledged -> in_progress | pending | resolved
 *   in_progress  -> pending | resolved
 *   pending      -> in_progress | resolved
 *   resolved     -> closed | new | in_progress   (the last two reopen)
 *   closed       -> new | in_progress            (reopen)
 *
 * pending -> acknowledged is refused: acknowledged means "somebody owns it,
 * work has not started", and a ticket that was put on pending has been
 * handled by a person already, so when the wait ends work resumes
 * (in_progress). That keeps acknowledged reachable from new only, so
 * "acknowledged at" is always the first response.
 *
 * The full table is in ticket_state.c (one row per state). A refusal comes
 * with one sentence a person can act on ("cannot close a ticket that is
 * in_progress: resolve it first").
 *
 * Does not: store tickets, keep history, read a clock, or decide who may do
 * what (permissions are the daemon's). Pure functions, no allocation.
 */
#ifndef ALERTDESK_TICKET_STATE_H
#define ALERTDESK_TICKET_STATE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TICKET_STATE_NEW = 0,
    TICKET_STATE_ACKNOWLEDGED,
    TICKET_STATE_IN_PROGRESS,
    TICKET_STATE_PENDING,
    TICKET_STATE_RESOLVED,
    TICKET_STATE_CLOSED,
} ticket_state_t;
#define TICKET_STATE_COUNT 6

/* "new", "acknowledged", "in_progress", "pending", "resolved", "closed";
 * "?" for a value outside the enum. Static storage. */
const char *ticket_state_name(ticket_state_t s);
/* Parses the names above (exact, lower case). 0, or -1 for an unknown name
 * (*out untouched). */
int ticket_state_parse(const char *name, ticket_state_t *out);

/* May a ticket in `from` move to `to`? reason is the text the person gave
 * (may be NULL or ""); moving to pending needs a non-empty one. Returns 0
 * when allowed; -1 with one sentence in why (may be NULL) otherwise, e.g.
 * "cannot close a ticket that is in_progress: resolve it first",
 * "pending needs a reason", "ticket is already acknowledged". */
int ticket_state_check(ticket_state_t from, ticket_state_t to, const char *reason, char *why,
                       size_t whylen);

/* Where a reopened ticket (resolved or closed, its incident firing again)
 * goes: in_progress if somebody had acknowledged it (they own it), else new. */
ticket_state_t ticket_state_reopen_target(bool was_acknowledged);

/* Not resolved and not closed. */
bool ticket_state_is_open(ticket_state_t s);
/* The SLA clock runs in new, acknowledged and in_progress; it stops in
 * pending (waiting on someone else), resolved and closed. */
bool ticket_state_clock_runs(ticket_state_t s);

#endif
