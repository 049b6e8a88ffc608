/*
 * notify_escalation - the escalation timeline of one ticket as a pure state
 * machine with an injected clock (microseconds since the epoch).
 *
 * The state is plain values, so the daemon keeps it in a PostgreSQL row and
 * a restart resumes where it stopped. The daemon calls
 * notify_escalation_due() when the ticket opens and whenever now reaches
 * next_at_us; each call returns at most one step, so it calls again until
 * NOTIFY_ESC_NONE.
 *
 * Timeline: level 0 is paged at start; level i's delay is the time its
 * targets have to acknowledge before level i + 1 is paged (counted from
 * when level i was actually paged); after the last level the policy loops
 * back to level 0, `repeat` times; then it is exhausted. A level whose
 * targets resolve to nobody at that moment is skipped at once. An
 * acknowledgement stops paging; with ack_reminder the acknowledger is
 * reminded every interval until resolve. Resolve or close stops
 * everything. An SLA breach may jump to a given level.
 *
 * Levels are counted from 0 here (docs and the CLI show level 1 first).
 *
 * Does not: send, read a clock, or know who acknowledged (the daemon
 * records the actor; a REMIND step is for them).
 */
#ifndef ALERTDESK_NOTIFY_ESCALATION_H
#define ALERTDESK_NOTIFY_ESCALATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify_people.h"

/* One ticket's escalation; plain values, stored as a row. */
typedef struct {
    int level;           /* the next level to page (0-based) */
    int loop;            /* the pass over the levels, 0 = first */
    int64_t started_us;  /* when the ticket opened */
    int64_t next_at_us;  /* next wake-up; INT64_MAX = none */
    int64_t acked_at_us; /* 0 = not acknowledged */
    bool exhausted;      /* every pass paged: no more pages (reminders may remain) */
    bool stopped;        /* resolved or closed: nothing more, ever */
} notify_escalation_t;

typedef enum {
    NOTIFY_ESC_NONE = 0, /* nothing due now */
    NOTIFY_ESC_PAGE,     /* page users (level, loop say which) */
    NOTIFY_ESC_REMIND,   /* acked and unresolved too long: ping the acknowledger */
    NOTIFY_ESC_NOBODY    /* a whole pass resolved to nobody: worth a warning */
} notify_esc_action_t;

/* A set of users to page, deduplicated, in target order. */
typedef struct {
    const notify_user_t **users; /* point into the people set */
    size_t n, cap;
} notify_userset_t;

/* Adds the users the level's targets resolve to at at_us (schedule: who is
 * on call then; team: its schedule's on-call user, or every member when it
 * has no schedule), skipping users already in out. Releases nothing. */
void notify_targets_resolve(const notify_level_t *level, int64_t at_us, notify_userset_t *out);
/* Frees the array and zeroes the set. Accepts NULL. */
void notify_userset_clear(notify_userset_t *s);

typedef struct {
    notify_esc_action_t action;
    int level, loop;        /* PAGE, NOBODY: which level and pass */
    notify_userset_t users; /* PAGE: who; owned by the step; free with notify_esc_step_clear() */
} notify_esc_step_t;

/* Frees what a step holds and zeroes it. Accepts NULL. */
void notify_esc_step_clear(notify_esc_step_t *step);

/* A new escalation at the ticket's opening: level 0 due at now_us. */
void notify_escalation_start(notify_escalation_t *st, int64_t now_us);
/* The step due at now_us, if any, and advances st (next_at_us is the next
 * wake-up). Clears *out first; caller frees it with notify_esc_step_clear().
 * Returns out->action. */
notify_esc_action_t notify_escalation_due(const notify_policy_t *pol, notify_escalation_t *st,
                                          int64_t now_us, notify_esc_step_t *out);
/* Acknowledged at now_us: no more pages; a reminder due after
 * ack_reminder when the policy has one. Returns 0, or -1 when already
 * acknowledged or stopped (st unchanged). */
int notify_escalation_ack(const notify_policy_t *pol, notify_escalation_t *st, int64_t now_us);
/* Resolved or closed: stops everything. */
void notify_escalation_stop(notify_escalation_t *st);
/* SLA breach: level (0-based) is due at now_us, whatever the state was
 * (an acknowledgement is set aside, the pass count is kept). Returns 0, or
 * -1 when stopped or level is not one of the policy's (st unchanged). */
int notify_escalation_jump(const notify_policy_t *pol, notify_escalation_t *st, int level,
                           int64_t now_us);

#endif
