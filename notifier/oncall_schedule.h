/*
 * oncall_schedule - who is on call: pure arithmetic on a loaded schedule
 * (notify_people.h) and injected instants (microseconds since the Unix
 * epoch, UTC).
 *
 * A layer's turns are counted in local wall time of the schedule's zone:
 * turn k starts at the first instant whose local time reaches handoff + k x
 * turn length, so a daily 09:00 hand-off in Europe/Amsterdam stays 09:00
 * local across the spring and fall nights (that turn lasts 23 or 25 real
 * hours). A turn starting inside a spring-forward gap starts at the gap's
 * end. Before its first hand-off a layer has nobody. Turn k belongs to
 * participant k mod n.
 *
 * At an instant, the on-call user is: the last override covering it; else
 * the user of the last layer that has someone then (inside its restriction
 * hours, past its first hand-off); else nobody.
 *
 * Does not: read a clock, allocate, or load anything.
 */
#ifndef ALERTDESK_ONCALL_SCHEDULE_H
#define ALERTDESK_ONCALL_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "notify_people.h"

/* The user on call in s at at_us (NULL = nobody), and in *until_us the
 * instant that stops being so (the next hand-off to someone else, or
 * INT64_MAX when nothing changes within 400 days). *is_override tells that
 * an override gives the answer. until_us and is_override may be NULL. The
 * user points into the people set. */
const notify_user_t *oncall_who(const notify_schedule_t *s, int64_t at_us, int64_t *until_us,
                                bool *is_override);

/* One shift: [start_us, end_us) of user (NULL = nobody on call). */
typedef struct {
    const notify_user_t *user;
    int64_t start_us, end_us;
    bool is_override;
} oncall_shift_t;

/* Called per shift in time order; a non-zero return stops the walk. */
typedef int (*oncall_shift_fn)(const oncall_shift_t *shift, void *arg);

/* Enumerates the shifts of s that overlap [from_us, to_us), clipped to it,
 * consecutive shifts of the same user (and override flag) merged, gaps
 * with nobody included (user NULL). Returns the number of shifts passed to
 * cb, or a negative value (the callback's, made negative) when cb stopped
 * the walk by returning non-zero. */
int oncall_shifts(const notify_schedule_t *s, int64_t from_us, int64_t to_us, oncall_shift_fn cb,
                  void *arg);

#endif
