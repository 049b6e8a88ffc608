/*
 * ticketer_api_people - the people file (notifier.people) through the API,
 * for the console's on-call page:
 *
 *   GET /api/v1/people              (viewer) users (name, display name, time
 *                                   zone, contact kinds: never addresses)
 *                                   and teams (members, schedule, queues)
 *   GET /api/v1/oncall[?team=][&days=]  (viewer) per team with a schedule:
 *                                   who is on call now and until when, the
 *                                   shifts of the next `days` (1..31, default
 *                                   7; hand-offs), and the overrides still
 *                                   to come
 *
 * The file is loaded on each request with the notifier's own loader
 * (notify_people_load) and the on-call arithmetic is the notifier's
 * (oncall_schedule.h), so the console, `alertdesk oncall` and the pages
 * sent can never disagree; an edited file shows at once.
 *
 * Does not: change the file, or page anybody.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_people.h"
#include "oncall_schedule.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

#define API_ONCALL_DAYS_MAX 31
#define API_US              INT64_C(1000000)

/* api_people_open - loads the people file: 0 with *p (NULL when none is
 * configured), or -1 after answering 500 with the loader's sentence. */
static int api_people_open(api_ctx_t *c, notify_people_t **p)
{
    const char *path = c->api->cfg.settings->notifier_people;
    *p = NULL;
    if (!path || !*path) {
        return 0;
    }
    char err[512];
    if (notify_people_load(path, p, err, sizeof err) != 0) {
        api_error(c, 500, NULL, "the people file cannot be read: %s", err);
        return -1;
    }
    return 0;
}

static json_t *api_time(int64_t us)
{
    if (us == INT64_MAX) {
        return json_null();
    }
    char buf[48];
    db_format_time(us, buf, sizeof buf);
    return json_string(buf);
}

static json_t *api_user_ref(const notify_user_t *u)
{
    if (!u) {
        return json_null();
    }
    return json_pack("{s:s, s:s}", "name", u->name, "display_name",
                     u->display_name ? u->display_name : u->name);
}

void api_people_list(api_ctx_t *c)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    notify_people_t *p = NULL;
    if (api_people_open(c, &p) < 0) {
        return;
    }
    json_t *users = json_array(), *teams = json_array();
    for (size_t i = 0; p && i < p->nusers; i++) {
        const notify_user_t *u = &p->users[i];
        json_t *kinds = json_array();
        for (size_t k = 0; k < u->ncontacts; k++) {
            json_array_append_new(kinds,
                                  json_string(notify_contact_type_name(u->contacts[k].type)));
        }
        json_array_append_new(users,
                              json_pack("{s:s, s:s, s:s, s:o}", "name", u->name, "display_name",
                                        u->display_name ? u->display_name : u->name, "time_zone",
                                        u->time_zone ? u->time_zone : "UTC", "contacts", kinds));
    }
    for (size_t i = 0; p && i < p->nteams; i++) {
        const notify_team_t *t = &p->teams[i];
        json_t *members = json_array(), *queues = json_array();
        for (size_t k = 0; k < t->nmembers; k++) {
            json_array_append_new(members, json_string(t->members[k]->name));
        }
        for (size_t k = 0; k < t->nqueues; k++) {
            json_array_append_new(queues, json_string(t->queues[k]));
        }
        json_array_append_new(
            teams,
            json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", t->name, "members", members, "schedule",
                      t->schedule ? json_string(t->schedule->name) : json_null(), "policy",
                      t->policy ? json_string(t->policy->name) : json_null(), "queues", queues));
    }
    api_send_json(
        c, 200,
        json_pack("{s:b, s:o, s:o}", "configured", p != NULL, "users", users, "teams", teams));
    notify_people_destroy(&p);
}

static int api_oncall_shift(const oncall_shift_t *sh, void *arg)
{
    json_array_append_new(arg, json_pack("{s:o, s:o, s:o, s:b}", "user", api_user_ref(sh->user),
                                         "start", api_time(sh->start_us), "end",
                                         api_time(sh->end_us), "override", sh->is_override));
    return 0;
}

static json_t *api_oncall_team(const notify_team_t *t, int64_t now, int days)
{
    const notify_schedule_t *s = t->schedule;
    int64_t until = INT64_MAX;
    bool ovr = false;
    const notify_user_t *u = oncall_who(s, now, &until, &ovr);
    json_t *shifts = json_array(), *overrides = json_array();
    oncall_shifts(s, now, now + (int64_t)days * 86400 * API_US, api_oncall_shift, shifts);
    for (size_t i = 0; i < s->noverrides; i++) {
        const oncall_override_t *o = &s->overrides[i];
        if (o->to_us <= now) {
            continue;
        }
        json_array_append_new(overrides,
                              json_pack("{s:o, s:o, s:o, s:s}", "user", api_user_ref(o->user),
                                        "from", api_time(o->from_us), "to", api_time(o->to_us),
                                        "comment", o->comment ? o->comment : ""));
    }
    return json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:b}, s:o, s:o}", "team", t->name, "schedule",
                     s->name, "time_zone", s->time_zone ? s->time_zone : "UTC", "now", "user",
                     api_user_ref(u), "until", api_time(until), "override", ovr, "shifts", shifts,
                     "overrides", overrides);
}

void api_oncall_show(api_ctx_t *c)
{
    static const char *const known[] = {"team", "days", NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    const char *team = http_request_query(c->req, "team");
    const char *dv = http_request_query(c->req, "days");
    int days = 7;
    if (dv) {
        char *end = NULL;
        long d = strtol(dv, &end, 10);
        if (!*dv || *end || d < 1 || d > API_ONCALL_DAYS_MAX) {
            api_error(c, 400, "days", "days must be 1..%d", API_ONCALL_DAYS_MAX);
            return;
        }
        days = (int)d;
    }
    notify_people_t *p = NULL;
    if (api_people_open(c, &p) < 0) {
        return;
    }
    if (team && (!p || !notify_people_team(p, team))) {
        api_error(c, 404, "team", "no team '%s' in the people file", team);
        notify_people_destroy(&p);
        return;
    }
    int64_t now = api_now_us();
    json_t *teams = json_array();
    for (size_t i = 0; p && i < p->nteams; i++) {
        const notify_team_t *t = &p->teams[i];
        if ((team && strcmp(team, t->name) != 0) || !t->schedule) {
            continue;
        }
        json_array_append_new(teams, api_oncall_team(t, now, days));
    }
    api_send_json(c, 200,
                  json_pack("{s:b, s:o, s:i, s:o}", "configured", p != NULL, "at", api_time(now),
                            "days", days, "teams", teams));
    notify_people_destroy(&p);
}
