/*
 * sla_calendar - business-hours calendars and SLA clocks: pure arithmetic on
 * injected instants (microseconds since the Unix epoch, UTC).
 *
 * A calendar is a set of opening hours per weekday in local time (a zone
 * from common/tz.h, so a 09:00-17:00 day stays 09:00-17:00 local across DST
 * nights) minus holidays (local dates). A NULL calendar everywhere means
 * 24x7. An SLA clock is derived from recorded facts only (opened, paused,
 * stopped), never from a ticking counter, so it survives restarts and gives
 * the same answer for the same instant.
 *
 * How local hours become real instants: the opening [start, end) of a slot
 * on local day D runs from the first instant whose local time is at or
 * after D start to the first instant whose local time is at or after D end.
 * So a slot in the spring-forward gap is empty, and a slot ending after a
 * fall-back night's repeated hour includes both copies of that hour (a
 * 00:00-24:00 day lasts 25 real hours); a slot ending inside the repeated
 * hour ends at its first copy.
 *
 * Does not: read a clock, load calendars (ticket_routing.c builds them from
 * the routing file), or know about tickets. Steps day by day (each day a few
 * zone look-ups), so a span of years costs thousands of steps, not millions.
 */
#ifndef ALERTDESK_SLA_CALENDAR_H
#define ALERTDESK_SLA_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tz.h"

/* [start, end) minutes of the local day, 0 <= start < end <= 1440. */
typedef struct {
    int start_minute, end_minute;
} sla_hours_t;

typedef struct sla_calendar {
    char *name;
    int line;
    tz_t *tz; /* owned; NULL = UTC */
    sla_hours_t
        *hours[7]; /* per weekday, 0 = Monday .. 6 = Sunday, sorted, non-overlapping; owned */
    size_t nhours[7];
    int64_t
        *holidays; /* local dates as days since 1970-01-01 (tz_days_from_civil), sorted; owned */
    size_t nholidays;
} sla_calendar_t;

/* Releases what c holds (not c itself) and zeroes it. Accepts NULL. */
void sla_calendar_free(sla_calendar_t *c);

/* The weekday of a day count since 1970-01-01: 0 = Monday .. 6 = Sunday. */
int sla_calendar_weekday(int64_t days);
/* True when the calendar has at least one opening slot in its week. */
bool sla_calendar_has_hours(const sla_calendar_t *cal);

/* A NULL calendar everywhere below means 24x7. */

/* Is the calendar open at at_us? */
bool sla_calendar_is_open(const sla_calendar_t *cal, int64_t at_us);
/* Business microseconds in [from_us, to_us); 0 when to_us <= from_us. With a
 * calendar, a span longer than 400 years is counted over its first 400. */
int64_t sla_calendar_elapsed(const sla_calendar_t *cal, int64_t from_us, int64_t to_us);
/* The earliest instant at which business_us of business time has passed
 * since start_us (a start outside hours counts from the next opening, so a
 * 4h target set on Friday 18:00 falls due on Monday 13:00). start_us itself
 * when business_us <= 0. The inverse of elapsed: elapsed(start, add(start,
 * d)) == d. INT64_MAX when the calendar has no open hours at all, or when
 * the instant lies more than 400 years ahead. */
int64_t sla_calendar_add(const sla_calendar_t *cal, int64_t start_us, int64_t business_us);

/* One SLA clock (time to first response, or to resolution), derived from
 * recorded facts so it survives restarts. */
typedef struct {
    int64_t started_us;         /* ticket opened */
    int64_t target_us;          /* business time allowed; 0 = no target */
    int64_t paused_business_us; /* business time inside finished pauses (pending) */
    int64_t paused_since_us;    /* 0 when not paused now */
    int64_t stopped_us;         /* 0 while running; when the target was reached (ack / resolve) */
} sla_clock_t;

typedef enum {
    SLA_NONE = 0,
    SLA_RUNNING,
    SLA_WARNING,
    SLA_BREACHED,
    SLA_MET,
    SLA_PAUSED
} sla_status_t;

/* "none", "running", "warning", "breached", "met", "paused"; "?" outside the
 * enum. Static storage. */
const char *sla_status_name(sla_status_t s);

/* Business time used so far, pauses excluded: business time from started to
 * the earliest of now_us, stopped_us and paused_since_us (those set), minus
 * paused_business_us; never negative. */
int64_t sla_clock_used(const sla_calendar_t *cal, const sla_clock_t *c, int64_t now_us);
/* Warning instant and due instant as of now_us. Running: when the used time
 * reaches warn_permille / 1000 of the target, and the target (finished
 * pauses push both out). Paused now: as if the clock resumed at now_us, so
 * every moment of a running pause pushes both out; an instant already
 * reached before the pause stays where it was. warn_permille: e.g. 800 =
 * 80 %; outside 1..1000 there is no warning stage. Either out pointer may be
 * NULL. INT64_MAX when never (no target, a stopped clock, a calendar with no
 * hours, or no warning stage). */
void sla_clock_deadlines(const sla_calendar_t *cal, const sla_clock_t *c, int warn_permille,
                         int64_t now_us, int64_t *warn_at_us, int64_t *due_at_us);
/* Status at now_us, first that applies: NONE (no target), BREACHED (used >
 * target, stopped or not), MET (stopped within target), PAUSED, WARNING
 * (used >= the warning share), RUNNING. */
sla_status_t sla_clock_status(const sla_calendar_t *cal, const sla_clock_t *c, int warn_permille,
                              int64_t now_us);

#endif
