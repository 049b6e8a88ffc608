/*
 * oncall_schedule - who is on call, computed from the schedule alone.
 *
 * Everything is one evaluation at an instant (osc_eval): each layer's turn
 * and restriction hours, then the overrides; it also returns the earliest
 * later instant at which any of them changes (a "boundary"). oncall_who()
 * walks boundaries until the answer changes; oncall_shifts() walks
 * oncall_who(). Turn starts and restriction hours are local wall times
 * made real with the same rule as sla_calendar.c: the first instant whose
 * local time reaches the wall time (a gap's wall time lands on its end).
 *
 * Does not: allocate, read a clock.
 */
#include "oncall_schedule.h"

#include <stddef.h>

#define OSC_S   INT64_C(1000000)
#define OSC_DAY INT64_C(86400)
/* oncall_who() looks this far ahead for a change before giving up. */
#define OSC_HORIZON_US (400 * OSC_DAY * OSC_S)

static int64_t osc_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t osc_local(const tz_t *tz, int64_t unix_s)
{
    return tz ? tz_local_seconds(tz, unix_s) : unix_s;
}

/* The first instant (seconds) whose local wall time is at or after local_s
 * (as sla_calendar.c: a wall time in a spring-forward gap lands on the
 * transition; a repeated one on its first copy). */
static int64_t osc_first_local(const tz_t *tz, int64_t local_s)
{
    if (!tz) {
        return local_s;
    }
    int64_t t = tz_from_local_seconds(tz, local_s);
    int64_t lt = tz_local_seconds(tz, t);
    if (lt <= local_s) {
        return t;
    }
    int64_t lo = t - (lt - local_s), hi = t;
    if (tz_local_seconds(tz, lo) >= local_s) {
        return t;
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tz_local_seconds(tz, mid) >= local_s) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi;
}

/* Start of turn k (microseconds). Non-decreasing in k. */
static int64_t osc_turn_start(const oncall_layer_t *l, const tz_t *tz, int64_t k)
{
    return osc_first_local(tz, l->handoff_local_s + k * l->turn_s) * OSC_S;
}

/* The turn holding at_us (-1 before the first hand-off). */
static int64_t osc_turn(const oncall_layer_t *l, const tz_t *tz, int64_t at_us)
{
    if (at_us < osc_turn_start(l, tz, 0)) {
        return -1;
    }
    int64_t local = osc_local(tz, osc_floor_div(at_us, OSC_S));
    int64_t k = osc_floor_div(local - l->handoff_local_s, l->turn_s);
    if (k < 0) {
        k = 0;
    }
    /* The estimate is off by at most one around a DST night; empty turns
     * (inside a gap) are stepped over by the first loop. */
    while (at_us >= osc_turn_start(l, tz, k + 1)) {
        k++;
    }
    while (k > 0 && at_us < osc_turn_start(l, tz, k)) {
        k--;
    }
    return k;
}

static void osc_min_after(int64_t *best, int64_t cand, int64_t at_us)
{
    if (cand > at_us && cand < *best) {
        *best = cand;
    }
}

/* Is the layer inside its hours at at_us? Also lowers *next to the next
 * slot start or end after at_us (within a week). */
static bool osc_in_hours(const oncall_layer_t *l, const tz_t *tz, int64_t at_us, int64_t *next)
{
    if (!l->restricted) {
        return true;
    }
    bool in = false;
    int64_t day0 = osc_floor_div(osc_local(tz, osc_floor_div(at_us, OSC_S)), OSC_DAY);
    for (int64_t day = day0 - 1; day <= day0 + 8; day++) {
        int wd = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
        for (size_t i = 0; i < l->nhours[wd]; i++) {
            int64_t base = day * OSC_DAY;
            int64_t a = osc_first_local(tz, base + l->hours[wd][i].start_minute * 60) * OSC_S;
            int64_t b = osc_first_local(tz, base + l->hours[wd][i].end_minute * 60) * OSC_S;
            if (at_us >= a && at_us < b) {
                in = true;
            }
            osc_min_after(next, a, at_us);
            osc_min_after(next, b, at_us);
        }
    }
    return in;
}

/* The answer at at_us, and in *next the earliest later boundary of any
 * layer or override (INT64_MAX when none). */
static const notify_user_t *osc_eval(const notify_schedule_t *s, int64_t at_us, bool *is_override,
                                     int64_t *next)
{
    const notify_user_t *who = NULL;
    *next = INT64_MAX;
    *is_override = false;
    for (size_t i = 0; i < s->nlayers; i++) {
        const oncall_layer_t *l = &s->layers[i];
        if (l->nparticipants == 0) {
            continue;
        }
        int64_t k = osc_turn(l, s->tz, at_us);
        osc_min_after(next, osc_turn_start(l, s->tz, k + 1), at_us);
        bool in = osc_in_hours(l, s->tz, at_us, next);
        if (k >= 0 && in) {
            who = l->participants[k % (int64_t)l->nparticipants];
        }
    }
    for (size_t i = 0; i < s->noverrides; i++) {
        const oncall_override_t *o = &s->overrides[i];
        if (at_us >= o->from_us && at_us < o->to_us) {
            who = o->user;
            *is_override = true;
        }
        osc_min_after(next, o->from_us, at_us);
        osc_min_after(next, o->to_us, at_us);
    }
    return who;
}

const notify_user_t *oncall_who(const notify_schedule_t *s, int64_t at_us, int64_t *until_us,
                                bool *is_override)
{
    bool ovr, ovr2;
    int64_t next;
    const notify_user_t *who = osc_eval(s, at_us, &ovr, &next);
    int64_t horizon = at_us > INT64_MAX - OSC_HORIZON_US ? INT64_MAX : at_us + OSC_HORIZON_US;
    /* Walk the boundaries until someone else (or the override flag) takes
     * over: a hand-off from alice to alice is no hand-off. */
    while (next < horizon) {
        int64_t after;
        const notify_user_t *w = osc_eval(s, next, &ovr2, &after);
        if (w != who || ovr2 != ovr) {
            break;
        }
        next = after;
    }
    if (until_us) {
        *until_us = next < horizon ? next : INT64_MAX;
    }
    if (is_override) {
        *is_override = ovr;
    }
    return who;
}

int oncall_shifts(const notify_schedule_t *s, int64_t from_us, int64_t to_us, oncall_shift_fn cb,
                  void *arg)
{
    int n = 0;
    for (int64_t t = from_us; t < to_us;) {
        oncall_shift_t shift;
        int64_t until;
        shift.user = oncall_who(s, t, &until, &shift.is_override);
        shift.start_us = t;
        shift.end_us = until < to_us ? until : to_us;
        int rc = cb(&shift, arg);
        if (rc != 0) {
            return rc > 0 ? -rc : rc;
        }
        n++;
        t = shift.end_us;
    }
    return n;
}
