/*
 * test_tz - table-driven tests of tz.c against known facts: DST switches in
 * Europe/Amsterdam, America/New_York and Australia/Sydney (southern), the
 * half-hour Asia/Kolkata, dates far past the last transition (the footer
 * rule), local -> UTC round trips, the gap and overlap choices, errors, and
 * a sweep comparing every offset with glibc's own reading of the same files.
 *
 * Does not test: the zoneinfo data itself (Debian's tzdata).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz.h"
#include "unit_check.h"

/* Unix seconds of a UTC date-time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static tz_t *load(const char *name)
{
    char err[256];
    tz_t *z = tz_load(name, err, sizeof err);
    if (!z) {
        printf("FAIL cannot load %s: %s\n", name, err);
        exit(1);
    }
    return z;
}

/* ---- tz_offset and tz_local at chosen instants ---------------------------- */

typedef struct {
    const char *zone;
    int64_t t;
    int offset;        /* seconds east */
    const char *local; /* "YYYY-MM-DD HH:MM:SS" */
    int isdst;
    const char *abbr;
    int wday;
} offset_case_t;

static void test_offsets(void)
{
    const offset_case_t cases[] = {
        /* Europe/Amsterdam: 2026-03-29 01:00Z +1h -> +2h, 2026-10-25 01:00Z back. */
        {"Europe/Amsterdam", utc(2026, 3, 29, 0, 59, 59), 3600, "2026-03-29 01:59:59", 0, "CET", 0},
        {"Europe/Amsterdam", utc(2026, 3, 29, 1, 0, 0), 7200, "2026-03-29 03:00:00", 1, "CEST", 0},
        {"Europe/Amsterdam", utc(2026, 10, 25, 0, 59, 59), 7200, "2026-10-25 02:59:59", 1, "CEST",
         0},
        {"Europe/Amsterdam", utc(2026, 10, 25, 1, 0, 0), 3600, "2026-10-25 02:00:00", 0, "CET", 0},
        {"Europe/Amsterdam", utc(2026, 7, 1, 12, 0, 0), 7200, "2026-07-01 14:00:00", 1, "CEST", 3},
        /* Before the first transition: local mean time (type 0). */
        {"Europe/Amsterdam", utc(1800, 1, 1, 0, 0, 0), 1172, "1800-01-01 00:19:32", 0, "LMT", 3},
        /* America/New_York: 2026-03-08 07:00Z EST -> EDT; 2026-11-01 06:00Z back. */
        {"America/New_York", utc(2026, 3, 8, 6, 59, 59), -18000, "2026-03-08 01:59:59", 0, "EST",
         0},
        {"America/New_York", utc(2026, 3, 8, 7, 0, 0), -14400, "2026-03-08 03:00:00", 1, "EDT", 0},
        {"America/New_York", utc(2026, 11, 1, 5, 59, 59), -14400, "2026-11-01 01:59:59", 1, "EDT",
         0},
        {"America/New_York", utc(2026, 11, 1, 6, 0, 0), -18000, "2026-11-01 01:00:00", 0, "EST", 0},
        /* Australia/Sydney, southern: DST ends 2026-04-05, starts 2026-10-04. */
        {"Australia/Sydney", utc(2026, 1, 15, 0, 0, 0), 39600, "2026-01-15 11:00:00", 1, "AEDT", 4},
        {"Australia/Sydney", utc(2026, 4, 4, 15, 59, 59), 39600, "2026-04-05 02:59:59", 1, "AEDT",
         0},
        {"Australia/Sydney", utc(2026, 4, 4, 16, 0, 0), 36000, "2026-04-05 02:00:00", 0, "AEST", 0},
        {"Australia/Sydney", utc(2026, 10, 3, 15, 59, 59), 36000, "2026-10-04 01:59:59", 0, "AEST",
         0},
        {"Australia/Sydney", utc(2026, 10, 3, 16, 0, 0), 39600, "2026-10-04 03:00:00", 1, "AEDT",
         0},
        /* Asia/Kolkata: +5:30 all year. */
        {"Asia/Kolkata", utc(2026, 1, 1, 0, 0, 0), 19800, "2026-01-01 05:30:00", 0, "IST", 4},
        {"Asia/Kolkata", utc(2026, 7, 1, 18, 30, 0), 19800, "2026-07-02 00:00:00", 0, "IST", 4},
        /* Far past the last transition: the footer rule decides. */
        {"Europe/Amsterdam", utc(2040, 3, 25, 0, 59, 59), 3600, "2040-03-25 01:59:59", 0, "CET", 0},
        {"Europe/Amsterdam", utc(2040, 3, 25, 1, 0, 0), 7200, "2040-03-25 03:00:00", 1, "CEST", 0},
        {"Europe/Amsterdam", utc(2040, 10, 28, 1, 0, 0), 3600, "2040-10-28 02:00:00", 0, "CET", 0},
        {"America/New_York", utc(2040, 7, 4, 16, 0, 0), -14400, "2040-07-04 12:00:00", 1, "EDT", 3},
        {"Australia/Sydney", utc(2040, 7, 1, 0, 0, 0), 36000, "2040-07-01 10:00:00", 0, "AEST", 0},
        {"Australia/Sydney", utc(2040, 12, 25, 0, 0, 0), 39600, "2040-12-25 11:00:00", 1, "AEDT",
         2},
        {"Europe/Amsterdam", utc(2100, 3, 28, 1, 0, 0), 7200, "2100-03-28 03:00:00", 1, "CEST", 0},
        {"UTC", utc(2026, 3, 29, 1, 0, 0), 0, "2026-03-29 01:00:00", 0, "UTC", 0},
        {"UTC", -1, 0, "1969-12-31 23:59:59", 0, "UTC", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const offset_case_t *c = &cases[i];
        tz_t *z = load(c->zone);
        int off = tz_offset(z, c->t);
        CHECK(off == c->offset, "%s at %lld: offset %d, want %d", c->zone, (long long)c->t, off,
              c->offset);
        struct tm tm;
        tz_local(z, c->t, &tm);
        char buf[64];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        CHECK(strcmp(buf, c->local) == 0, "%s at %lld: local %s, want %s", c->zone, (long long)c->t,
              buf, c->local);
        CHECK(tm.tm_isdst == c->isdst, "%s %s: isdst %d", c->zone, c->local, tm.tm_isdst);
        CHECK(tm.tm_gmtoff == c->offset, "%s %s: gmtoff %ld", c->zone, c->local, tm.tm_gmtoff);
        CHECK(strcmp(tm.tm_zone, c->abbr) == 0, "%s %s: abbr %s, want %s", c->zone, c->local,
              tm.tm_zone, c->abbr);
        CHECK(tm.tm_wday == c->wday, "%s %s: wday %d, want %d", c->zone, c->local, tm.tm_wday,
              c->wday);
        tz_destroy(&z);
        CHECK(z == NULL, "tz_destroy must null the pointer");
    }
}

/* ---- Local -> UTC: plain, gap, overlap ------------------------------------ */

typedef struct {
    const char *zone;
    int y, mo, d, h, mi, s; /* local wall time */
    int64_t want;           /* UTC */
    const char *why;
} from_local_case_t;

static void test_from_local(void)
{
    const from_local_case_t cases[] = {
        {"Europe/Amsterdam", 2026, 7, 1, 14, 0, 0, utc(2026, 7, 1, 12, 0, 0), "summer"},
        {"Europe/Amsterdam", 2026, 1, 15, 9, 30, 0, utc(2026, 1, 15, 8, 30, 0), "winter"},
        /* Gap: 02:00-03:00 does not exist on 2026-03-29; read with +1h (the
         * offset before), so 02:30 is 01:30Z, i.e. 03:30 CEST. */
        {"Europe/Amsterdam", 2026, 3, 29, 2, 0, 0, utc(2026, 3, 29, 1, 0, 0), "gap start"},
        {"Europe/Amsterdam", 2026, 3, 29, 2, 30, 0, utc(2026, 3, 29, 1, 30, 0), "gap middle"},
        {"Europe/Amsterdam", 2026, 3, 29, 3, 0, 0, utc(2026, 3, 29, 1, 0, 0), "gap end"},
        {"Europe/Amsterdam", 2026, 3, 29, 1, 59, 59, utc(2026, 3, 29, 0, 59, 59), "before gap"},
        /* Overlap: 02:00-03:00 happens twice on 2026-10-25; the earlier (CEST). */
        {"Europe/Amsterdam", 2026, 10, 25, 2, 30, 0, utc(2026, 10, 25, 0, 30, 0), "overlap"},
        {"Europe/Amsterdam", 2026, 10, 25, 3, 0, 0, utc(2026, 10, 25, 2, 0, 0), "after overlap"},
        {"Europe/Amsterdam", 2026, 10, 25, 1, 59, 59, utc(2026, 10, 24, 23, 59, 59),
         "before overlap"},
        {"America/New_York", 2026, 3, 8, 2, 30, 0, utc(2026, 3, 8, 7, 30, 0), "NY gap"},
        {"America/New_York", 2026, 11, 1, 1, 30, 0, utc(2026, 11, 1, 5, 30, 0), "NY overlap"},
        {"Australia/Sydney", 2026, 10, 4, 2, 30, 0, utc(2026, 10, 3, 16, 30, 0), "Sydney gap"},
        {"Australia/Sydney", 2026, 4, 5, 2, 30, 0, utc(2026, 4, 4, 15, 30, 0), "Sydney overlap"},
        {"Asia/Kolkata", 2026, 7, 2, 0, 0, 0, utc(2026, 7, 1, 18, 30, 0), "Kolkata"},
        /* Footer rule far in the future: gap and overlap too. */
        {"Europe/Amsterdam", 2040, 3, 25, 2, 30, 0, utc(2040, 3, 25, 1, 30, 0), "2040 gap"},
        {"Europe/Amsterdam", 2040, 10, 28, 2, 30, 0, utc(2040, 10, 28, 0, 30, 0), "2040 overlap"},
        /* Out-of-range fields carry over like timegm: 2026-02-30 is 03-02. */
        {"UTC", 2026, 2, 30, 25, 0, 0, utc(2026, 3, 3, 1, 0, 0), "carry"},
        {"Europe/Amsterdam", 2026, 13, 1, 0, 0, 0, utc(2026, 12, 31, 23, 0, 0), "month 13"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const from_local_case_t *c = &cases[i];
        tz_t *z = load(c->zone);
        struct tm tm = {.tm_year = c->y - 1900,
                        .tm_mon = c->mo - 1,
                        .tm_mday = c->d,
                        .tm_hour = c->h,
                        .tm_min = c->mi,
                        .tm_sec = c->s,
                        .tm_isdst = -1};
        int64_t got = tz_from_local(z, &tm);
        CHECK(got == c->want, "%s (%s): got %lld, want %lld", c->zone, c->why, (long long)got,
              (long long)c->want);
        tz_destroy(&z);
    }
}

/* Every half hour of 2020-2045: local -> UTC -> local gives the same wall
 * time, and the same instant except for the later instant of an overlap
 * (where the earlier one is the documented answer). */
static void test_round_trip(void)
{
    const char *zones[] = {"Europe/Amsterdam", "America/New_York",    "Australia/Sydney",
                           "Asia/Kolkata",     "Australia/Lord_Howe", "UTC"};
    for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
        tz_t *z = load(zones[zi]);
        int bad = 0;
        for (int64_t t = utc(2020, 1, 1, 0, 0, 0); t < utc(2046, 1, 1, 0, 0, 0) && bad < 3;
             t += 1800) {
            struct tm tm;
            tz_local(z, t, &tm);
            int64_t back = tz_from_local(z, &tm);
            int64_t ls = tz_local_seconds(z, t);
            if (back != t) {
                /* Allowed only in an overlap: an earlier instant, same wall time. */
                if (!(back < t && tz_local_seconds(z, back) == ls)) {
                    bad++;
                    CHECK(0, "%s: round trip of %lld gave %lld", zones[zi], (long long)t,
                          (long long)back);
                }
            }
            CHECK(tz_from_local_seconds(z, ls) == back, "%s: from_local_seconds differs at %lld",
                  zones[zi], (long long)t);
        }
        tz_destroy(&z);
    }
}

/* The same files read by glibc (TZ set in this single-threaded test):
 * every 6 hours from 1900 to 2060, offsets must agree. */
static void test_against_libc(void)
{
    const char *zones[] = {"Europe/Amsterdam", "America/New_York",  "Australia/Sydney",
                           "Asia/Kolkata",     "America/Sao_Paulo", "Pacific/Chatham",
                           "Europe/Dublin",    "Africa/Casablanca"};
    for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
        tz_t *z = load(zones[zi]);
        setenv("TZ", zones[zi], 1);
        tzset();
        int bad = 0;
        for (int64_t t = utc(1900, 1, 1, 0, 0, 0); t < utc(2060, 1, 1, 0, 0, 0) && bad < 3;
             t += 6 * 3600) {
            time_t tt = (time_t)t;
            struct tm ref;
            localtime_r(&tt, &ref);
            int off = tz_offset(z, t);
            if (off != ref.tm_gmtoff) {
                bad++;
                CHECK(0, "%s at %lld: offset %d, glibc %ld", zones[zi], (long long)t, off,
                      ref.tm_gmtoff);
            }
        }
        tz_destroy(&z);
    }
    unsetenv("TZ");
    tzset();
}

/* ---- Errors and names ------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *err;
} error_case_t;

static void test_errors(void)
{
    const error_case_t cases[] = {
        {"Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\""},
        {"Europe", "unknown time zone \"Europe\""}, /* a directory */
        {"../../etc/passwd", "invalid time zone name \"../../etc/passwd\""},
        {"/etc/localtime", "invalid time zone name \"/etc/localtime\""},
        {"Europe/../../../etc/passwd", "invalid time zone name \"Europe/../../../etc/passwd\""},
        {"", "invalid time zone name \"\""},
        {"Europe/Amster dam", "invalid time zone name \"Europe/Amster dam\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        tz_t *z = tz_load(cases[i].name, err, sizeof err);
        CHECK(z == NULL, "%s: loaded", cases[i].name);
        CHECK(strcmp(err, cases[i].err) == 0, "%s: error \"%s\", want \"%s\"", cases[i].name, err,
              cases[i].err);
        tz_destroy(&z);
    }
    /* A file that is no TZif file. */
    char err[256] = "";
    setenv("TZDIR", SOURCE_DIR, 1);
    tz_t *z = tz_load("CMakeLists.txt", err, sizeof err);
    CHECK(z == NULL && strstr(err, "not a TZif file"), "non-TZif file: %s", err);
    /* TZDIR overrides the directory; UTC needs no file at all. */
    setenv("TZDIR", "/nonexistent-zoneinfo", 1);
    z = tz_load("Europe/Amsterdam", err, sizeof err);
    CHECK(z == NULL && strcmp(err, "unknown time zone \"Europe/Amsterdam\"") == 0,
          "TZDIR ignored: %s", err);
    z = tz_load("UTC", err, sizeof err);
    CHECK(z && tz_offset(z, 0) == 0 && strcmp(tz_name(z), "UTC") == 0, "UTC without a file");
    tz_destroy(&z);
    unsetenv("TZDIR");
    /* Leap-second files are refused rather than misread. */
    FILE *f = fopen("/usr/share/zoneinfo/right/UTC", "rb");
    if (f) {
        fclose(f);
        z = tz_load("right/UTC", err, sizeof err);
        CHECK(z == NULL && strstr(err, "leap-second"), "right/UTC: %s", err);
    }
    tz_destroy(NULL);
}

/* ---- Calendar helpers ------------------------------------------------------ */

static void test_civil(void)
{
    CHECK(tz_days_from_civil(1970, 1, 1) == 0, "epoch");
    CHECK(tz_days_from_civil(2000, 3, 1) == 11017, "2000-03-01");
    CHECK(tz_days_from_civil(1969, 12, 31) == -1, "1969-12-31");
    CHECK(tz_days_from_civil(2026, 0, 1) == tz_days_from_civil(2025, 12, 1), "month 0");
    for (int64_t d = -800000; d < 800000; d += 37) {
        int64_t y;
        int m, dd;
        tz_civil_from_days(d, &y, &m, &dd);
        CHECK(tz_days_from_civil(y, m, dd) == d, "civil round trip %lld", (long long)d);
    }
    /* Extreme inputs are clamped, not overflowed (UBSan watches). */
    tz_t *z = load("Europe/Amsterdam");
    struct tm tm;
    tz_local(z, INT64_MAX, &tm);
    tz_local(z, INT64_MIN, &tm);
    (void)tz_from_local_seconds(z, INT64_MAX);
    (void)tz_from_local_seconds(z, INT64_MIN);
    tz_destroy(&z);
}

int main(void)
{
    test_offsets();
    test_from_local();
    test_round_trip();
    test_against_libc();
    test_errors();
    test_civil();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
