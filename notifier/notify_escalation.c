/*
 * notify_escalation - the escalation timeline: one small state machine over
 * plain values, and target resolution through oncall_schedule.c.
 *
 * Every transition is a function of (policy, state, now); nothing here
 * remembers anything between calls, so the daemon's stored row is the
 * whole truth and a replayed sequence of calls gives the same steps.
 *
 * Does not: send, read a clock, or decide the policy (notify_policy_for).
 */
#include "notify_escalation.h"

#include <stdlib.h>
#include <string.h>

#include "oncall_schedule.h"
#include "xalloc.h"

/* ---- Targets ---------------------------------------------------------------- */

static void esc_add(notify_userset_t *s, const notify_user_t *u)
{
    if (!u) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->users[i] == u) {
            return;
        }
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->users = xrealloc(s->users, s->cap * sizeof *s->users);
    }
    s->users[s->n++] = u;
}

void notify_targets_resolve(const notify_level_t *level, int64_t at_us, notify_userset_t *out)
{
    for (size_t i = 0; i < level->ntargets; i++) {
        const notify_target_t *t = &level->targets[i];
        switch (t->type) {
        case NOTIFY_TARGET_USER:
            esc_add(out, t->user);
            break;
        case NOTIFY_TARGET_SCHEDULE:
            esc_add(out, oncall_who(t->schedule, at_us, NULL, NULL));
            break;
        case NOTIFY_TARGET_TEAM:
            if (t->team->schedule) {
                esc_add(out, oncall_who(t->team->schedule, at_us, NULL, NULL));
            } else {
                for (size_t m = 0; m < t->team->nmembers; m++) {
                    esc_add(out, t->team->members[m]);
                }
            }
            break;
        }
    }
}

void notify_userset_clear(notify_userset_t *s)
{
    if (!s) {
        return;
    }
    free(s->users);
    *s = (notify_userset_t){0};
}

void notify_esc_step_clear(notify_esc_step_t *step)
{
    if (!step) {
        return;
    }
    notify_userset_clear(&step->users);
    *step = (notify_esc_step_t){0};
}

/* ---- The state machine ------------------------------------------------------- */

void notify_escalation_start(notify_escalation_t *st, int64_t now_us)
{
    *st = (notify_escalation_t){0};
    st->started_us = now_us;
    st->next_at_us = now_us;
}

static int64_t esc_after(int64_t now_us, int64_t delay_us)
{
    return now_us > INT64_MAX - delay_us ? INT64_MAX : now_us + delay_us;
}

notify_esc_action_t notify_escalation_due(const notify_policy_t *pol, notify_escalation_t *st,
                                          int64_t now_us, notify_esc_step_t *out)
{
    *out = (notify_esc_step_t){0};
    if (st->stopped || now_us < st->next_at_us) {
        return out->action = NOTIFY_ESC_NONE;
    }
    if (st->acked_at_us) {
        if (pol->ack_reminder_us <= 0) {
            st->next_at_us = INT64_MAX;
            return out->action = NOTIFY_ESC_NONE;
        }
        /* Keep the cadence of the acknowledgement; after a long outage, one
         * reminder now and the next a full interval later. */
        int64_t next = esc_after(st->next_at_us, pol->ack_reminder_us);
        st->next_at_us = next > now_us ? next : esc_after(now_us, pol->ack_reminder_us);
        return out->action = NOTIFY_ESC_REMIND;
    }
    if (st->exhausted || pol->nlevels == 0) {
        st->exhausted = true;
        st->next_at_us = INT64_MAX;
        return out->action = NOTIFY_ESC_NONE;
    }
    /* Page the next level that reaches someone; skip empty ones at once, but
     * not more than one whole pass: the same instant gives the same answer. */
    for (size_t tried = 0; tried < pol->nlevels; tried++) {
        const notify_level_t *lvl = &pol->levels[st->level];
        int level = st->level, loop = st->loop;
        notify_targets_resolve(lvl, now_us, &out->users);
        if (++st->level >= (int)pol->nlevels) {
            st->level = 0;
            st->loop++;
        }
        if (st->loop > pol->repeat) {
            st->exhausted = true;
        }
        st->next_at_us = st->exhausted ? INT64_MAX : esc_after(now_us, lvl->delay_us);
        out->level = level;
        out->loop = loop;
        if (out->users.n > 0) {
            return out->action = NOTIFY_ESC_PAGE;
        }
        if (st->exhausted) {
            break;
        }
    }
    /* Nobody anywhere in a pass: try again after the last level's delay
     * (someone may come on call), within the policy's passes. */
    return out->action = NOTIFY_ESC_NOBODY;
}

int notify_escalation_ack(const notify_policy_t *pol, notify_escalation_t *st, int64_t now_us)
{
    if (st->stopped || st->acked_at_us) {
        return -1;
    }
    st->acked_at_us = now_us > 0 ? now_us : 1; /* 0 means "not acknowledged" */
    st->next_at_us = pol->ack_reminder_us > 0 ? esc_after(now_us, pol->ack_reminder_us) : INT64_MAX;
    return 0;
}

void notify_escalation_stop(notify_escalation_t *st)
{
    st->stopped = true;
    st->next_at_us = INT64_MAX;
}

int notify_escalation_jump(const notify_policy_t *pol, notify_escalation_t *st, int level,
                           int64_t now_us)
{
    if (st->stopped || level < 0 || (size_t)level >= pol->nlevels) {
        return -1;
    }
    st->level = level;
    st->acked_at_us = 0;
    st->exhausted = false;
    if (st->loop > pol->repeat) {
        st->loop = pol->repeat; /* the jumped-to pass is the last one */
    }
    st->next_at_us = now_us;
    return 0;
}
