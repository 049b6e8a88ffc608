/*
 * corr_maintenance - when a recurring maintenance window is open.
 *
 * A window is weekly: on each of its days it opens at a local wall time and
 * stays open for a duration counted in local wall time too, in its own time
 * zone (tz.c, never the process's TZ). Both ends are turned into instants
 * with tz_from_local_seconds(): a wall time inside a DST gap moves forward
 * (02:00 on a spring-forward night reads as 03:00), a wall time that occurs
 * twice is its earlier instant. So "Sunday 02:00, 2h" in Europe/Amsterdam
 * lasts one real hour on 2026-03-29 (03:00-04:00 CEST) and three on
 * 2026-10-25 (02:00 CEST to 04:00 CET). An occurrence may run past midnight
 * into the next day(s); it belongs to the day it opens.
 *
 * Does not: load zones (the rule loader does), read a clock, or allocate.
 */
#include <stdint.h>

#include "corr_rules.h"
#include "tz.h"

#define CORR_US_PER_S INT64_C(1000000)
#define CORR_DAY_S    INT64_C(86400)

static int64_t corr_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Local seconds <-> instants; a window without a zone is in UTC. */
static int64_t corr_to_local(const corr_maintenance_t *w, int64_t unix_s)
{
    return w->tz ? tz_local_seconds(w->tz, unix_s) : unix_s;
}

static int64_t corr_from_local(const corr_maintenance_t *w, int64_t local_s)
{
    return w->tz ? tz_from_local_seconds(w->tz, local_s) : local_s;
}

bool corr_maintenance_covers(const corr_maintenance_t *w, int64_t at_us, int64_t *start_us,
                             int64_t *end_us)
{
    if (w->duration_minutes <= 0 || (w->days & 0x7f) == 0) {
        return false;
    }
    /* Bound the instant so that the arithmetic below stays far from overflow
     * (tz clamps to +-2^40 s as well). */
    const int64_t lim = (INT64_C(1) << 40) * CORR_US_PER_S;
    if (at_us < -lim || at_us > lim) {
        return false;
    }
    int64_t at_s = corr_floor_div(at_us, CORR_US_PER_S);
    int64_t today = corr_floor_div(corr_to_local(w, at_s), CORR_DAY_S);
    /* Occurrences that opened up to span days ago may still be open; one that
     * opens tomorrow (local) is checked too, for a DST jump at midnight. */
    int64_t span = ((int64_t)w->start_minute + w->duration_minutes) / 1440 + 1;
    for (int64_t back = -1; back <= span; back++) {
        int64_t day = today - back;
        int weekday = (int)(((day + 3) % 7 + 7) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
        if (!(w->days & (1u << weekday))) {
            continue;
        }
        int64_t open_local = day * CORR_DAY_S + (int64_t)w->start_minute * 60;
        int64_t close_local = open_local + (int64_t)w->duration_minutes * 60;
        int64_t open = corr_from_local(w, open_local) * CORR_US_PER_S;
        int64_t close = corr_from_local(w, close_local) * CORR_US_PER_S;
        if (at_us >= open && at_us < close) {
            if (start_us) {
                *start_us = open;
            }
            if (end_us) {
                *end_us = close;
            }
            return true;
        }
    }
    return false;
}

const corr_maintenance_t *corr_maintenance_active(const corr_rules_t *r, const event_t *ev,
                                                  int64_t at_us)
{
    for (size_t i = 0; i < r->nmaintenance; i++) {
        const corr_maintenance_t *w = &r->maintenance[i];
        /* Matchers first: they are cheaper than the zone arithmetic. */
        if (corr_matchers_match(w->matchers, w->nmatchers, ev) &&
            corr_maintenance_covers(w, at_us, NULL, NULL)) {
            return w;
        }
    }
    return NULL;
}
