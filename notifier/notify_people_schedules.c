/*
 * notify_people_schedules - the schedules: part of the people file: each
 * schedule's time zone, its layers (participants, rotation length and
 * hand-off, weekly restriction hours) and its overrides, checked and loaded
 * into notify_schedule_t / oncall_layer_t. The file format is described at
 * the top of notify_people.c.
 *
 * Does not: load users, teams, policies or routing, or free what it loads
 * (notify_people.c); work out who is on call (oncall_schedule.c); keep
 * state or read a clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decode_internal.h" /* decode_time_parse(): RFC 3339, as events read it */
#include "rulefile.h"
#include "xalloc.h"

#include "notify_people_internal.h"

#define NP_DEF_TURN_S     (7 * INT64_C(86400))
#define NP_MAX_TURN_WEEKS 52

/* ---- Loading: schedules --------------------------------------------------------------- */

static int np_hours_cmp(const void *a, const void *b)
{
    const oncall_hours_t *x = a, *y = b;
    return (x->start_minute > y->start_minute) - (x->start_minute < y->start_minute);
}

/* restriction: {mon-fri: ["18:00-24:00", "00:00-09:00"], sat: "00:00-24:00"} */
static int np_restriction(const rulefile_t *c, const config_node_t *node, const char *path,
                          oncall_layer_t *l)
{
    int day_line[7] = {0};
    if (node->type != CONFIG_NODE_MAPPING) {
        return rulefile_fail(
            c, node->line, path,
            "expected a mapping of days to hours (mon-fri: \"18:00-24:00\"), got a %s",
            config_node_type_name(node));
    }
    l->restricted = true;
    for (size_t i = 0; i < node->n; i++) {
        const char *k = node->keys[i];
        const config_node_t *v = node->children[i];
        char key[224];
        rulefile_key(key, sizeof key, path, k);
        const char *dash = strchr(k, '-');
        int from = rulefile_day(k, dash ? (size_t)(dash - k) : strlen(k));
        int to = dash ? rulefile_day(dash + 1, strlen(dash + 1)) : from;
        if (from < 0 || to < 0 || to < from) {
            return rulefile_fail(
                c, node->key_lines[i], key,
                "unknown day (use mon .. sun, or a range such as mon-fri that does "
                "not wrap past sunday)");
        }
        size_t n = v->type == CONFIG_NODE_SCALAR ? 1 : v->n;
        if (v->type != CONFIG_NODE_SCALAR && rulefile_seq(c, v, key) != 0) {
            return -1;
        }
        oncall_hours_t *slots = xcalloc(n ? n : 1, sizeof *slots);
        for (size_t j = 0; j < n; j++) {
            const config_node_t *s = v->type == CONFIG_NODE_SCALAR ? v : v->children[j];
            const char *text;
            if (rulefile_scalar(c, s, key, &text) != 0 ||
                rulefile_hours(text, &slots[j].start_minute, &slots[j].end_minute) != 0) {
                free(slots);
                return s->type != CONFIG_NODE_SCALAR
                           ? -1
                           : rulefile_fail(
                                 c, s->line, key,
                                 "\"%s\" is not hours (HH:MM-HH:MM, start before end, 24:00 "
                                 "at most; a night is two: 22:00-24:00 and 00:00-06:00)",
                                 text);
            }
        }
        qsort(slots, n, sizeof *slots, np_hours_cmp);
        for (size_t j = 1; j < n; j++) {
            if (slots[j - 1].end_minute > slots[j].start_minute) {
                free(slots);
                return rulefile_fail(c, v->line, key, "hours overlap");
            }
        }
        for (int d = from; d <= to; d++) {
            if (day_line[d]) {
                free(slots);
                return rulefile_fail(c, node->key_lines[i], key,
                                     "that day already has hours (line %d)", day_line[d]);
            }
            day_line[d] = node->key_lines[i];
            l->hours[d] = xcalloc(n ? n : 1, sizeof *slots);
            memcpy(l->hours[d], slots, n * sizeof *slots);
            l->nhours[d] = n;
        }
        free(slots);
    }
    for (int d = 0; d < 7; d++) {
        if (l->nhours[d]) {
            return 0;
        }
    }
    return rulefile_fail(c, node->line, path,
                         "no hours in the whole week (the layer would never have "
                         "anyone)");
}

/* rotation: {length: 1w, handoff: "2026-11-30T09:00"} */
static int np_rotation(const rulefile_t *c, const config_node_t *node, const char *path,
                       oncall_layer_t *l)
{
    static const char *const allowed[] = {"length", "handoff", NULL};
    const config_node_t *v;
    char key[224];
    const char *text;
    if (rulefile_check_keys(c, node, path, allowed) != 0) {
        return -1;
    }
    l->turn_s = NP_DEF_TURN_S;
    if ((v = config_node_get(node, "length"))) {
        if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "length"), &text) != 0) {
            return -1;
        }
        long n = 0;
        char unit = 0;
        int used = 0;
        int64_t unit_s = 0;
        if (sscanf(text, "%4ld%c%n", &n, &unit, &used) == 2 && text[used] == '\0' &&
            text[0] >= '1' && text[0] <= '9') {
            unit_s = unit == 'h' ? 3600 : unit == 'd' ? 86400 : unit == 'w' ? 7 * 86400 : 0;
        }
        if (!unit_s || n * unit_s > NP_MAX_TURN_WEEKS * 7 * INT64_C(86400)) {
            return rulefile_fail(
                c, v->line, key,
                "\"%s\" is not a turn length (hours, days or weeks: 12h, 1d, 1w; 1h "
                "to 52w)",
                text);
        }
        l->turn_s = n * unit_s;
    }
    if (!(v = config_node_get(node, "handoff"))) {
        return rulefile_fail(c, node->line, path,
                             "a rotation needs handoff: (the local start of the first turn, e.g. "
                             "\"2026-11-30T09:00\")");
    }
    if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "handoff"), &text) != 0) {
        return -1;
    }
    int y, mo, d, h, mi, used = 0;
    int64_t yy;
    int mm, dd;
    bool ok = strlen(text) == 16 &&
              sscanf(text, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) == 5 &&
              used == 16 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 &&
              mi >= 0 && mi <= 59;
    int64_t day = ok ? tz_days_from_civil(y, mo, d) : 0;
    if (ok) {
        tz_civil_from_days(day, &yy, &mm, &dd);
        ok = yy == y && mm == mo && dd == d;
    }
    if (!ok) {
        return rulefile_fail(
            c, v->line, key,
            "\"%s\" is not a local date and time (YYYY-MM-DDTHH:MM, no offset: the "
            "schedule's time_zone applies)",
            text);
    }
    l->handoff_local_s = day * 86400 + h * 3600 + mi * 60;
    return 0;
}

static int np_layer(const rulefile_t *c, const notify_people_t *p, const config_node_t *item,
                    const char *path, oncall_layer_t *l)
{
    static const char *const allowed[] = {"name", "participants", "rotation", "restriction", NULL};
    const config_node_t *v;
    char key[192];
    const char *text;
    if (rulefile_check_keys(c, item, path, allowed) != 0) {
        return -1;
    }
    l->line = item->line;
    if ((v = config_node_get(item, "name")) &&
        rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "name"), &text) != 0) {
        return -1;
    }
    if (!(v = config_node_get(item, "participants"))) {
        return rulefile_fail(c, item->line, path, "a layer needs participants: (user names)");
    }
    if (rulefile_seq(c, v, rulefile_key(key, sizeof key, path, "participants")) != 0) {
        return -1;
    }
    if (v->n == 0) {
        return rulefile_fail(c, v->line, key, "a layer needs at least one participant");
    }
    l->participants = xcalloc(v->n, sizeof *l->participants);
    for (size_t j = 0; j < v->n; j++) {
        char pkey[224];
        snprintf(pkey, sizeof pkey, "%s[%zu]", key, j);
        if (np_user_ref(c, p, v->children[j], pkey, &l->participants[j]) != 0) {
            return -1;
        }
        l->nparticipants++;
    }
    if (!(v = config_node_get(item, "rotation"))) {
        return rulefile_fail(c, item->line, path,
                             "a layer needs rotation: {length: 1w, handoff: \"YYYY-MM-DDTHH:MM\"}");
    }
    if (np_rotation(c, v, rulefile_key(key, sizeof key, path, "rotation"), l) != 0) {
        return -1;
    }
    if ((v = config_node_get(item, "restriction")) && !config_node_is_null(v) &&
        np_restriction(c, v, rulefile_key(key, sizeof key, path, "restriction"), l) != 0) {
        return -1;
    }
    return 0;
}

static int np_time(const rulefile_t *c, const config_node_t *node, const char *key, int64_t *out)
{
    const char *text;
    if (rulefile_scalar(c, node, key, &text) != 0) {
        return -1;
    }
    if (decode_time_parse(text, strlen(text), 0, out) != 0) {
        return rulefile_fail(c, node->line, key,
                             "\"%s\" is not an RFC 3339 time (2026-12-24T18:00:00+01:00)", text);
    }
    return 0;
}

static int np_overrides(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                        const char *path, notify_schedule_t *s)
{
    static const char *const allowed[] = {"user", "from", "to", "comment", NULL};
    if (rulefile_seq(c, node, path) != 0) {
        return -1;
    }
    s->overrides = xcalloc(node->n ? node->n : 1, sizeof *s->overrides);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *u, *f, *t, *v;
        char ipath[160], key[192];
        const char *text = "";
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (rulefile_check_keys(c, item, ipath, allowed) != 0) {
            return -1;
        }
        if (!(u = config_node_get(item, "user")) || !(f = config_node_get(item, "from")) ||
            !(t = config_node_get(item, "to"))) {
            return rulefile_fail(c, item->line, ipath, "an override needs user:, from: and to:");
        }
        oncall_override_t *o = &s->overrides[s->noverrides++];
        o->line = item->line;
        if ((v = config_node_get(item, "comment")) &&
            rulefile_scalar(c, v, rulefile_key(key, sizeof key, ipath, "comment"), &text) != 0) {
            return -1;
        }
        o->comment = xstrdup(text);
        if (np_user_ref(c, p, u, rulefile_key(key, sizeof key, ipath, "user"), &o->user) != 0 ||
            np_time(c, f, rulefile_key(key, sizeof key, ipath, "from"), &o->from_us) != 0 ||
            np_time(c, t, rulefile_key(key, sizeof key, ipath, "to"), &o->to_us) != 0) {
            return -1;
        }
        if (o->to_us <= o->from_us) {
            return rulefile_fail(c, t->line, key,
                                 "ends before it starts (to: must be after from:)");
        }
    }
    return 0;
}

int np_load_schedules(const rulefile_t *c, const config_node_t *node, notify_people_t *p)
{
    static const char *const allowed[] = {"name", "time_zone", "layers", "overrides", NULL};
    if (rulefile_seq(c, node, "schedules") != 0) {
        return -1;
    }
    p->schedules = xcalloc(node->n ? node->n : 1, sizeof *p->schedules);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name;
        snprintf(path, sizeof path, "schedules[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            np_name(c, item, path, "schedule", p->schedules, p->nschedules, sizeof *p->schedules,
                    &name) != 0) {
            return -1;
        }
        notify_schedule_t *s = &p->schedules[p->nschedules++];
        s->name = xstrdup(name);
        s->line = rulefile_key_line(item, "name");
        s->time_zone = xstrdup("UTC");
        if ((v = config_node_get(item, "time_zone")) &&
            np_zone(c, v, rulefile_key(key, sizeof key, path, "time_zone"), &s->time_zone,
                    &s->tz) != 0) {
            return -1;
        }
        if (!(v = config_node_get(item, "layers"))) {
            return rulefile_fail(c, item->line, path, "every schedule needs layers:");
        }
        if (rulefile_seq(c, v, rulefile_key(key, sizeof key, path, "layers")) != 0) {
            return -1;
        }
        if (v->n == 0) {
            return rulefile_fail(c, v->line, key, "a schedule needs at least one layer");
        }
        s->layers = xcalloc(v->n, sizeof *s->layers);
        for (size_t j = 0; j < v->n; j++) {
            char lpath[192];
            snprintf(lpath, sizeof lpath, "%s[%zu]", key, j);
            if (np_layer(c, p, v->children[j], lpath, &s->layers[s->nlayers++]) != 0) {
                return -1;
            }
        }
        if ((v = config_node_get(item, "overrides")) && !config_node_is_null(v) &&
            np_overrides(c, p, v, rulefile_key(key, sizeof key, path, "overrides"), s) != 0) {
            return -1;
        }
    }
    return 0;
}
