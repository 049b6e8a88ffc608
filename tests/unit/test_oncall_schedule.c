/*
 * test_oncall_schedule - who is on call, as table tests on small schedules
 * parsed from text and on the shipped example (deploy/examples/people.yml):
 * rotations of hours, days and weeks; before the first hand-off; layers
 * and restriction hours; overrides; one participant (no hand-off at all);
 * a hand-off inside the spring gap; the two 2026 DST nights in
 * Europe/Amsterdam (29 March, 25 October) and one in America/New_York
 * (8 March); oncall_shifts() over a day and over an override.
 *
 * Does not test: loading errors (test_notify_people).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "oncall_schedule.h"
#include "unit_check.h"

#define EXAMPLE SOURCE_DIR "/deploy/examples/people.yml"

static int64_t t(const char *rfc3339)
{
    int64_t us = 0;
    if (decode_time_parse(rfc3339, strlen(rfc3339), 0, &us) != 0) {
        printf("FAIL bad time in test: %s\n", rfc3339);
        failures++;
    }
    return us;
}

/* Users a, b, c and one schedule "s" with the given zone and layers. */
static notify_people_t *with_schedule(const char *zone, const char *layers)
{
    char text[2048];
    snprintf(text, sizeof text,
             "users: [{name: a}, {name: b}, {name: c}]\n"
             "schedules:\n"
             "  - name: s\n"
             "    time_zone: %s\n"
             "    layers:\n%s",
             zone, layers);
    notify_people_t *p = NULL;
    char err[1024];
    if (notify_people_parse(text, strlen(text), "test.yml", &p, err, sizeof err) != 0) {
        printf("FAIL parse: %s\n", err);
        failures++;
    }
    return p;
}

typedef struct {
    const char *why; /* what would make it fail */
    const char *zone, *layers;
    const char *at, *who, *until; /* who "" = nobody; until "" = never */
} who_case_t;

static const char L12H[] = "      - {participants: [a, b], rotation: {length: 12h, handoff: "
                           "\"2026-01-01T08:00\"}}\n";
static const char LDAY[] = "      - {participants: [a, b], rotation: {length: 1d, handoff: "
                           "\"2026-03-27T09:00\"}}\n";
static const char LFALL[] = "      - {participants: [a, b], rotation: {length: 1d, handoff: "
                            "\"2026-10-24T09:00\"}}\n";
static const char LNY[] = "      - {participants: [a, b], rotation: {length: 1d, handoff: "
                          "\"2026-03-07T09:00\"}}\n";
static const char LWEEK[] = "      - {participants: [a, b, c], rotation: {length: 1w, handoff: "
                            "\"2026-03-23T09:00\"}}\n";
static const char LGAP[] = "      - {participants: [a, b], rotation: {length: 1d, handoff: "
                           "\"2026-03-28T02:30\"}}\n";
static const char LONE[] = "      - {participants: [a], rotation: {length: 1d, handoff: "
                           "\"2026-01-01T09:00\"}}\n";
static const char LLAYERS[] =
    "      - {participants: [a], rotation: {length: 1w, handoff: \"2026-01-05T00:00\"}}\n"
    "      - participants: [b]\n"
    "        rotation: {length: 1w, handoff: \"2026-01-05T00:00\"}\n"
    "        restriction: {mon-fri: \"18:00-24:00\"}\n";

static const who_case_t who_cases[] = {
    {"before the first hand-off a layer must have nobody", "UTC", L12H, "2026-01-01T07:59:00Z", "",
     "2026-01-01T08:00:00Z"},
    {"12h turns: turn 0 is a's, ending 12 hours later", "UTC", L12H, "2026-01-01T08:00:00Z", "a",
     "2026-01-01T20:00:00Z"},
    {"12h turns: turn 1 is b's", "UTC", L12H, "2026-01-01T20:00:00Z", "b", "2026-01-02T08:00:00Z"},
    {"turn 4 wraps back to a (k mod n)", "UTC", L12H, "2026-01-03T09:00:00Z", "a",
     "2026-01-03T20:00:00Z"},
    /* Spring 2026 in Amsterdam: 29 March, 02:00 CET -> 03:00 CEST. */
    {"the daily 09:00 hand-off must stay 09:00 local: the turn holding the spring night lasts 23h",
     "Europe/Amsterdam", LDAY, "2026-03-28T12:00:00Z", "b", "2026-03-29T07:00:00Z"},
    {"after the spring night 09:00 local is 07:00Z", "Europe/Amsterdam", LDAY,
     "2026-03-29T07:00:00Z", "a", "2026-03-30T07:00:00Z"},
    {"before spring 09:00 local is 08:00Z", "Europe/Amsterdam", LDAY, "2026-03-27T08:00:00Z", "a",
     "2026-03-28T08:00:00Z"},
    /* Fall 2026 in Amsterdam: 25 October, 03:00 CEST -> 02:00 CET. */
    {"the turn holding the fall night lasts 25h (09:00 CEST to 09:00 CET)", "Europe/Amsterdam",
     LFALL, "2026-10-24T12:00:00Z", "a", "2026-10-25T08:00:00Z"},
    {"inside the repeated hour (second 02:30) the same turn still holds", "Europe/Amsterdam", LFALL,
     "2026-10-25T01:30:00Z", "a", "2026-10-25T08:00:00Z"},
    /* New York 2026: 8 March, 02:00 EST -> 03:00 EDT. */
    {"New York: 09:00 EST is 14:00Z, 09:00 EDT the next day 13:00Z", "America/New_York", LNY,
     "2026-03-07T20:00:00Z", "a", "2026-03-08T13:00:00Z"},
    {"weekly turns across the spring night: Monday 09:00 local both weeks", "Europe/Amsterdam",
     LWEEK, "2026-03-25T00:00:00Z", "a", "2026-03-30T07:00:00Z"},
    {"weekly turn 2 is c's", "Europe/Amsterdam", LWEEK, "2026-04-08T00:00:00Z", "c",
     "2026-04-13T07:00:00Z"},
    {"a hand-off at 02:30 on the spring night (no such wall time) happens at the gap's end 03:00",
     "Europe/Amsterdam", LGAP, "2026-03-28T12:00:00Z", "a", "2026-03-29T01:00:00Z"},
    {"a hand-off from a to a is no hand-off: one participant never changes", "UTC", LONE,
     "2026-02-01T00:00:00Z", "a", ""},
    {"outside its restriction the later layer has nobody, so the first layer's a is on call", "UTC",
     LLAYERS, "2026-01-05T12:00:00Z", "a", "2026-01-05T18:00:00Z"},
    {"inside its restriction the later layer wins", "UTC", LLAYERS, "2026-01-05T19:00:00Z", "b",
     "2026-01-06T00:00:00Z"},
    {"the restriction names no weekend: a on Saturday evening until Monday's 18:00", "UTC", LLAYERS,
     "2026-01-10T20:00:00Z", "a", "2026-01-12T18:00:00Z"},
};

static void test_who_table(void)
{
    for (size_t i = 0; i < sizeof who_cases / sizeof who_cases[0]; i++) {
        const who_case_t *c = &who_cases[i];
        notify_people_t *p = with_schedule(c->zone, c->layers);
        if (!p) {
            continue;
        }
        int64_t until = 0;
        bool ovr = true;
        const notify_user_t *u = oncall_who(notify_people_schedule(p, "s"), t(c->at), &until, &ovr);
        const char *name = u ? u->name : "";
        int64_t want_until = *c->until ? t(c->until) : INT64_MAX;
        CHECK(strcmp(name, c->who) == 0 && until == want_until && !ovr,
              "case %zu (%s): at %s got \"%s\" until %lld, want \"%s\" until %s", i, c->why, c->at,
              name, (long long)until, c->who, *c->until ? c->until : "never");
        notify_people_destroy(&p);
    }
}

typedef struct {
    char out[1024];
    int n;
} shifts_t;

static int collect(const oncall_shift_t *s, void *arg)
{
    shifts_t *acc = arg;
    size_t len = strlen(acc->out);
    snprintf(acc->out + len, sizeof acc->out - len, "%s%s %lld-%lld;",
             s->user ? s->user->name : "-", s->is_override ? "*" : "",
             (long long)(s->start_us / 1000000), (long long)(s->end_us / 1000000));
    acc->n++;
    return 0;
}

static int stop_at_first(const oncall_shift_t *s, void *arg)
{
    (void)s;
    (void)arg;
    return 7;
}

static void test_example(void)
{
    char err[1024];
    notify_people_t *p = NULL;
    if (notify_people_load(EXAMPLE, &p, err, sizeof err) != 0) {
        CHECK(0, "example: %s", err);
        return;
    }
    const notify_schedule_t *primary = notify_people_schedule(p, "noc-primary");
    const notify_schedule_t *secondary = notify_people_schedule(p, "noc-secondary");
    int64_t until;
    bool ovr;

    /* Fails if the override is not applied, or applied from the wrong instant. */
    const notify_user_t *u = oncall_who(primary, t("2026-12-24T12:00:00Z"), &until, &ovr);
    CHECK(u && strcmp(u->name, "alice") == 0 && until == t("2026-12-24T17:00:00Z") && !ovr,
          "before the override: %s until %lld", u ? u->name : "-", (long long)until);
    u = oncall_who(primary, t("2026-12-25T12:00:00Z"), &until, &ovr);
    CHECK(u && strcmp(u->name, "dave") == 0 && until == t("2026-12-27T08:00:00Z") && ovr,
          "during the override: %s until %lld ovr %d", u ? u->name : "-", (long long)until, ovr);
    u = oncall_who(primary, t("2026-12-27T08:00:00Z"), &until, &ovr);
    CHECK(u && strcmp(u->name, "alice") == 0 && until == t("2026-12-28T08:00:00Z") && !ovr,
          "after the override: %s until %lld", u ? u->name : "-", (long long)until);

    /* A Tuesday of the secondary: nights layer dave (restriction), daily
     * layer carol (turn 1) and bob (turn 0 until 09:00). Fails if layers
     * are not ordered (later wins) or restriction hours are misplaced. */
    shifts_t acc = {"", 0};
    int n = oncall_shifts(secondary, t("2026-11-30T23:00:00Z"), t("2026-12-01T23:00:00Z"), collect,
                          &acc);
    char want[512];
    snprintf(want, sizeof want, "dave %lld-%lld;bob %lld-%lld;carol %lld-%lld;dave %lld-%lld;",
             (long long)(t("2026-11-30T23:00:00Z") / 1000000),
             (long long)(t("2026-12-01T06:00:00Z") / 1000000),
             (long long)(t("2026-12-01T06:00:00Z") / 1000000),
             (long long)(t("2026-12-01T08:00:00Z") / 1000000),
             (long long)(t("2026-12-01T08:00:00Z") / 1000000),
             (long long)(t("2026-12-01T21:00:00Z") / 1000000),
             (long long)(t("2026-12-01T21:00:00Z") / 1000000),
             (long long)(t("2026-12-01T23:00:00Z") / 1000000));
    CHECK(n == 4 && strcmp(acc.out, want) == 0, "secondary day: %d shifts %s, want %s", n, acc.out,
          want);

    /* Shifts over the override: marked with *, clipped to the window. */
    acc = (shifts_t){"", 0};
    n = oncall_shifts(primary, t("2026-12-24T00:00:00Z"), t("2026-12-28T00:00:00Z"), collect, &acc);
    CHECK(n == 3 && strstr(acc.out, "dave* ") && strncmp(acc.out, "alice ", 6) == 0,
          "override shifts: %d %s", n, acc.out);

    /* Fails if the callback's stop is ignored. */
    CHECK(oncall_shifts(primary, t("2026-12-24T00:00:00Z"), t("2026-12-28T00:00:00Z"),
                        stop_at_first, NULL) == -7,
          "stop");
    notify_people_destroy(&p);
}

int main(void)
{
    test_who_table();
    test_example();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
