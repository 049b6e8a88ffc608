/*
 * test_notify_people - the people file: the shipped example
 * (deploy/examples/people.yml) loads with the expected users, contacts,
 * teams, schedules and policies; notify_policy_for() picks the first
 * routing entry, else the queue's team's policy, else none; every bad
 * fixture under tests/fixtures/notifier/ gives its exact
 * "file:line: key: reason"; an empty file is an empty set.
 *
 * Does not test: who is on call (test_oncall_schedule) or timelines
 * (test_notify_escalation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_people.h"
#include "unit_check.h"

#define EXAMPLE  SOURCE_DIR "/deploy/examples/people.yml"
#define FIXTURES FIXTURES_DIR "/notifier/"

static void test_example(void)
{
    char err[1024] = "";
    notify_people_t *p = NULL;
    if (notify_people_load(EXAMPLE, &p, err, sizeof err) != 0) {
        CHECK(0, "example: %s", err);
        return;
    }
    /* Fails if a section is dropped or a default changes. */
    CHECK(p->nusers == 5 && p->nteams == 2 && p->nschedules == 2 && p->npolicies == 3 &&
              p->nroutes == 2,
          "counts %zu %zu %zu %zu %zu", p->nusers, p->nteams, p->nschedules, p->npolicies,
          p->nroutes);
    const notify_user_t *alice = notify_people_user(p, "alice");
    CHECK(alice && strcmp(alice->display_name, "Alice Jansen") == 0 && alice->ncontacts == 2 &&
              alice->contacts[0].type == NOTIFY_CONTACT_SMS &&
              strcmp(alice->contacts[0].address, "+31612345001") == 0 &&
              strcmp(alice->time_zone, "Europe/Amsterdam") == 0,
          "alice");
    const notify_team_t *noc = notify_people_team(p, "noc");
    CHECK(noc && noc->nmembers == 3 && noc->schedule == notify_people_schedule(p, "noc-primary") &&
              noc->policy == notify_people_policy(p, "noc-default"),
          "team noc");
    const notify_schedule_t *sec = notify_people_schedule(p, "noc-secondary");
    CHECK(sec && sec->nlayers == 2 && sec->layers[0].turn_s == 86400 &&
              !sec->layers[0].restricted && sec->layers[1].restricted &&
              sec->layers[1].nhours[0] == 2 && sec->layers[1].nhours[5] == 1,
          "schedule noc-secondary");
    const notify_policy_t *p1 = notify_people_policy(p, "noc-p1");
    CHECK(p1 && p1->nlevels == 3 && p1->repeat == 2 && p1->ack_reminder_us == 30 * 60000000LL &&
              p1->levels[0].delay_us == 5 * 60000000LL &&
              p1->levels[2].targets[0].type == NOTIFY_TARGET_TEAM,
          "policy noc-p1");
    /* Defaults: delay 30m when absent is not tested by the example; repeat 0, no reminder. */
    const notify_policy_t *def = notify_people_policy(p, "noc-default");
    CHECK(def && def->repeat == 0 && def->ack_reminder_us == 0, "noc-default defaults");

    /* Routing: first match, then the team fallback, then none. Fails if
     * the order or the fallback is wrong. */
    CHECK(notify_policy_for(p, "NOC", 1) == p1, "NOC P1 -> noc-p1");
    CHECK(notify_policy_for(p, "NOC", 2) == p1, "NOC P2 -> noc-p1");
    CHECK(notify_policy_for(p, "NOC", 3) == def, "NOC P3 -> team noc's noc-default");
    CHECK(notify_policy_for(p, "SERVERS", 1) == p1, "SERVERS P1 -> noc-p1");
    CHECK(notify_policy_for(p, "SERVERS", 2) == notify_people_policy(p, "servers-default"),
          "SERVERS P2 -> servers-default");
    CHECK(notify_policy_for(p, "OTHER", 1) == NULL, "unknown queue -> nobody");
    CHECK(notify_people_user(p, "nobody") == NULL && notify_people_team(p, NULL) == NULL,
          "unknown names");
    notify_people_destroy(&p);
    CHECK(p == NULL, "destroy nulls the pointer");
    notify_people_destroy(&p); /* NULL is fine */
}

static void test_defaults(void)
{
    static const char text[] = "users: [{name: a}]\n"
                               "escalation_policies:\n"
                               "  - {name: p, levels: [{targets: [\"user:a\"]}]}\n";
    char err[1024];
    notify_people_t *p = NULL;
    /* Fails if the documented defaults change: delay 30m, display name = name, UTC. */
    CHECK(notify_people_parse(text, strlen(text), "d.yml", &p, err, sizeof err) == 0, "%s", err);
    if (p) {
        CHECK(p->policies[0].levels[0].delay_us == 30 * 60000000LL &&
                  strcmp(p->users[0].display_name, "a") == 0 &&
                  strcmp(p->users[0].time_zone, "UTC") == 0,
              "defaults");
        notify_people_destroy(&p);
    }
    CHECK(notify_people_parse("", 0, "empty.yml", &p, err, sizeof err) == 0 && p &&
              p->nusers == 0 && notify_policy_for(p, "NOC", 1) == NULL,
          "an empty file is an empty set");
    notify_people_destroy(&p);
}

/* Each bad file and its exact message: fails if the line, the key path or
 * the reason changes. */
static const struct {
    const char *file, *want;
} bad[] = {
    {"bad-contact-type.yml", "bad-contact-type.yml:4: users[0].contacts[0].type: \"pager\" is not "
                             "one of email, sms, webhook, chat"},
    {"bad-delay.yml",
     "bad-delay.yml:5: escalation_policies[0].levels[0].delay: \"5\" needs a unit (e.g. 5m)"},
    {"bad-duplicate-user.yml",
     "bad-duplicate-user.yml:3: users[1].name: duplicate user \"alice\" (first at line 2)"},
    {"bad-handoff.yml",
     "bad-handoff.yml:6: schedules[0].layers[0].rotation.handoff: \"2026-11-30 09:00+01:00\" is "
     "not a local date and time (YYYY-MM-DDTHH:MM, no offset: the schedule's time_zone applies)"},
    {"bad-member.yml",
     "bad-member.yml:4: teams[0].members[1]: unknown user \"alcie\" (did you mean \"alice\"?)"},
    {"bad-override-order.yml", "bad-override-order.yml:8: schedules[0].overrides[0].to: ends "
                               "before it starts (to: must be after from:)"},
    {"bad-phone.yml", "bad-phone.yml:4: users[0].contacts[0].address: \"0612345678\" is not an "
                      "E.164 number (+, then 7 to 15 digits: +31612345678)"},
    {"bad-policy-ref.yml", "bad-policy-ref.yml:8: routing.policies[0].policy: unknown escalation "
                           "policy \"noc-p2\" (did you mean \"noc-p1\"?)"},
    {"bad-priority.yml", "bad-priority.yml:8: routing.policies[0].priority: \"5\" is not a "
                         "priority (1 to 4, or P1 to P4)"},
    {"bad-repeat.yml",
     "bad-repeat.yml:6: escalation_policies[0].repeat: \"12\" is not a repeat count (0 to 9)"},
    {"bad-restriction.yml", "bad-restriction.yml:7: schedules[0].layers[0].restriction.mon-fri: "
                            "\"22:00-06:00\" is not hours (HH:MM-HH:MM, start before end, 24:00 at "
                            "most; a night is two: 22:00-24:00 and 00:00-06:00)"},
    {"bad-rotation-length.yml",
     "bad-rotation-length.yml:6: schedules[0].layers[0].rotation.length: \"3m\" is not a turn "
     "length (hours, days or weeks: 12h, 1d, 1w; 1h to 52w)"},
    {"bad-target-form.yml", "bad-target-form.yml:5: escalation_policies[0].levels[0].targets[0]: "
                            "\"alice\" is not a target (user:NAME, schedule:NAME or team:NAME)"},
    {"bad-target-ref.yml", "bad-target-ref.yml:5: escalation_policies[0].levels[0].targets[0]: "
                           "unknown schedule \"noc-primary\" (no schedules: are defined)"},
    {"bad-team-policy.yml", "bad-team-policy.yml:4: teams[0].escalation_policy: unknown escalation "
                            "policy \"nope\" (no escalation_policies: are defined)"},
    {"bad-time-zone.yml",
     "bad-time-zone.yml:3: users[0].time_zone: unknown time zone \"Europe/Amsterdm\""},
    {"bad-top-key.yml", "bad-top-key.yml:1: user: unknown key (did you mean \"users\"?)"},
    {"bad-unknown-key.yml",
     "bad-unknown-key.yml:3: users[0].timezone: unknown key (did you mean \"time_zone\"?)"},
};

static void test_bad_files(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[512], err[1024] = "";
        notify_people_t *p = NULL;
        snprintf(path, sizeof path, FIXTURES "%s", bad[i].file);
        int rc = notify_people_load(path, &p, err, sizeof err);
        const char *msg =
            strncmp(err, FIXTURES, strlen(FIXTURES)) == 0 ? err + strlen(FIXTURES) : err;
        CHECK(rc == -1 && p == NULL && strcmp(msg, bad[i].want) == 0, "%s:\n  got  %s\n  want %s",
              bad[i].file, msg, bad[i].want);
        notify_people_destroy(&p);
    }
}

/* Messages the three rule-file loaders word alike (common/rulefile.c). */
static void test_shared_messages(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"users:\n  - name: \"\"\n", "p.yml:2: users[0].name: must not be empty"},
        {"users: [{name: a}]\nescalation_policies:\n  - name: p\n    levels:\n"
         "      - {delay: 0, targets: [\"user:a\"]}\n",
         "p.yml:5: escalation_policies[0].levels[0].delay: 0 is out of range (1s to 24h)"},
        /* A breach level the policy does not have; fails if it were accepted
         * (the daemon would jump past the last level). */
        {"users: [{name: a}]\nescalation_policies:\n  - name: p\n    levels:\n"
         "      - {delay: 5m, targets: [\"user:a\"]}\n    breach_level: 2\n",
         "p.yml:6: escalation_policies[0].breach_level: 2 is out of range (1 to 1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[1024] = "";
        notify_people_t *p = NULL;
        int rc =
            notify_people_parse(cases[i].text, strlen(cases[i].text), "p.yml", &p, err, sizeof err);
        CHECK(rc == -1 && p == NULL && strcmp(err, cases[i].want) == 0,
              "case %zu:\n  got  %s\n  want %s", i, err, cases[i].want);
        notify_people_destroy(&p);
    }
}

/* breach_level is read 1-based and kept; fails if it were dropped or shifted. */
static void test_breach_level(void)
{
    static const char text[] = "users: [{name: a}, {name: b}]\n"
                               "escalation_policies:\n  - name: p\n    levels:\n"
                               "      - {delay: 5m, targets: [\"user:a\"]}\n"
                               "      - {delay: 5m, targets: [\"user:b\"]}\n"
                               "    breach_level: 2\n  - name: q\n    levels:\n"
                               "      - {delay: 5m, targets: [\"user:a\"]}\n";
    char err[1024] = "";
    notify_people_t *p = NULL;
    CHECK(notify_people_parse(text, strlen(text), "b.yml", &p, err, sizeof err) == 0, "%s", err);
    if (p) {
        CHECK(notify_people_policy(p, "p")->breach_level == 2, "breach_level 2 kept");
        CHECK(notify_people_policy(p, "q")->breach_level == 0, "no breach_level: 0 (next level)");
    }
    notify_people_destroy(&p);
}

int main(void)
{
    test_example();
    test_breach_level();
    test_defaults();
    test_bad_files();
    test_shared_messages();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
