/*
 * sla_calendar - business time over a calendar, and SLA clocks over that.
 *
 * Everything is built on one idea: local day D is the real interval from
 * the first instant whose local time reaches D 00:00 to the first one that
 * reaches D+1 00:00 ("tiles" that cover the timeline without overlap, even
 * across DST nights), and each opening slot of D is the same construction
 * on its start and end minute. elapsed() and add() walk those days one by
 * one and sum or consume the slots; is_open() looks at one day.
 *
 * Does not: allocate (besides sla_calendar_free releasing), read a clock.
 */
#include "sla_calendar.h"

#include <stdlib.h>

#define SLA_S   INT64_C(1000000)
#define SLA_DAY INT64_C(86400)
/* add() and elapsed() give up past this many days (400 years). */
#define SLA_MAX_DAYS (400 * INT64_C(366))

static int64_t sla_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void sla_calendar_free(sla_calendar_t *c)
{
    if (!c) {
        return;
    }
    free(c->name);
    tz_destroy(&c->tz);
    for (int d = 0; d < 7; d++) {
        free(c->hours[d]);
    }
    free(c->holidays);
    *c = (sla_calendar_t){0};
}

int sla_calendar_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    return (int)(((days % 7) + 7 + 3) % 7);
}

bool sla_calendar_has_hours(const sla_calendar_t *cal)
{
    if (!cal) {
        return true;
    }
    for (int d = 0; d < 7; d++) {
        if (cal->nhours[d] > 0) {
            return true;
        }
    }
    return false;
}

static bool sla_is_holiday(const sla_calendar_t *cal, int64_t day)
{
    size_t lo = 0, hi = cal->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->holidays[mid] == day) {
            return true;
        }
        if (cal->holidays[mid] < day) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

/* The first instant (Unix seconds) whose local wall time is at or after
 * local_s. tz_from_local_seconds() moves a wall time inside a spring-forward
 * gap past the gap by its length; here it lands on the gap's end (the
 * transition), so a slot inside the gap is empty rather than shifted. */
static int64_t sla_first_local(const tz_t *tz, int64_t local_s)
{
    if (!tz) {
        return local_s;
    }
    int64_t t = tz_from_local_seconds(tz, local_s);
    int64_t lt = tz_local_seconds(tz, t);
    if (lt <= local_s) {
        return t;
    }
    /* In a gap: t - (lt - local_s) lies before the transition. */
    int64_t lo = t - (lt - local_s), hi = t;
    if (tz_local_seconds(tz, lo) >= local_s) {
        return t; /* not the shape of a gap: keep the zone's answer */
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

/* Start of local day `day` (microseconds). */
static int64_t sla_day_start(const sla_calendar_t *cal, int64_t day)
{
    return sla_first_local(cal->tz, day * SLA_DAY) * SLA_S;
}

/* The local day whose tile holds at_us. */
static int64_t sla_day_of(const sla_calendar_t *cal, int64_t at_us)
{
    int64_t s = sla_floor_div(at_us, SLA_S);
    int64_t local = cal->tz ? tz_local_seconds(cal->tz, s) : s;
    int64_t day = sla_floor_div(local, SLA_DAY);
    if (at_us >= sla_day_start(cal, day + 1)) {
        day++;
    } else if (at_us < sla_day_start(cal, day)) {
        day--;
    }
    return day;
}

/* Slot i of local day `day` as real microseconds [*a, *b); *b >= *a. */
static void sla_slot(const sla_calendar_t *cal, int64_t day, const sla_hours_t *h, int64_t *a,
                     int64_t *b)
{
    int64_t base = day * SLA_DAY;
    *a = sla_first_local(cal->tz, base + h->start_minute * INT64_C(60)) * SLA_S;
    *b = sla_first_local(cal->tz, base + h->end_minute * INT64_C(60)) * SLA_S;
    if (*b < *a) {
        *b = *a;
    }
}

bool sla_calendar_is_open(const sla_calendar_t *cal, int64_t at_us)
{
    if (!cal) {
        return true;
    }
    int64_t day = sla_day_of(cal, at_us);
    if (sla_is_holiday(cal, day)) {
        return false;
    }
    int wd = sla_calendar_weekday(day);
    for (size_t i = 0; i < cal->nhours[wd]; i++) {
        int64_t a, b;
        sla_slot(cal, day, &cal->hours[wd][i], &a, &b);
        if (at_us >= a && at_us < b) {
            return true;
        }
    }
    return false;
}

int64_t sla_calendar_elapsed(const sla_calendar_t *cal, int64_t from_us, int64_t to_us)
{
    if (to_us <= from_us) {
        return 0;
    }
    if (!cal) {
        /* Both are instants, so the difference fits unless they are absurd. */
        return (from_us < 0 && to_us > INT64_MAX + from_us) ? INT64_MAX : to_us - from_us;
    }
    int64_t first = sla_day_of(cal, from_us), last = sla_day_of(cal, to_us - 1);
    if (last - first > SLA_MAX_DAYS) {
        last = first + SLA_MAX_DAYS;
    }
    int64_t sum = 0;
    for (int64_t day = first; day <= last; day++) {
        if (sla_is_holiday(cal, day)) {
            continue;
        }
        int wd = sla_calendar_weekday(day);
        for (size_t i = 0; i < cal->nhours[wd]; i++) {
            int64_t a, b;
            sla_slot(cal, day, &cal->hours[wd][i], &a, &b);
            a = a > from_us ? a : from_us;
            b = b < to_us ? b : to_us;
            if (b > a) {
                sum += b - a;
            }
        }
    }
    return sum;
}

int64_t sla_calendar_add(const sla_calendar_t *cal, int64_t start_us, int64_t business_us)
{
    if (business_us <= 0) {
        return start_us;
    }
    if (!cal) {
        return start_us > INT64_MAX - business_us ? INT64_MAX : start_us + business_us;
    }
    if (!sla_calendar_has_hours(cal)) {
        return INT64_MAX;
    }
    int64_t left = business_us;
    int64_t first = sla_day_of(cal, start_us);
    for (int64_t day = first; day <= first + SLA_MAX_DAYS; day++) {
        if (sla_is_holiday(cal, day)) {
            continue;
        }
        int wd = sla_calendar_weekday(day);
        for (size_t i = 0; i < cal->nhours[wd]; i++) {
            int64_t a, b;
            sla_slot(cal, day, &cal->hours[wd][i], &a, &b);
            a = a > start_us ? a : start_us;
            if (b <= a) {
                continue;
            }
            if (b - a >= left) {
                return a + left;
            }
            left -= b - a;
        }
    }
    return INT64_MAX;
}

/* ---- SLA clocks ------------------------------------------------------------- */

const char *sla_status_name(sla_status_t s)
{
    static const char *const names[] = {"none", "running", "warning", "breached", "met", "paused"};
    return (int)s >= 0 && (size_t)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* permille / 1000 of target without overflowing for any target. */
static int64_t sla_share(int64_t target_us, int permille)
{
    return (target_us / 1000) * permille + (target_us % 1000) * permille / 1000;
}

int64_t sla_clock_used(const sla_calendar_t *cal, const sla_clock_t *c, int64_t now_us)
{
    int64_t end = now_us;
    if (c->stopped_us && c->stopped_us < end) {
        end = c->stopped_us;
    }
    if (c->paused_since_us && c->paused_since_us < end) {
        end = c->paused_since_us;
    }
    int64_t used = sla_calendar_elapsed(cal, c->started_us, end) - c->paused_business_us;
    return used > 0 ? used : 0;
}

/* When `share` of business time will have been used, as of now_us. */
static int64_t sla_clock_reach(const sla_calendar_t *cal, const sla_clock_t *c, int64_t share,
                               int64_t now_us)
{
    int64_t paused = c->paused_business_us > 0 ? c->paused_business_us : 0;
    if (c->paused_since_us && c->paused_since_us <= now_us) {
        int64_t left = share - sla_clock_used(cal, c, now_us);
        if (left > 0) {
            return sla_calendar_add(cal, now_us, left); /* resumes at now_us at the earliest */
        }
    }
    if (share > INT64_MAX - paused) {
        return INT64_MAX;
    }
    return sla_calendar_add(cal, c->started_us, share + paused);
}

void sla_clock_deadlines(const sla_calendar_t *cal, const sla_clock_t *c, int warn_permille,
                         int64_t now_us, int64_t *warn_at_us, int64_t *due_at_us)
{
    int64_t warn = INT64_MAX, due = INT64_MAX;
    if (c->target_us > 0 && !c->stopped_us) {
        due = sla_clock_reach(cal, c, c->target_us, now_us);
        if (warn_permille >= 1 && warn_permille <= 1000) {
            warn = sla_clock_reach(cal, c, sla_share(c->target_us, warn_permille), now_us);
        }
    }
    if (warn_at_us) {
        *warn_at_us = warn;
    }
    if (due_at_us) {
        *due_at_us = due;
    }
}

sla_status_t sla_clock_status(const sla_calendar_t *cal, const sla_clock_t *c, int warn_permille,
                              int64_t now_us)
{
    if (c->target_us <= 0) {
        return SLA_NONE;
    }
    int64_t used = sla_clock_used(cal, c, now_us);
    if (used > c->target_us) {
        return SLA_BREACHED;
    }
    if (c->stopped_us && c->stopped_us <= now_us) {
        return SLA_MET;
    }
    if (c->paused_since_us && c->paused_since_us <= now_us) {
        return SLA_PAUSED;
    }
    if (warn_permille >= 1 && warn_permille <= 1000 &&
        used >= sla_share(c->target_us, warn_permille)) {
        return SLA_WARNING;
    }
    return SLA_RUNNING;
}
