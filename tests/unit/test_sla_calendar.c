/*
 * test_sla_calendar - table-driven tests of business time: 24x7 (NULL
 * calendar), a Mon-Fri 09:00-17:00 office in Europe/Amsterdam started
 * inside, before and after hours, on a Friday evening (rolls over the
 * weekend), before and on a holiday, across the 2026 spring-forward
 * (03-29) and fall-back (10-25) nights; whole local days of 23 and 25 hours;
 * a slot inside the DST gap; a year in one call; add() as the inverse of
 * elapsed() on many pseudo-random starts; elapsed() against a minute-by-
 * minute count of is_open(); a calendar with no hours; and SLA clocks:
 * running, warning at 80 %, breach, met, pause and resume moving the due
 * date, a pause after the breach, no target, no warning stage.
 *
 * Does not test: loading calendars from the routing file (test_ticket_routing
 * does), or the zone data (test_tz does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_calendar.h"
#include "tz.h"
#include "unit_check.h"

#define S_US   INT64_C(1000000)
#define MIN_US (60 * S_US)
#define H_US   (60 * MIN_US)

static tz_t *ams_tz;

/* The instant of an Amsterdam wall time (tz.c's reading; tested in test_tz). */
static int64_t ams(int y, int mo, int d, int h, int mi)
{
    int64_t local = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
    return tz_from_local_seconds(ams_tz, local) * S_US;
}

/* A calendar with the same slots on the weekdays in mask (bit 0 = Monday). */
static void cal_init(sla_calendar_t *c, const char *zone, unsigned mask, const sla_hours_t *slots,
                     size_t nslots)
{
    char err[256];
    memset(c, 0, sizeof *c);
    c->name = strdup("test");
    if (zone) {
        c->tz = tz_load(zone, err, sizeof err);
        if (!c->tz) {
            printf("FAIL cannot load %s: %s\n", zone, err);
            exit(1);
        }
    }
    for (int d = 0; d < 7; d++) {
        if (mask & (1u << d)) {
            c->hours[d] = malloc(nslots * sizeof *slots);
            memcpy(c->hours[d], slots, nslots * sizeof *slots);
            c->nhours[d] = nslots;
        }
    }
}

static void cal_holidays(sla_calendar_t *c, const int64_t *days, size_t n)
{
    c->holidays = malloc(n * sizeof *days);
    memcpy(c->holidays, days, n * sizeof *days);
    c->nholidays = n;
}

static const sla_hours_t office_hours[] = {{9 * 60, 17 * 60}};
static const sla_hours_t whole_day[] = {{0, 1440}};
static const sla_hours_t gap_hour[] = {{2 * 60, 3 * 60}};

/* ---- add / elapsed / is_open at chosen instants -------------------------------- */

typedef struct {
    const char *what; /* also what would make it fail */
    const sla_calendar_t *cal;
    int64_t start;
    int64_t business;
    int64_t due; /* expected add(start, business) */
} add_case_t;

static void run_add_cases(const add_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const add_case_t *k = &cases[i];
        int64_t got = sla_calendar_add(k->cal, k->start, k->business);
        CHECK(got == k->due, "%s: add gave %lld, want %lld (off by %lld min)", k->what,
              (long long)got, (long long)k->due, (long long)((got - k->due) / MIN_US));
        int64_t back = sla_calendar_elapsed(k->cal, k->start, k->due);
        CHECK(back == k->business, "%s: elapsed back %lld min, want %lld min", k->what,
              (long long)(back / MIN_US), (long long)(k->business / MIN_US));
    }
}

static void test_add_elapsed(void)
{
    sla_calendar_t office;
    cal_init(&office, "Europe/Amsterdam", 0x1f, office_hours, 1);
    const int64_t xmas[] = {tz_days_from_civil(2026, 12, 25), tz_days_from_civil(2026, 12, 26)};
    cal_holidays(&office, xmas, 2);

    const add_case_t cases[] = {
        /* Fails when NULL is not read as 24x7. */
        {"24x7", NULL, ams(2026, 3, 28, 23, 0), 4 * H_US, ams(2026, 3, 28, 23, 0) + 4 * H_US},
        /* Fails when time inside hours is not counted from the start itself. */
        {"inside hours", &office, ams(2026, 3, 25, 10, 0), 4 * H_US, ams(2026, 3, 25, 14, 0)},
        /* Fails when the rest does not carry to the next morning. */
        {"spills overnight", &office, ams(2026, 3, 25, 15, 0), 4 * H_US, ams(2026, 3, 26, 11, 0)},
        /* Fails when a start before opening counts the early morning. */
        {"before hours", &office, ams(2026, 3, 25, 7, 0), 1 * H_US, ams(2026, 3, 25, 10, 0)},
        /* Fails when a start after closing counts the evening. */
        {"after hours", &office, ams(2026, 3, 25, 18, 0), 1 * H_US, ams(2026, 3, 26, 10, 0)},
        /* Fails when the weekend counts. */
        {"friday evening", &office, ams(2026, 3, 20, 18, 0), 4 * H_US, ams(2026, 3, 23, 13, 0)},
        /* Fails when the spring-forward weekend shifts Monday (10:00 CEST, not 11:00). */
        {"over spring forward", &office, ams(2026, 3, 27, 16, 0), 2 * H_US,
         ams(2026, 3, 30, 10, 0)},
        /* Fails when the fall-back weekend shifts Monday (10:00 CET, not 09:00). */
        {"over fall back", &office, ams(2026, 10, 23, 16, 0), 2 * H_US, ams(2026, 10, 26, 10, 0)},
        /* Fails when a holiday (Friday 12-25) counts. */
        {"before a holiday", &office, ams(2026, 12, 24, 16, 0), 2 * H_US, ams(2026, 12, 28, 10, 0)},
        /* Fails when a start on a holiday counts from the start. */
        {"on a holiday", &office, ams(2026, 12, 25, 10, 0), 1 * H_US, ams(2026, 12, 28, 10, 0)},
        /* Exactly the day's hours: due at closing, not the next opening. */
        {"exactly one day", &office, ams(2026, 3, 25, 9, 0), 8 * H_US, ams(2026, 3, 25, 17, 0)},
        /* Fails when microseconds are rounded to seconds. */
        {"microseconds", &office, ams(2026, 3, 25, 16, 59) + 59 * S_US + 999999, 1,
         ams(2026, 3, 25, 17, 0)},
        /* Zero: the start itself, even outside hours. */
        {"zero at night", &office, ams(2026, 3, 25, 22, 0), 0, ams(2026, 3, 25, 22, 0)},
        /* Two weeks of 8h days: 10 working days from Monday morning. */
        {"80 hours", &office, ams(2026, 6, 1, 9, 0), 80 * H_US, ams(2026, 6, 12, 17, 0)},
    };
    run_add_cases(cases, sizeof cases / sizeof cases[0]);

    /* Negative business time is the start too; elapsed of an empty or reversed span is 0. */
    CHECK(sla_calendar_add(&office, 42, -5) == 42, "negative add");
    CHECK(sla_calendar_elapsed(&office, 100, 100) == 0, "empty span");
    CHECK(sla_calendar_elapsed(&office, 100, 50) == 0, "reversed span");
    CHECK(sla_calendar_elapsed(NULL, 100, 50) == 0, "reversed span 24x7");

    /* A whole year (2026: 261 weekdays, one of them Christmas) in one call;
     * fails when elapsed misses days or counts the holiday. */
    int64_t year = sla_calendar_elapsed(&office, ams(2026, 1, 1, 0, 0), ams(2027, 1, 1, 0, 0));
    CHECK(year == 260 * 8 * H_US, "2026 has %lld business hours, want %d", (long long)(year / H_US),
          260 * 8);

    /* is_open at the edges. */
    struct {
        const char *what;
        int64_t at;
        bool open;
    } opens[] = {
        {"08:59:59.999999", ams(2026, 3, 25, 9, 0) - 1, false},
        {"09:00", ams(2026, 3, 25, 9, 0), true},
        {"16:59", ams(2026, 3, 25, 16, 59), true},
        {"17:00 (end is exclusive)", ams(2026, 3, 25, 17, 0), false},
        {"Saturday noon", ams(2026, 3, 28, 12, 0), false},
        {"holiday noon", ams(2026, 12, 25, 12, 0), false},
        {"Monday after spring forward 09:30 CEST", ams(2026, 3, 30, 9, 30), true},
        {"Monday after spring forward 08:30 CEST", ams(2026, 3, 30, 8, 30), false},
        {"Monday after fall back 16:30 CET", ams(2026, 10, 26, 16, 30), true},
        {"Monday after fall back 17:30 CET", ams(2026, 10, 26, 17, 30), false},
    };
    for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++) {
        CHECK(sla_calendar_is_open(&office, opens[i].at) == opens[i].open, "is_open %s",
              opens[i].what);
    }
    CHECK(sla_calendar_is_open(NULL, 0), "24x7 is always open");
    sla_calendar_free(&office);
    CHECK(office.name == NULL && office.tz == NULL && office.nhours[0] == 0, "free zeroes");
    sla_calendar_free(NULL);
}

/* Local days of 23 and 25 hours, and office hours on a DST Sunday. */
static void test_dst_days(void)
{
    sla_calendar_t all, every_day, gap;
    cal_init(&all, "Europe/Amsterdam", 0x7f, whole_day, 1);
    cal_init(&every_day, "Europe/Amsterdam", 0x7f, office_hours, 1);
    cal_init(&gap, "Europe/Amsterdam", 0x40, gap_hour, 1); /* Sundays 02:00-03:00 */
    struct {
        const char *what; /* fails when ... */
        const sla_calendar_t *cal;
        int64_t from, to, want;
    } cases[] = {
        {"spring-forward Sunday lasts 23h", &all, ams(2026, 3, 29, 0, 0), ams(2026, 3, 30, 0, 0),
         23 * H_US},
        {"fall-back Sunday lasts 25h", &all, ams(2026, 10, 25, 0, 0), ams(2026, 10, 26, 0, 0),
         25 * H_US},
        {"09-17 on spring-forward Sunday is 8h", &every_day, ams(2026, 3, 29, 0, 0),
         ams(2026, 3, 30, 0, 0), 8 * H_US},
        {"09-17 on fall-back Sunday is 8h", &every_day, ams(2026, 10, 25, 0, 0),
         ams(2026, 10, 26, 0, 0), 8 * H_US},
        {"a slot inside the gap is empty", &gap, ams(2026, 3, 29, 0, 0), ams(2026, 3, 30, 0, 0), 0},
        {"the same slot a week earlier is 1h", &gap, ams(2026, 3, 22, 0, 0), ams(2026, 3, 23, 0, 0),
         H_US},
        {"the repeated hour counts twice", &gap, ams(2026, 10, 25, 0, 0), ams(2026, 10, 26, 0, 0),
         2 * H_US},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = sla_calendar_elapsed(cases[i].cal, cases[i].from, cases[i].to);
        CHECK(got == cases[i].want, "%s: got %lld min", cases[i].what, (long long)(got / MIN_US));
    }
    /* Fails when the 02:00-03:00 gap slot is shifted to 03:00-04:00 instead of emptied. */
    CHECK(!sla_calendar_is_open(&gap, ams(2026, 3, 29, 3, 30)), "gap slot shifted");
    CHECK(sla_calendar_add(&gap, ams(2026, 3, 28, 12, 0), 30 * MIN_US) == ams(2026, 4, 5, 2, 30),
          "add skips the empty gap slot to the next Sunday");
    /* Midday across the spring-forward night: Saturday 12:00 + 8h of 09-17 = Sunday 12:00 CEST. */
    CHECK(sla_calendar_add(&every_day, ams(2026, 3, 28, 12, 0), 8 * H_US) ==
              ams(2026, 3, 29, 12, 0),
          "Sunday after spring forward");
    sla_calendar_free(&all);
    sla_calendar_free(&every_day);
    sla_calendar_free(&gap);
}

/* add() is the inverse of elapsed() and gives the earliest such instant;
 * elapsed() agrees with counting is_open() minute by minute. */
static void test_inverse(void)
{
    sla_calendar_t office, split, all;
    const sla_hours_t two[] = {{8 * 60, 12 * 60}, {13 * 60, 17 * 60 + 30}};
    cal_init(&office, "Europe/Amsterdam", 0x1f, office_hours, 1);
    cal_init(&split, "America/New_York", 0x3f, two, 2);
    cal_init(&all, NULL, 0x7f, whole_day, 1);
    const int64_t hol[] = {tz_days_from_civil(2026, 3, 30), tz_days_from_civil(2026, 11, 2)};
    cal_holidays(&office, hol, 2);
    const sla_calendar_t *cals[] = {&office, &split, &all, NULL};
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    int64_t base = ams(2026, 1, 1, 0, 0), span = 365 * 24 * H_US;
    for (int i = 0; i < 4000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        const sla_calendar_t *cal = cals[i % 4];
        int64_t start = base + (int64_t)((seed >> 11) % (uint64_t)span);
        int64_t d = (int64_t)((seed >> 3) % (uint64_t)(60 * H_US));
        int64_t end = sla_calendar_add(cal, start, d);
        int64_t back = sla_calendar_elapsed(cal, start, end);
        /* Fails when add and elapsed disagree anywhere (DST, holidays, split days). */
        CHECK(back == d && end >= start, "case %d: elapsed(add(%lld, %lld)) = %lld", i,
              (long long)start, (long long)d, (long long)back);
        /* Fails when add overshoots: one microsecond earlier is not enough. */
        CHECK(d == 0 || sla_calendar_elapsed(cal, start, end - 1) == d - 1, "case %d: not earliest",
              i);
    }
    /* Minute by minute over the two DST weeks and the holiday week. */
    const int64_t weeks[] = {ams(2026, 3, 26, 0, 0), ams(2026, 10, 22, 0, 0),
                             ams(2026, 10, 29, 7, 0)};
    for (size_t w = 0; w < 3; w++) {
        for (size_t k = 0; k < 2; k++) {
            const sla_calendar_t *cal = k ? (const sla_calendar_t *)&split : &office;
            int64_t count = 0;
            for (int64_t t = weeks[w]; t < weeks[w] + 7 * 24 * H_US; t += MIN_US) {
                count += sla_calendar_is_open(cal, t) ? MIN_US : 0;
            }
            int64_t got = sla_calendar_elapsed(cal, weeks[w], weeks[w] + 7 * 24 * H_US);
            CHECK(got == count, "week %zu calendar %zu: elapsed %lld min, is_open %lld min", w, k,
                  (long long)(got / MIN_US), (long long)(count / MIN_US));
        }
    }
    sla_calendar_free(&office);
    sla_calendar_free(&split);
    sla_calendar_free(&all);
}

/* A calendar with no open hours at all (or only holidays in the way). */
static void test_no_hours(void)
{
    sla_calendar_t none;
    cal_init(&none, "Europe/Amsterdam", 0, NULL, 0);
    /* Fails (hangs) when add keeps looking for an opening that never comes. */
    CHECK(sla_calendar_add(&none, 0, H_US) == INT64_MAX, "no hours: add");
    CHECK(sla_calendar_add(&none, 5, 0) == 5, "no hours: add 0");
    CHECK(sla_calendar_elapsed(&none, 0, 1000 * 24 * H_US) == 0, "no hours: elapsed");
    CHECK(!sla_calendar_is_open(&none, 0), "no hours: is_open");
    CHECK(!sla_calendar_has_hours(&none) && sla_calendar_has_hours(NULL), "has_hours");
    sla_clock_t c = {.started_us = H_US, .target_us = H_US};
    int64_t warn = 0, due = 0;
    sla_clock_deadlines(&none, &c, 800, 2 * H_US, &warn, &due);
    CHECK(warn == INT64_MAX && due == INT64_MAX, "no hours: deadlines never");
    CHECK(sla_clock_status(&none, &c, 800, 1000 * H_US) == SLA_RUNNING, "no hours: never breaches");
    /* Absurd targets end at INT64_MAX rather than looping for ever. */
    CHECK(sla_calendar_add(NULL, INT64_MAX - 5, 10) == INT64_MAX, "24x7 overflow");
    sla_calendar_free(&none);
    /* Weekday numbering: 1970-01-01 was a Thursday; 2026-03-30 a Monday. */
    CHECK(sla_calendar_weekday(0) == 3 && sla_calendar_weekday(-1) == 2 &&
              sla_calendar_weekday(tz_days_from_civil(2026, 3, 30)) == 0,
          "weekday");
}

/* ---- SLA clocks -------------------------------------------------------------------- */

typedef struct {
    const char *what; /* fails when the status, the used time or a deadline differs */
    sla_clock_t c;
    int warn_permille;
    int64_t now;
    sla_status_t status;
    int64_t used, warn_at, due_at;
} clock_case_t;

static void test_clocks(void)
{
    const int64_t T = ams(2026, 5, 6, 10, 0); /* a Wednesday */
    const int64_t M = MIN_US, NEVER = INT64_MAX;
    const clock_case_t cases[] = {
        {"running",
         {T, 60 * M, 0, 0, 0},
         800,
         T + 30 * M,
         SLA_RUNNING,
         30 * M,
         T + 48 * M,
         T + 60 * M},
        {"warning at 80 %",
         {T, 60 * M, 0, 0, 0},
         800,
         T + 48 * M,
         SLA_WARNING,
         48 * M,
         T + 48 * M,
         T + 60 * M},
        {"just before the warning",
         {T, 60 * M, 0, 0, 0},
         800,
         T + 48 * M - 1,
         SLA_RUNNING,
         48 * M - 1,
         T + 48 * M,
         T + 60 * M},
        {"due instant is still warning",
         {T, 60 * M, 0, 0, 0},
         800,
         T + 60 * M,
         SLA_WARNING,
         60 * M,
         T + 48 * M,
         T + 60 * M},
        {"breached",
         {T, 60 * M, 0, 0, 0},
         800,
         T + 61 * M,
         SLA_BREACHED,
         61 * M,
         T + 48 * M,
         T + 60 * M},
        {"met: stopped inside the target",
         {T, 60 * M, 0, 0, T + 50 * M},
         800,
         T + 5 * 60 * M,
         SLA_MET,
         50 * M,
         NEVER,
         NEVER},
        {"stopped late stays breached",
         {T, 60 * M, 0, 0, T + 70 * M},
         800,
         T + 5 * 60 * M,
         SLA_BREACHED,
         70 * M,
         NEVER,
         NEVER},
        {"paused: the running pause pushes both out",
         {T, 60 * M, 0, T + 20 * M, 0},
         800,
         T + 40 * M,
         SLA_PAUSED,
         20 * M,
         T + 68 * M,
         T + 80 * M},
        {"paused longer: pushed further",
         {T, 60 * M, 0, T + 20 * M, 0},
         800,
         T + 100 * M,
         SLA_PAUSED,
         20 * M,
         T + 128 * M,
         T + 140 * M},
        {"resumed: the finished pause pushes both out",
         {T, 60 * M, 30 * M, 0, 0},
         800,
         T + 60 * M,
         SLA_RUNNING,
         30 * M,
         T + 78 * M,
         T + 90 * M},
        {"paused after the warning: warning stays in the past",
         {T, 60 * M, 0, T + 50 * M, 0},
         800,
         T + 55 * M,
         SLA_PAUSED,
         50 * M,
         T + 48 * M,
         T + 65 * M},
        {"paused after the breach stays breached",
         {T, 60 * M, 0, T + 70 * M, 0},
         800,
         T + 80 * M,
         SLA_BREACHED,
         70 * M,
         T + 48 * M,
         T + 60 * M},
        {"no target", {T, 0, 0, 0, 0}, 800, T + 1000 * M, SLA_NONE, 1000 * M, NEVER, NEVER},
        {"no warning stage (0)",
         {T, 60 * M, 0, 0, 0},
         0,
         T + 59 * M,
         SLA_RUNNING,
         59 * M,
         NEVER,
         T + 60 * M},
        {"warn_at 100 %",
         {T, 60 * M, 0, 0, 0},
         1000,
         T + 60 * M,
         SLA_WARNING,
         60 * M,
         T + 60 * M,
         T + 60 * M},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const clock_case_t *k = &cases[i];
        int64_t warn = 0, due = 0;
        sla_status_t st = sla_clock_status(NULL, &k->c, k->warn_permille, k->now);
        int64_t used = sla_clock_used(NULL, &k->c, k->now);
        sla_clock_deadlines(NULL, &k->c, k->warn_permille, k->now, &warn, &due);
        CHECK(st == k->status, "%s: status %s", k->what, sla_status_name(st));
        CHECK(used == k->used, "%s: used %lld", k->what, (long long)used);
        CHECK(warn == k->warn_at && due == k->due_at, "%s: warn %lld due %lld (want %lld %lld)",
              k->what, (long long)(warn == NEVER ? -1 : (warn - T) / M),
              (long long)(due == NEVER ? -1 : (due - T) / M),
              (long long)(k->warn_at == NEVER ? -1 : (k->warn_at - T) / M),
              (long long)(k->due_at == NEVER ? -1 : (k->due_at - T) / M));
    }
    /* Either out pointer may be NULL. */
    sla_clock_t c = {T, 60 * M, 0, 0, 0};
    int64_t due = 0;
    sla_clock_deadlines(NULL, &c, 800, T, NULL, &due);
    CHECK(due == T + 60 * M, "warn NULL");

    /* Office hours: a 4h response target set on Friday 16:00 is due Monday
     * 12:00 with the warning (80 % = 3h12m) at 11:12; fails when the weekend
     * counts or the pause over the weekend is counted twice. */
    sla_calendar_t office;
    cal_init(&office, "Europe/Amsterdam", 0x1f, office_hours, 1);
    sla_clock_t oc = {ams(2026, 3, 27, 16, 0), 4 * H_US, 0, 0, 0};
    int64_t warn = 0;
    sla_clock_deadlines(&office, &oc, 800, ams(2026, 3, 28, 12, 0), &warn, &due);
    CHECK(due == ams(2026, 3, 30, 12, 0) && warn == ams(2026, 3, 30, 11, 12),
          "office clock over the DST weekend");
    CHECK(sla_clock_status(&office, &oc, 800, ams(2026, 3, 29, 12, 0)) == SLA_RUNNING,
          "office clock on Sunday: running, not warning");
    CHECK(sla_clock_used(&office, &oc, ams(2026, 3, 30, 10, 0)) == 2 * H_US, "office used");
    /* Pending from Monday 10:00 to Tuesday 10:00 (8 business hours paused). */
    oc.paused_business_us =
        sla_calendar_elapsed(&office, ams(2026, 3, 30, 10, 0), ams(2026, 3, 31, 10, 0));
    sla_clock_deadlines(&office, &oc, 800, ams(2026, 3, 31, 10, 0), NULL, &due);
    CHECK(oc.paused_business_us == 8 * H_US && due == ams(2026, 3, 31, 12, 0),
          "office clock after a day pending");
    sla_calendar_free(&office);

    for (int s = SLA_NONE; s <= SLA_PAUSED; s++) {
        const char *names[] = {"none", "running", "warning", "breached", "met", "paused"};
        CHECK(strcmp(sla_status_name((sla_status_t)s), names[s]) == 0, "status name %d", s);
    }
    CHECK(strcmp(sla_status_name((sla_status_t)42), "?") == 0, "status name out of range");
}

int main(void)
{
    char err[256];
    ams_tz = tz_load("Europe/Amsterdam", err, sizeof err);
    if (!ams_tz) {
        printf("FAIL cannot load Europe/Amsterdam: %s\n", err);
        return 1;
    }
    test_add_elapsed();
    test_dst_days();
    test_inverse();
    test_no_hours();
    test_clocks();
    tz_destroy(&ams_tz);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
