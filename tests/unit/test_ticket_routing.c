/*
 * test_ticket_routing - the routing file: the shipped example
 * (deploy/examples/ticket-routing.yml) and tests/fixtures/ticketer/
 * routing-forms.yml load with the expected values; every bad fixture gives
 * its exact "file:line: key: reason"; routing decisions on the example
 * (first match wins, open_ticket false, priorities from impact x severity,
 * per-priority SLA, the fallback); the ITIL priority matrix; urgency from
 * severity; the built-in defaults.
 *
 * Does not test: the SLA arithmetic (test_sla_calendar) or matcher
 * semantics in depth (test_corr_rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "ticket_routing.h"
#include "unit_check.h"

#define EXAMPLE  SOURCE_DIR "/deploy/examples/ticket-routing.yml"
#define FIXTURES FIXTURES_DIR "/ticketer/"
#define MIN_US   (60 * INT64_C(1000000))
#define H_US     (60 * MIN_US)

static ticket_routing_t *load_ok(const char *path)
{
    char err[1024] = "";
    ticket_routing_t *r = NULL;
    if (ticket_routing_load(path, &r, err, sizeof err) != 0) {
        printf("FAIL load %s: %s\n", path, err);
        failures++;
        return NULL;
    }
    return r;
}

/* An incident's cause: severity plus labels "k=v;k=v". */
static event_t *make_cause(const char *resource, event_severity_t sev, const char *labels)
{
    event_t *ev = event_new(EVENT_FORMAT_NATIVE);
    ev->source = event_strdup(ev, "zabbix");
    ev->resource = event_strdup(ev, resource);
    ev->check = event_strdup(ev, "LinkDown");
    ev->severity = sev;
    ev->status = EVENT_STATUS_FIRING;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", labels);
    for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            abort(); /* a broken table */
        }
        *eq = '\0';
        event_label_set(ev, kv, eq + 1);
    }
    return ev;
}

/* ---- The example and the forms fixture ------------------------------------------- */

static void test_example(void)
{
    ticket_routing_t *r = load_ok(EXAMPLE);
    if (!r) {
        return;
    }
    /* Fails when a value in the example (or its default) is read wrong. */
    CHECK(strcmp(r->path, EXAMPLE) == 0, "path");
    CHECK(r->comment_interval_us == MIN_US, "comment_interval");
    CHECK(r->nqueues == 2, "nqueues %zu", r->nqueues);
    const ticket_queue_t *noc = ticket_routing_queue(r, "NOC");
    const ticket_queue_t *srv = ticket_routing_queue(r, "SERVERS");
    CHECK(noc && strcmp(noc->key_prefix, "NOC") == 0 && noc->auto_resolve &&
              noc->auto_close_after_us == 24 * H_US && noc->line == 9,
          "queue NOC");
    CHECK(srv && strcmp(srv->key_prefix, "SRV") == 0 && srv->auto_close_after_us == 72 * H_US,
          "queue SERVERS");
    CHECK(ticket_routing_queue(r, "noc") == NULL && ticket_routing_queue(r, NULL) == NULL,
          "queue look-up is exact");
    const sla_calendar_t *office = ticket_routing_calendar(r, "office");
    CHECK(r->ncalendars == 1 && office && office->tz && office->line == 12, "calendar office");
    if (office) {
        for (int d = 0; d < 7; d++) {
            bool open = d < 5;
            CHECK(office->nhours[d] == (open ? 1u : 0u) &&
                      (!open || (office->hours[d][0].start_minute == 540 &&
                                 office->hours[d][0].end_minute == 1020)),
                  "office day %d", d);
        }
        CHECK(office->nholidays == 3 && office->holidays[0] == tz_days_from_civil(2026, 12, 25) &&
                  office->holidays[2] == tz_days_from_civil(2027, 1, 1),
              "office holidays");
    }
    const sla_policy_t *crit = ticket_routing_policy(r, "critical-24x7");
    const sla_policy_t *oh = ticket_routing_policy(r, "office-hours");
    CHECK(r->npolicies == 2 && crit && crit->calendar == NULL &&
              crit->first_response_us == 15 * MIN_US && crit->resolution_us == 4 * H_US &&
              crit->update_interval_us == H_US && crit->warn_permille == 800,
          "policy critical-24x7");
    CHECK(oh && oh->calendar == office && oh->first_response_us == 4 * H_US &&
              oh->resolution_us == 24 * H_US && oh->update_interval_us == 0 &&
              oh->warn_permille == 800,
          "policy office-hours");
    CHECK(r->nroutes == 3, "nroutes %zu", r->nroutes);
    if (r->nroutes == 3) {
        const ticket_route_t *info = &r->routes[0], *core = &r->routes[1], *srvr = &r->routes[2];
        CHECK(strcmp(info->name, "info-only") == 0 && info->line == 24 && !info->open_ticket &&
                  info->nmatchers == 1,
              "route info-only (line %d)", info->line);
        CHECK(strcmp(core->name, "core-network") == 0 && core->line == 27 && core->queue == noc &&
                  core->impact == TICKET_LEVEL_HIGH && core->urgency == 0 && core->priority == 0 &&
                  core->nmatchers == 2 && core->sla[1] == crit && core->sla[2] == crit &&
                  core->sla[3] == oh && core->sla[4] == oh,
              "route core-network (line %d)", core->line);
        CHECK(core->nmatchers == 2 && core->matchers[1].line == 28, "matcher line");
        CHECK(strcmp(srvr->name, "servers") == 0 && srvr->queue == srv &&
                  srvr->impact == TICKET_LEVEL_MEDIUM && srvr->open_ticket,
              "route servers");
    }
    /* The fallback: first queue, medium impact, urgency from severity, no SLA. */
    CHECK(strcmp(r->fallback.name, "(fallback)") == 0 && r->fallback.queue == noc &&
              r->fallback.impact == TICKET_LEVEL_MEDIUM && r->fallback.urgency == 0 &&
              r->fallback.priority == 0 && r->fallback.open_ticket && r->fallback.sla[1] == NULL,
          "fallback");
    ticket_routing_destroy(&r);
    CHECK(r == NULL, "destroy nulls");
    ticket_routing_destroy(&r);
    ticket_routing_destroy(NULL);
}

static void test_forms(void)
{
    ticket_routing_t *r = load_ok(FIXTURES "routing-forms.yml");
    if (!r) {
        return;
    }
    CHECK(r->comment_interval_us == 0, "comment_interval 0");
    /* Fails when the default key prefix keeps the '-' or the case. */
    const ticket_queue_t *net = ticket_routing_queue(r, "net-ops");
    const ticket_queue_t *srv = ticket_routing_queue(r, "Servers");
    CHECK(net && strcmp(net->key_prefix, "NETOPS") == 0 && net->auto_resolve &&
              net->auto_close_after_us == 24 * H_US,
          "queue defaults: %s", net ? net->key_prefix : "(none)");
    CHECK(srv && strcmp(srv->key_prefix, "SRV2") == 0 && !srv->auto_resolve &&
              srv->auto_close_after_us == 0,
          "queue Servers");
    const sla_calendar_t *fts = ticket_routing_calendar(r, "follow-the-sun");
    const sla_calendar_t *ny = ticket_routing_calendar(r, "ny");
    /* Fails when full day names, any case, ranges, single strings or 24:00 are misread. */
    CHECK(fts && fts->tz == NULL && fts->nhours[0] == 2 && fts->hours[0][1].end_minute == 1440 &&
              fts->nhours[1] == 2 && fts->nhours[4] == 2 && fts->nhours[5] == 1 &&
              fts->hours[5][0].start_minute == 600 && fts->nhours[6] == 0,
          "calendar follow-the-sun");
    /* Fails when holidays are not sorted. */
    CHECK(ny && ny->tz && ny->nhours[6] == 1 && ny->nholidays == 2 &&
              ny->holidays[0] == tz_days_from_civil(2026, 1, 1),
          "calendar ny");
    const sla_policy_t *gold = ticket_routing_policy(r, "gold");
    const sla_policy_t *upd = ticket_routing_policy(r, "only-updates");
    CHECK(gold && gold->calendar == fts && gold->warn_permille == 500 &&
              gold->resolution_us == 8 * H_US && gold->first_response_us == 0,
          "policy gold");
    CHECK(upd && upd->update_interval_us == 30 * MIN_US, "policy only-updates");
    CHECK(r->nroutes == 2, "nroutes");
    if (r->nroutes == 2) {
        const ticket_route_t *fixed = &r->routes[0], *all = &r->routes[1];
        CHECK(fixed->queue == srv && fixed->impact == TICKET_LEVEL_LOW &&
                  fixed->urgency == TICKET_LEVEL_HIGH && fixed->priority == 1 &&
                  fixed->sla[1] == gold && fixed->sla[4] == gold && fixed->nmatchers == 2,
              "route fixed");
        CHECK(all->nmatchers == 0 && all->queue == net && all->urgency == TICKET_LEVEL_LOW &&
                  all->sla[1] == NULL && all->sla[4] == upd,
              "route everything");
    }
    /* Decisions: the map matcher with a regex, a fixed priority, a catch-all. */
    event_t *db = make_cause("db1", EVENT_SEVERITY_WARNING, "env=staging");
    event_t *other = make_cause("db1", EVENT_SEVERITY_CRITICAL, "env=dev");
    ticket_route_result_t res;
    ticket_routing_decide(r, db, &res);
    CHECK(res.route == &r->routes[0] && res.priority == 1 && res.sla == gold, "fixed P1");
    ticket_routing_decide(r, other, &res);
    /* M impact x L urgency = P4, whatever the severity (urgency is fixed). */
    CHECK(res.route == &r->routes[1] && res.priority == 4 && res.sla == upd && res.queue == net,
          "catch-all P4");
    event_destroy(&db);
    event_destroy(&other);
    ticket_routing_destroy(&r);
}

/* ---- Bad files: the exact message of each ------------------------------------------ */

static void test_bad_files(void)
{
    static const struct {
        const char *file;
        const char *msg; /* after the path; fails when file, line, key or reason differ */
    } cases[] = {
        {"bad-unknown-queue.yml", ":12: routes[2].queue: unknown queue \"NCO\" (did you mean "
                                  "\"NOC\"?)"},
        {"bad-unknown-key.yml", ":3: routes[0].qeue: unknown key (did you mean \"queue\"?)"},
        {"bad-top-key.yml", ":3: rotues: unknown key (did you mean \"routes\"?)"},
        {"bad-calendar-ref.yml", ":4: sla_policies[0].calendar: unknown calendar \"ofice\" (did "
                                 "you mean \"office\"?)"},
        {"bad-policy-ref.yml", ":5: routes[0].sla.P3: unknown SLA policy \"critical-27x7\" (did "
                               "you mean \"critical-24x7\"?)"},
        {"bad-sla-key.yml", ":5: routes[0].sla.P5: unknown key (did you mean \"P1\"?)"},
        {"bad-hours.yml", ":4: calendars[0].hours.mon-fri: \"9-17\" is not opening hours "
                          "(HH:MM-HH:MM, start before end, 24:00 at most)"},
        {"bad-overlap.yml", ":4: calendars[0].hours.mon-fri: 09:00-12:30 overlaps 12:00-17:00"},
        {"bad-day-twice.yml", ":5: calendars[0].hours.fri: fri already has hours (line 4)"},
        {"bad-day-name.yml", ":4: calendars[0].hours.mon-fir: unknown day (use mon, tue, wed, "
                             "thu, fri, sat, sun, or a range such as mon-fri)"},
        {"bad-no-hours.yml", ":3: calendars[0].hours: no open hours in the whole week (an SLA on "
                             "this calendar would never fall due)"},
        {"bad-holiday.yml", ":4: calendars[0].holidays: \"2026-02-30\" is not a date "
                            "(YYYY-MM-DD)"},
        {"bad-zone.yml", ":3: calendars[0].time_zone: unknown time zone \"Mars/Olympus\""},
        {"bad-duration.yml", ":4: sla_policies[0].resolution: \"4\" needs a unit (e.g. 4m or "
                             "4h)"},
        {"bad-no-target.yml", ":2: sla_policies[0]: SLA policy \"empty\" sets no target "
                              "(first_response, resolution or update_interval)"},
        {"bad-warn-at.yml", ":2: sla_policies[0].warn_at: \"120%\" is not a share (1% to 100%, "
                            "e.g. 80%)"},
        {"bad-open-ticket.yml", ":5: routes[0].queue: does not apply to a route with "
                                "open_ticket: false (it opens no ticket)"},
        {"bad-duplicate-queue.yml", ":4: queues[2].name: duplicate queue \"NOC\" (first at line "
                                    "2)"},
        {"bad-duplicate-prefix.yml", ":3: queues[1].key_prefix: \"NOC\" is already the prefix of "
                                     "queue \"NOC\" (line 2): ticket keys must be unique"},
        {"bad-prefix.yml", ":2: queues[0].key_prefix: \"noc-1\" is not a key prefix (A-Z, then "
                           "A-Z and 0-9, up to 10)"},
        {"bad-matcher.yml", ":5: routes[0].match[1]: \"severity ~ critical\" is not \"field op "
                            "value\" (op one of =, !=, =~, !~)"},
        {"bad-priority.yml", ":2: routes[0].priority: \"P5\" is not a priority (1 to 4, or P1 to "
                             "P4)"},
        {"bad-impact.yml", ":2: routes[0].impact: \"critical\" is not one of high, medium, low"},
        {"bad-route-name.yml", ":2: routes[0]: every route needs a name:"},
        {"bad-duplicate-route.yml", ":3: routes[1].name: duplicate route \"core-network\" (first "
                                    "at line 2)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], want[1024], err[1024] = "";
        snprintf(path, sizeof path, "%s%s", FIXTURES, cases[i].file);
        snprintf(want, sizeof want, "%s%s", path, cases[i].msg);
        ticket_routing_t *r = (ticket_routing_t *)&err; /* must come back NULL */
        int rc = ticket_routing_load(path, &r, err, sizeof err);
        CHECK(rc == -1 && r == NULL && strcmp(err, want) == 0, "%s:\n  got  %s\n  want %s",
              cases[i].file, err, want);
    }
    /* A missing file is an error from the YAML layer, not a crash. */
    char err[512] = "";
    ticket_routing_t *r = NULL;
    CHECK(ticket_routing_load(FIXTURES "no-such-file.yml", &r, err, sizeof err) == -1 && !r &&
              strstr(err, "no-such-file.yml"),
          "missing file: %s", err);
    /* From memory: the name stands for the file. */
    const char text[] = "routes:\n  - {name: a, urgency: soon}\n";
    CHECK(ticket_routing_parse(text, strlen(text), "routing.yml", &r, err, sizeof err) == -1 &&
              strcmp(err, "routing.yml:2: routes[0].urgency: \"soon\" is not one of high, "
                          "medium, low, from_severity") == 0,
          "parse from memory: %s", err);
}

/* ---- Decisions on the example ------------------------------------------------------- */

static void test_decide(void)
{
    ticket_routing_t *r = load_ok(EXAMPLE);
    if (!r) {
        return;
    }
    const sla_policy_t *crit = ticket_routing_policy(r, "critical-24x7");
    const sla_policy_t *oh = ticket_routing_policy(r, "office-hours");
    const ticket_queue_t *noc = ticket_routing_queue(r, "NOC");
    const ticket_queue_t *srv = ticket_routing_queue(r, "SERVERS");
    const struct {
        const char *what; /* fails when a different route, queue, priority or SLA is chosen */
        const char *resource;
        event_severity_t sev;
        const char *labels;
        const char *route;
        const ticket_queue_t *queue;
        int priority;
        const sla_policy_t *sla;
        bool open_ticket;
    } cases[] = {
        /* First match wins: info-only comes before core-network. */
        {"info on the core switch: no ticket", "core-sw1", EVENT_SEVERITY_INFO,
         "team=noc;site=ams1", "info-only", noc, 4, NULL, false},
        {"critical core: H x H = P1", "core-sw1", EVENT_SEVERITY_CRITICAL, "team=noc;site=ams1",
         "core-network", noc, 1, crit, true},
        {"major core: H x H = P1", "rtr1", EVENT_SEVERITY_MAJOR, "team=noc;site=ams1",
         "core-network", noc, 1, crit, true},
        {"minor core: H x M = P2", "core-sw1", EVENT_SEVERITY_MINOR, "team=noc;site=ams1",
         "core-network", noc, 2, crit, true},
        {"major server: M x H = P2", "host-a", EVENT_SEVERITY_MAJOR, "team=servers;site=ams1",
         "servers", srv, 2, crit, true},
        {"warning server: M x M = P3, office hours", "host-b", EVENT_SEVERITY_WARNING,
         "team=servers;site=ams1", "servers", srv, 3, oh, true},
        /* No route: the fallback (first queue, M impact, no SLA). */
        {"noc outside ams1: fallback", "core-sw9", EVENT_SEVERITY_CRITICAL, "team=noc;site=lab",
         "(fallback)", noc, 2, NULL, true},
        {"no team, minor: fallback M x M", "printer", EVENT_SEVERITY_MINOR, "", "(fallback)", noc,
         3, NULL, true},
        {"no severity: fallback M x L", "printer", EVENT_SEVERITY_NONE, "", "(fallback)", noc, 4,
         NULL, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        event_t *ev = make_cause(cases[i].resource, cases[i].sev, cases[i].labels);
        ticket_route_result_t res;
        memset(&res, 0xab, sizeof res);
        ticket_routing_decide(r, ev, &res);
        CHECK(res.route && strcmp(res.route->name, cases[i].route) == 0 &&
                  res.queue == cases[i].queue && res.priority == cases[i].priority &&
                  res.sla == cases[i].sla && res.open_ticket == cases[i].open_ticket,
              "%s: route %s priority %d sla %s open %d", cases[i].what,
              res.route ? res.route->name : "(null)", res.priority,
              res.sla ? res.sla->name : "(none)", res.open_ticket);
        event_destroy(&ev);
    }
    ticket_routing_destroy(&r);
}

/* ---- The matrix, urgency, defaults ---------------------------------------------------- */

static void test_matrix(void)
{
    const ticket_level_t H = TICKET_LEVEL_HIGH, M = TICKET_LEVEL_MEDIUM, L = TICKET_LEVEL_LOW;
    const struct {
        ticket_level_t impact, urgency;
        int p;
    } cells[] = {{H, H, 1}, {H, M, 2}, {M, H, 2}, {H, L, 3}, {M, M, 3},
                 {L, H, 3}, {M, L, 4}, {L, M, 4}, {L, L, 4}};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        /* Fails when the ITIL matrix is transposed or shifted. */
        CHECK(ticket_priority(cells[i].impact, cells[i].urgency) == cells[i].p, "%s x %s",
              ticket_level_name(cells[i].impact), ticket_level_name(cells[i].urgency));
    }
    CHECK(ticket_priority((ticket_level_t)0, (ticket_level_t)9) == 4, "out of range reads as low");
    const struct {
        event_severity_t s;
        ticket_level_t u;
    } urg[] = {{EVENT_SEVERITY_CRITICAL, H}, {EVENT_SEVERITY_MAJOR, H}, {EVENT_SEVERITY_MINOR, M},
               {EVENT_SEVERITY_WARNING, M},  {EVENT_SEVERITY_INFO, L},  {EVENT_SEVERITY_NONE, L}};
    for (size_t i = 0; i < sizeof urg / sizeof urg[0]; i++) {
        CHECK(ticket_urgency_from_severity(urg[i].s) == urg[i].u, "urgency of %s",
              event_severity_name(urg[i].s));
    }
    CHECK(strcmp(ticket_level_name(H), "high") == 0 && strcmp(ticket_level_name(L), "low") == 0 &&
              strcmp(ticket_level_name((ticket_level_t)0), "?") == 0,
          "level names");
}

static void test_defaults(void)
{
    /* The built-in set, an empty file and a file without queues agree on NOC. */
    ticket_routing_t *d = ticket_routing_default();
    CHECK(d->nqueues == 1 && strcmp(d->queues[0].name, "NOC") == 0 &&
              strcmp(d->queues[0].key_prefix, "NOC") == 0 && d->queues[0].auto_resolve &&
              d->queues[0].auto_close_after_us == 24 * H_US && d->npolicies == 0 &&
              d->nroutes == 0 && d->comment_interval_us == MIN_US &&
              d->fallback.queue == &d->queues[0],
          "default routing");
    event_t *ev = make_cause("x", EVENT_SEVERITY_CRITICAL, "");
    ticket_route_result_t res;
    ticket_routing_decide(d, ev, &res);
    CHECK(res.route == &d->fallback && res.queue == &d->queues[0] && res.priority == 2 &&
              res.sla == NULL && res.open_ticket,
          "default decision");
    ticket_routing_destroy(&d);
    const char *texts[] = {"", "# nothing\n", "queues: []\nroutes:\n"};
    for (size_t i = 0; i < 3; i++) {
        char err[512] = "";
        ticket_routing_t *r = NULL;
        int rc = ticket_routing_parse(texts[i], strlen(texts[i]), "empty.yml", &r, err, sizeof err);
        CHECK(rc == 0 && r && r->nqueues == 1 && strcmp(r->queues[0].name, "NOC") == 0 &&
                  r->fallback.queue == &r->queues[0] && strcmp(r->path, "empty.yml") == 0,
              "text %zu: %s", i, err);
        if (r) {
            ticket_routing_decide(r, ev, &res);
            CHECK(res.queue == &r->queues[0], "text %zu decision", i);
        }
        ticket_routing_destroy(&r);
    }
    event_destroy(&ev);
}

int main(void)
{
    test_example();
    test_forms();
    test_bad_files();
    test_decide();
    test_matrix();
    test_defaults();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
