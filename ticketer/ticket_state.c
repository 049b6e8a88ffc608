/*
 * ticket_state - the ticket life cycle as one table: for every (from, to)
 * pair, NULL when the move is allowed, else the sentence that refuses it.
 * The row is the from state, so every sentence is written out in full (no
 * formatting, and the whole policy reads at a glance).
 *
 * Does not: know about SLA clocks beyond which states stop them, or about
 * who asked for the move.
 */
#include "ticket_state.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const ticket_state_names[TICKET_STATE_COUNT] = {
    "new", "acknowledged", "in_progress", "pending", "resolved", "closed",
};

/* ticket_state_refusal[from][to]: NULL = allowed. */
static const char *const ticket_state_refusal[TICKET_STATE_COUNT][TICKET_STATE_COUNT] = {
    [TICKET_STATE_NEW] =
        {
            [TICKET_STATE_NEW] = "ticket is already new",
            [TICKET_STATE_CLOSED] = "cannot close a ticket that is new: resolve it first",
        },
    [TICKET_STATE_ACKNOWLEDGED] =
        {
            [TICKET_STATE_NEW] = "cannot move a ticket that is acknowledged back to new: only a "
                                 "resolved or closed ticket is reopened",
            [TICKET_STATE_ACKNOWLEDGED] = "ticket is already acknowledged",
            [TICKET_STATE_CLOSED] = "cannot close a ticket that is acknowledged: resolve it first",
        },
    [TICKET_STATE_IN_PROGRESS] =
        {
            [TICKET_STATE_NEW] = "cannot move a ticket that is in_progress back to new: only a "
                                 "resolved or closed ticket is reopened",
            [TICKET_STATE_ACKNOWLEDGED] =
                "cannot acknowledge a ticket that is in_progress: it is being worked on already",
            [TICKET_STATE_IN_PROGRESS] = "ticket is already in_progress",
            [TICKET_STATE_CLOSED] = "cannot close a ticket that is in_progress: resolve it first",
        },
    [TICKET_STATE_PENDING] =
        {
            [TICKET_STATE_NEW] = "cannot move a ticket that is pending back to new: resume it "
                                 "(in_progress) or resolve it",
            [TICKET_STATE_ACKNOWLEDGED] =
                "cannot acknowledge a ticket that is pending: resume it (in_progress) instead",
            [TICKET_STATE_PENDING] = "ticket is already pending",
            [TICKET_STATE_CLOSED] = "cannot close a ticket that is pending: resolve it first",
        },
    [TICKET_STATE_RESOLVED] =
        {
            [TICKET_STATE_ACKNOWLEDGED] = "cannot acknowledge a ticket that is resolved: reopen "
                                          "it (new or in_progress) first",
            [TICKET_STATE_PENDING] =
                "cannot put a ticket that is resolved on pending: reopen it (in_progress) first",
            [TICKET_STATE_RESOLVED] = "ticket is already resolved",
        },
    [TICKET_STATE_CLOSED] =
        {
            [TICKET_STATE_ACKNOWLEDGED] = "cannot acknowledge a ticket that is closed: reopen it "
                                          "(new or in_progress) first",
            [TICKET_STATE_PENDING] =
                "cannot put a ticket that is closed on pending: reopen it (in_progress) first",
            [TICKET_STATE_RESOLVED] =
                "cannot resolve a ticket that is closed: reopen it (in_progress) first",
            [TICKET_STATE_CLOSED] = "ticket is already closed",
        },
};

static bool ticket_state_valid(ticket_state_t s)
{
    return (int)s >= 0 && (int)s < TICKET_STATE_COUNT;
}

const char *ticket_state_name(ticket_state_t s)
{
    return ticket_state_valid(s) ? ticket_state_names[s] : "?";
}

int ticket_state_parse(const char *name, ticket_state_t *out)
{
    for (int i = 0; name && i < TICKET_STATE_COUNT; i++) {
        if (strcmp(name, ticket_state_names[i]) == 0) {
            *out = (ticket_state_t)i;
            return 0;
        }
    }
    return -1;
}

static int ticket_state_refuse(char *why, size_t whylen, const char *text)
{
    if (why && whylen) {
        snprintf(why, whylen, "%s", text);
    }
    return -1;
}

/* A reason made of spaces only says nothing. */
static bool ticket_state_blank(const char *s)
{
    for (; s && *s; s++) {
        if (!isspace((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

int ticket_state_check(ticket_state_t from, ticket_state_t to, const char *reason, char *why,
                       size_t whylen)
{
    if (!ticket_state_valid(from) || !ticket_state_valid(to)) {
        return ticket_state_refuse(why, whylen, "unknown ticket state");
    }
    const char *refusal = ticket_state_refusal[from][to];
    if (refusal) {
        return ticket_state_refuse(why, whylen, refusal);
    }
    if (to == TICKET_STATE_PENDING && ticket_state_blank(reason)) {
        return ticket_state_refuse(why, whylen,
                                   "pending needs a reason: say who or what the ticket waits for");
    }
    if (why && whylen) {
        why[0] = '\0';
    }
    return 0;
}

ticket_state_t ticket_state_reopen_target(bool was_acknowledged)
{
    return was_acknowledged ? TICKET_STATE_IN_PROGRESS : TICKET_STATE_NEW;
}

bool ticket_state_is_open(ticket_state_t s)
{
    return s != TICKET_STATE_RESOLVED && s != TICKET_STATE_CLOSED;
}

bool ticket_state_clock_runs(ticket_state_t s)
{
    return s == TICKET_STATE_NEW || s == TICKET_STATE_ACKNOWLEDGED || s == TICKET_STATE_IN_PROGRESS;
}
