/*
 * tz - IANA time zones without touching the process's TZ.
 *
 * Reads the system's compiled zoneinfo files (TZif versions 1, 2 and 3, from
 * /usr/share/zoneinfo or the directory named by the TZDIR environment
 * variable) into an immutable object, and converts between Unix time and
 * local wall time in that zone. Times after the file's last transition follow
 * the POSIX TZ rule in the file's footer ("CET-1CEST,M3.5.0,M10.5.0/3"):
 * Mm.w.d, Jn and n dates, with the v3 extensions (negative and >24h times).
 *
 * Why not localtime_r/mktime: they read the process-wide TZ, so two threads
 * (or one rule file with windows in two zones) cannot use different zones.
 *
 * A loaded tz_t is never modified: any number of threads may use one at once.
 * There is no cache and no global state; load a zone once and keep it.
 *
 * Does not: handle leap-second ("right/") zone files (refused at load), or
 * accept POSIX TZ strings as names. Times are clamped to about +-34,000
 * years around 1970.
 *
 * Local to UTC (tz_from_local*) is ambiguous twice a year; the choice here:
 *   - a wall time in a gap (spring forward, 02:30 on a night that jumps from
 *     02:00 to 03:00) is read with the offset in force before the gap, so it
 *     lands after it: 02:30 becomes 03:30 local (as mktime does);
 *   - a wall time that occurs twice (fall back, 02:30 on a night that goes
 *     from 03:00 back to 02:00) gives the earlier of the two instants.
 */
#ifndef ALERTDESK_TZ_H
#define ALERTDESK_TZ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct tz tz_t;

/* Loads the zone name ("Europe/Amsterdam"). "UTC" works without a file.
 * Returns NULL with a one-line reason in err on failure (for an unknown zone:
 * "unknown time zone \"Mars/Olympus\""). Caller owns the result; free with
 * tz_destroy(). */
tz_t *tz_load(const char *name, char *err, size_t errlen);
/* Accepts NULL; sets *zp to NULL. */
void tz_destroy(tz_t **zp);

/* The name the zone was loaded with. Valid while z lives. */
const char *tz_name(const tz_t *z);

/* Seconds east of UTC in force at unix_s ("Europe/Amsterdam" in summer: 7200). */
int tz_offset(const tz_t *z, int64_t unix_s);
/* Local wall time at unix_s, with tm_wday, tm_yday, tm_isdst, tm_gmtoff and
 * tm_zone filled (tm_zone points into z and is valid while z lives). */
void tz_local(const tz_t *z, int64_t unix_s, struct tm *out);
/* The instant of a local wall time. Reads tm_year, tm_mon, tm_mday, tm_hour,
 * tm_min and tm_sec, which may be out of range (like timegm: day 32 is the
 * next month's first); ignores tm_isdst. Gaps and overlaps as said above. */
int64_t tz_from_local(const tz_t *z, const struct tm *local);

/* The same two conversions on "local seconds": the wall time written as if it
 * were UTC (unix_s + tz_offset(z, unix_s)). Handy for calendar arithmetic:
 * add days to local seconds, then convert back. */
int64_t tz_local_seconds(const tz_t *z, int64_t unix_s);
int64_t tz_from_local_seconds(const tz_t *z, int64_t local_s);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12; out of
 * range days and months carry over), and back. Pure helpers for callers doing
 * calendar arithmetic. */
int64_t tz_days_from_civil(int64_t year, int month, int day);
void tz_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

#endif
