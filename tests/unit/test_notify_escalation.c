/*
 * test_notify_escalation - escalation timelines with a controlled clock, on
 * the shipped example's policies (deploy/examples/people.yml) and on small
 * ones parsed from text: no ack -> the next level after the delay; ack
 * before the delay -> nothing more; repeat N passes then stop; resolve
 * stops everything; an SLA breach jumps to a level; a reminder after ack;
 * a level that reaches nobody is skipped at once; a policy that reaches
 * nobody at all; target resolution (schedule, team with and without a
 * schedule, deduplication).
 *
 * Does not test: schedule arithmetic (test_oncall_schedule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "notify_escalation.h"
#include "unit_check.h"

#define EXAMPLE SOURCE_DIR "/deploy/examples/people.yml"
#define MIN     (60 * INT64_C(1000000))

static int64_t T; /* Tuesday 2026-12-01 12:00Z: primary alice, secondary carol */

/* The names of a page, "alice,dave". */
static const char *names(const notify_esc_step_t *s, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < s->users.n; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s", i ? "," : "", s->users.users[i]->name);
    }
    return buf;
}

/* One due() call: checks action, level and who. */
static void expect(const notify_policy_t *pol, notify_escalation_t *st, int64_t now,
                   notify_esc_action_t action, int level, const char *who, const char *why)
{
    notify_esc_step_t s;
    char buf[256];
    notify_escalation_due(pol, st, now, &s);
    names(&s, buf, sizeof buf);
    CHECK(s.action == action &&
              (action != NOTIFY_ESC_PAGE || (s.level == level && strcmp(buf, who) == 0)),
          "%s: got action %d level %d [%s], want %d level %d [%s]", why, s.action, s.level, buf,
          action, level, who);
    notify_esc_step_clear(&s);
}

static void test_example_timelines(const notify_people_t *p)
{
    const notify_policy_t *p1 = notify_people_policy(p, "noc-p1");
    const notify_policy_t *def = notify_people_policy(p, "noc-default");
    notify_escalation_t st;

    /* No ack: level 0 at once, level 1 only after 5m, level 2 after 10m
     * more. Fails if delays are counted from the wrong level or start. */
    notify_escalation_start(&st, T);
    expect(p1, &st, T, NOTIFY_ESC_PAGE, 0, "alice", "open pages level 0");
    CHECK(st.next_at_us == T + 5 * MIN, "next after level 0: %lld", (long long)st.next_at_us);
    expect(p1, &st, T + 4 * MIN, NOTIFY_ESC_NONE, 0, "", "inside the 5m delay");
    expect(p1, &st, T + 5 * MIN, NOTIFY_ESC_PAGE, 1, "carol", "no ack after 5m");
    expect(p1, &st, T + 15 * MIN, NOTIFY_ESC_PAGE, 2, "alice,dave",
           "level 2: team:noc (its schedule: alice) + user:dave");

    /* Repeat 2: three passes of three levels = 9 pages, then exhausted.
     * Fails if repeat counts passes wrongly or never stops. */
    notify_escalation_start(&st, T);
    int pages = 0, guard = 0;
    while (st.next_at_us != INT64_MAX && guard++ < 100) {
        notify_esc_step_t s;
        if (notify_escalation_due(p1, &st, st.next_at_us, &s) == NOTIFY_ESC_PAGE) {
            pages++;
        }
        notify_esc_step_clear(&s);
    }
    CHECK(pages == 9 && st.exhausted && st.loop == 3, "repeat 2: %d pages, exhausted %d loop %d",
          pages, st.exhausted, st.loop);

    /* Ack before the delay: nothing more, ever (noc-default has no
     * reminder). Fails if ack does not clear the wake-up. */
    notify_escalation_start(&st, T);
    expect(def, &st, T, NOTIFY_ESC_PAGE, 0, "alice", "default level 0");
    CHECK(notify_escalation_ack(def, &st, T + 2 * MIN) == 0 && st.next_at_us == INT64_MAX,
          "ack: next %lld", (long long)st.next_at_us);
    expect(def, &st, T + 30 * MIN, NOTIFY_ESC_NONE, 0, "", "acked: level 1 never comes");
    expect(def, &st, T + 600 * MIN, NOTIFY_ESC_NONE, 0, "", "acked: still nothing");
    CHECK(notify_escalation_ack(def, &st, T + 3 * MIN) == -1, "second ack refused");

    /* Reminder: noc-p1 reminds the acknowledger every 30m after the ack.
     * Fails if reminders are off cadence or page instead. */
    notify_escalation_start(&st, T);
    expect(p1, &st, T, NOTIFY_ESC_PAGE, 0, "alice", "p1 level 0");
    notify_escalation_ack(p1, &st, T + 2 * MIN);
    CHECK(st.next_at_us == T + 32 * MIN, "reminder due at ack + 30m: %lld",
          (long long)st.next_at_us);
    expect(p1, &st, T + 31 * MIN, NOTIFY_ESC_NONE, 0, "", "before the reminder");
    expect(p1, &st, T + 32 * MIN, NOTIFY_ESC_REMIND, 0, "", "the reminder");
    CHECK(st.next_at_us == T + 62 * MIN, "next reminder: %lld", (long long)st.next_at_us);

    /* Resolve stops everything, reminders too. Fails if stop leaves a
     * wake-up or ack is still accepted. */
    notify_escalation_stop(&st);
    expect(p1, &st, T + 62 * MIN, NOTIFY_ESC_NONE, 0, "", "resolved: no reminder");
    CHECK(st.next_at_us == INT64_MAX && notify_escalation_ack(p1, &st, T + 63 * MIN) == -1 &&
              notify_escalation_jump(p1, &st, 0, T + 63 * MIN) == -1,
          "stopped stays stopped");

    /* Breach: jump to level 1 at once, even acked. Fails if the jump waits
     * for the delay or keeps the acknowledgement. */
    notify_escalation_start(&st, T);
    expect(def, &st, T, NOTIFY_ESC_PAGE, 0, "alice", "default level 0 again");
    notify_escalation_ack(def, &st, T + MIN);
    CHECK(notify_escalation_jump(def, &st, 1, T + 2 * MIN) == 0, "jump");
    expect(def, &st, T + 2 * MIN, NOTIFY_ESC_PAGE, 1, "carol", "breach jumps to level 1");
    CHECK(notify_escalation_jump(def, &st, 2, T) == -1 &&
              notify_escalation_jump(def, &st, -1, T) == -1,
          "jump to a level the policy lacks is refused");
}

static void test_targets(const notify_people_t *p)
{
    /* Team without a schedule: every member; dedup across targets.
     * Fails if team targets ignore members or duplicates are kept. */
    const notify_policy_t *srv = notify_people_policy(p, "servers-default");
    notify_userset_t set = {0};
    notify_targets_resolve(&srv->levels[0], T, &set);
    notify_targets_resolve(&srv->levels[0], T, &set);
    CHECK(set.n == 2 && strcmp(set.users[0]->name, "dave") == 0 &&
              strcmp(set.users[1]->name, "erin") == 0,
          "team:servers gives dave, erin once: %zu", set.n);
    notify_userset_clear(&set);
}

static notify_people_t *parse(const char *text)
{
    notify_people_t *p = NULL;
    char err[1024];
    if (notify_people_parse(text, strlen(text), "esc.yml", &p, err, sizeof err) != 0) {
        CHECK(0, "parse: %s", err);
    }
    return p;
}

static void test_nobody(void)
{
    /* "nights" has someone only 22:00-24:00 UTC; at 12:00 nobody. */
    static const char text[] = "users: [{name: bob}]\n"
                               "schedules:\n"
                               "  - name: nights\n"
                               "    layers:\n"
                               "      - participants: [bob]\n"
                               "        rotation: {length: 1w, handoff: \"2026-11-30T00:00\"}\n"
                               "        restriction: {mon-sun: \"22:00-24:00\"}\n"
                               "escalation_policies:\n"
                               "  - name: skip\n"
                               "    levels:\n"
                               "      - {delay: 5m, targets: [\"schedule:nights\"]}\n"
                               "      - {delay: 5m, targets: [\"user:bob\"]}\n"
                               "  - name: empty\n"
                               "    levels:\n"
                               "      - {delay: 5m, targets: [\"schedule:nights\"]}\n";
    notify_people_t *p = parse(text);
    if (!p) {
        return;
    }
    notify_escalation_t st;
    /* Fails if an empty level waits its delay instead of moving on. */
    notify_escalation_start(&st, T);
    expect(notify_people_policy(p, "skip"), &st, T, NOTIFY_ESC_PAGE, 1, "bob",
           "empty level 0 skipped at once");
    /* Fails if a policy that reaches nobody loops forever or pages. */
    notify_escalation_start(&st, T);
    expect(notify_people_policy(p, "empty"), &st, T, NOTIFY_ESC_NOBODY, 0, "",
           "nobody on call anywhere");
    CHECK(st.exhausted && st.next_at_us == INT64_MAX, "nobody, repeat 0: exhausted");
    /* At 22:30 the schedule has bob: the same policy pages him. */
    int64_t night = T + (10 * 60 + 30) * MIN;
    notify_escalation_start(&st, night);
    expect(notify_people_policy(p, "empty"), &st, night, NOTIFY_ESC_PAGE, 0, "bob",
           "inside the restriction bob is paged");
    notify_people_destroy(&p);
}

int main(void)
{
    const char *ts = "2026-12-01T12:00:00Z";
    decode_time_parse(ts, strlen(ts), 0, &T);
    char err[1024];
    notify_people_t *p = NULL;
    if (notify_people_load(EXAMPLE, &p, err, sizeof err) != 0) {
        printf("FAIL example: %s\n", err);
        return 1;
    }
    test_example_timelines(p);
    test_targets(p);
    test_nobody();
    notify_people_destroy(&p);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
