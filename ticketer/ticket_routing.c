/*
 * ticket_routing - loads and validates the routing file, and routes
 * incidents with it. Calendars are built here into sla_calendar_t (whose
 * arithmetic is in sla_calendar.c); matchers are corr_match.c's.
 *
 * The file, as implemented (every key optional unless said; defaults in
 * brackets; docs/TICKET_RULES.md has the long form and a worked example):
 *
 *   comment_interval: 60s        # at most one system comment per ticket per interval [60s]
 *   queues:                      # names unique [one built-in queue NOC]
 *     - name: NOC                # required: letters, digits, _ and -
 *       key_prefix: NOC          # keys NOC-1042; A-Z, then A-Z0-9, <= 10 [the name, upper-cased]
 *       auto_resolve: true       # resolve the ticket when its incident resolves [true]
 *       auto_close_after: 24h    # resolved -> closed after this; 0 = never [24h]
 *   calendars:                   # names unique
 *     - name: office             # required
 *       time_zone: Europe/Amsterdam   # IANA name [UTC]
 *       hours:                   # required: day or day range -> "HH:MM-HH:MM" list or one
 *         mon-fri: ["09:00-17:00"]    # days not named are closed; 24:00 ends a day
 *       holidays: ["2026-12-25"] # local dates, closed all day [none]
 *   sla_policies:                # names unique; at least one target each
 *     - name: critical-24x7      # required
 *       calendar: office         # a calendar's name [24x7]
 *       first_response: 15m      # business time to acknowledge [none]
 *       resolution: 4h           # business time to resolve [none]
 *       update_interval: 1h      # business time between updates [none]
 *       warn_at: 80%             # warning when this share is used, 1%..100% [80%]
 *   routes:                      # in order, first match wins; names unique
 *     - name: core-network       # required
 *       match: ["labels.team = noc"]  # all must match; [] or absent = every incident
 *       queue: NOC               # [the first queue]
 *       impact: high             # high | medium | low [medium]
 *       urgency: from_severity   # high | medium | low | from_severity [from_severity]
 *       priority: P2             # 1..4 or P1..P4: fixed [impact x urgency]
 *       sla: critical-24x7       # one policy for every priority, or {P1: a, P2: b, ...} [none]
 *       open_ticket: true        # false: record the incident, open no ticket [true]
 *
 * Errors are "file:line: key: reason" with key the path to the value
 * ("routes[2].queue", "calendars[0].hours.mon-fri"; indexes count from 0).
 *
 * Does not: keep state or read a clock.
 */
#include "ticket_routing.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "rulefile.h"
#include "xalloc.h"

#define RT_S   INT64_C(1000000)
#define RT_MIN (60 * RT_S)
#define RT_DAY (1440 * RT_MIN)

/* Defaults, stated once. */
#define RT_DEF_COMMENT_INTERVAL (60 * RT_S)
#define RT_DEF_AUTO_CLOSE       RT_DAY
#define RT_DEF_WARN_PERMILLE    800
#define RT_MAX_DURATION         (365 * RT_DAY) /* any longer is a typo */
#define RT_MAX_PREFIX           10
#define RT_BUILTIN_QUEUE        "NOC"

/* ---- Decisions ------------------------------------------------------------------ */

int ticket_priority(ticket_level_t impact, ticket_level_t urgency)
{
    /* Rows impact, columns urgency, both HIGH MEDIUM LOW. */
    static const int matrix[3][3] = {{1, 2, 3}, {2, 3, 4}, {3, 4, 4}};
    int i = impact >= TICKET_LEVEL_HIGH && impact <= TICKET_LEVEL_LOW ? (int)impact - 1 : 2;
    int u = urgency >= TICKET_LEVEL_HIGH && urgency <= TICKET_LEVEL_LOW ? (int)urgency - 1 : 2;
    return matrix[i][u];
}

ticket_level_t ticket_urgency_from_severity(event_severity_t s)
{
    switch (s) {
    case EVENT_SEVERITY_CRITICAL:
    case EVENT_SEVERITY_MAJOR:
        return TICKET_LEVEL_HIGH;
    case EVENT_SEVERITY_MINOR:
    case EVENT_SEVERITY_WARNING:
        return TICKET_LEVEL_MEDIUM;
    default:
        return TICKET_LEVEL_LOW;
    }
}

const char *ticket_level_name(ticket_level_t l)
{
    switch (l) {
    case TICKET_LEVEL_HIGH:
        return "high";
    case TICKET_LEVEL_MEDIUM:
        return "medium";
    case TICKET_LEVEL_LOW:
        return "low";
    }
    return "?";
}

void ticket_routing_decide(const ticket_routing_t *r, const event_t *cause,
                           ticket_route_result_t *out)
{
    const ticket_route_t *route = &r->fallback;
    for (size_t i = 0; i < r->nroutes; i++) {
        if (corr_matchers_match(r->routes[i].matchers, r->routes[i].nmatchers, cause)) {
            route = &r->routes[i];
            break;
        }
    }
    int priority = route->priority;
    if (priority < 1 || priority > 4) {
        ticket_level_t urgency =
            route->urgency ? route->urgency : ticket_urgency_from_severity(cause->severity);
        priority = ticket_priority(route->impact, urgency);
    }
    out->route = route;
    out->queue = route->queue;
    out->priority = priority;
    out->sla = route->open_ticket ? route->sla[priority] : NULL;
    out->open_ticket = route->open_ticket;
}

const ticket_queue_t *ticket_routing_queue(const ticket_routing_t *r, const char *name)
{
    for (size_t i = 0; name && i < r->nqueues; i++) {
        if (strcmp(r->queues[i].name, name) == 0) {
            return &r->queues[i];
        }
    }
    return NULL;
}

const sla_policy_t *ticket_routing_policy(const ticket_routing_t *r, const char *name)
{
    for (size_t i = 0; name && i < r->npolicies; i++) {
        if (strcmp(r->policies[i].name, name) == 0) {
            return &r->policies[i];
        }
    }
    return NULL;
}

const sla_calendar_t *ticket_routing_calendar(const ticket_routing_t *r, const char *name)
{
    for (size_t i = 0; name && i < r->ncalendars; i++) {
        if (strcmp(r->calendars[i].name, name) == 0) {
            return &r->calendars[i];
        }
    }
    return NULL;
}

/* ---- Loading: helpers --------------------------------------------------------------- */

/* A duration in [0, RT_MAX_DURATION]; "0" or a number with a unit. This
 * file's wording: "needs a unit (e.g. 4m or 4h)", "out of range (0 to 365d)". */
static int rt_duration(const rulefile_t *c, const config_node_t *node, const char *key,
                       int64_t *out)
{
    return rulefile_duration(c, node, key, 0, RT_MAX_DURATION, "m h", "0 to 365d", out);
}

/* ---- Loading: queues ---------------------------------------------------------------- */

static void rt_queue_set(ticket_queue_t *q, const char *name, const char *prefix, int line)
{
    q->name = xstrdup(name);
    q->key_prefix = xstrdup(prefix);
    q->line = line;
    q->auto_resolve = true;
    q->auto_close_after_us = RT_DEF_AUTO_CLOSE;
}

static int rt_load_queues(const rulefile_t *c, const config_node_t *node, ticket_routing_t *r)
{
    static const char *const allowed[] = {"name", "key_prefix", "auto_resolve", "auto_close_after",
                                          NULL};
    if (rulefile_seq(c, node, "queues") != 0) {
        return -1;
    }
    r->queues = xcalloc(node->n ? node->n : 1, sizeof *r->queues);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name;
        snprintf(path, sizeof path, "queues[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            rulefile_ident(c, item, path, "queue", &name) != 0) {
            return -1;
        }
        int line = rulefile_key_line(item, "name");
        if (rulefile_unique(c, name, line, rulefile_key(key, sizeof key, path, "name"), "queue",
                            r->queues, r->nqueues, sizeof *r->queues,
                            offsetof(ticket_queue_t, line)) != 0) {
            return -1;
        }
        /* Default prefix: the name upper-cased, letters and digits only. */
        char upper[RT_MAX_PREFIX + 1] = "";
        size_t nu = 0;
        for (size_t k = 0; name[k] && nu < RT_MAX_PREFIX; k++) {
            char ch = name[k];
            ch = (char)((ch >= 'a' && ch <= 'z') ? ch - 'a' + 'A' : ch);
            if ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
                upper[nu++] = ch;
            }
        }
        upper[nu] = '\0';
        const char *prefix = upper;
        v = config_node_get(item, "key_prefix");
        rulefile_key(key, sizeof key, path, "key_prefix");
        if (v && rulefile_scalar(c, v, key, &prefix) != 0) {
            return -1;
        }
        int prefix_line = v ? v->line : line;
        if (!(prefix[0] >= 'A' && prefix[0] <= 'Z') ||
            prefix[strspn(prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] != '\0' ||
            strlen(prefix) > RT_MAX_PREFIX) {
            if (!v) {
                return rulefile_fail(
                    c, line, path,
                    "queue \"%s\" gives no key prefix (A-Z first): write key_prefix:", name);
            }
            return rulefile_fail(c, prefix_line, key,
                                 "\"%s\" is not a key prefix (A-Z, then A-Z and 0-9, up to %d)",
                                 prefix, RT_MAX_PREFIX);
        }
        for (size_t j = 0; j < r->nqueues; j++) {
            if (strcmp(r->queues[j].key_prefix, prefix) == 0) {
                return rulefile_fail(
                    c, prefix_line, key,
                    "\"%s\" is already the prefix of queue \"%s\" (line %d): ticket "
                    "keys must be unique",
                    prefix, r->queues[j].name, r->queues[j].line);
            }
        }
        ticket_queue_t *q = &r->queues[r->nqueues++];
        rt_queue_set(q, name, prefix, line);
        if ((v = config_node_get(item, "auto_resolve")) &&
            rulefile_bool(c, v, rulefile_key(key, sizeof key, path, "auto_resolve"),
                          &q->auto_resolve) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "auto_close_after")) &&
            rt_duration(c, v, rulefile_key(key, sizeof key, path, "auto_close_after"),
                        &q->auto_close_after_us) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Loading: calendars ------------------------------------------------------------- */

static int rt_hours_cmp(const void *a, const void *b)
{
    const sla_hours_t *x = a, *y = b;
    return (x->start_minute > y->start_minute) - (x->start_minute < y->start_minute);
}

static int rt_load_hours(const rulefile_t *c, const config_node_t *node, const char *path,
                         sla_calendar_t *cal)
{
    int day_line[7] = {0};
    if (!node || node->type != CONFIG_NODE_MAPPING) {
        return rulefile_fail(
            c, node ? node->line : 0, path,
            "expected a mapping of days to hours (mon-fri: \"09:00-17:00\"), got a %s",
            config_node_type_name(node));
    }
    for (size_t i = 0; i < node->n; i++) {
        const char *k = node->keys[i];
        const config_node_t *v = node->children[i];
        char key[160];
        rulefile_key(key, sizeof key, path, k);
        /* The days: "mon" or a range "mon-fri" (no wrapping past sunday). */
        const char *dash = strchr(k, '-');
        int from = rulefile_day(k, dash ? (size_t)(dash - k) : strlen(k));
        int to = dash ? rulefile_day(dash + 1, strlen(dash + 1)) : from;
        if (from < 0 || to < 0) {
            return rulefile_fail(c, node->key_lines[i], key,
                                 "unknown day (use mon, tue, wed, thu, fri, sat, sun, or a range "
                                 "such as mon-fri)");
        }
        if (to < from) {
            return rulefile_fail(c, node->key_lines[i], key,
                                 "a day range runs from monday to sunday (write two keys for a "
                                 "range that wraps)");
        }
        /* The slots: one string, a list of them, or [] for closed. */
        size_t n = v->type == CONFIG_NODE_SCALAR ? 1 : v->n;
        if (v->type != CONFIG_NODE_SCALAR && rulefile_seq(c, v, key) != 0) {
            return -1;
        }
        sla_hours_t *slots = xcalloc(n ? n : 1, sizeof *slots);
        for (size_t j = 0; j < n; j++) {
            const config_node_t *s = v->type == CONFIG_NODE_SCALAR ? v : v->children[j];
            const char *text;
            if (rulefile_scalar(c, s, key, &text) != 0) {
                free(slots);
                return -1;
            }
            if (rulefile_hours(text, &slots[j].start_minute, &slots[j].end_minute) != 0) {
                free(slots);
                return rulefile_fail(c, s->line, key,
                                     "\"%s\" is not opening hours (HH:MM-HH:MM, start before end, "
                                     "24:00 at most)",
                                     text);
            }
        }
        qsort(slots, n, sizeof *slots, rt_hours_cmp);
        for (size_t j = 1; j < n; j++) {
            if (slots[j - 1].end_minute > slots[j].start_minute) {
                int a = slots[j - 1].start_minute, b = slots[j - 1].end_minute;
                int x = slots[j].start_minute, y = slots[j].end_minute;
                free(slots);
                return rulefile_fail(c, v->line, key,
                                     "%02d:%02d-%02d:%02d overlaps %02d:%02d-%02d:%02d", a / 60,
                                     a % 60, b / 60, b % 60, x / 60, x % 60, y / 60, y % 60);
            }
        }
        for (int d = from; d <= to; d++) {
            if (day_line[d]) {
                static const char *const abbr[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
                free(slots);
                return rulefile_fail(c, node->key_lines[i], key, "%s already has hours (line %d)",
                                     abbr[d], day_line[d]);
            }
            day_line[d] = node->key_lines[i];
            cal->hours[d] = xcalloc(n ? n : 1, sizeof *slots);
            memcpy(cal->hours[d], slots, n * sizeof *slots);
            cal->nhours[d] = n;
        }
        free(slots);
    }
    if (!sla_calendar_has_hours(cal)) {
        return rulefile_fail(c, node->line, path,
                             "no open hours in the whole week (an SLA on this calendar would never "
                             "fall due)");
    }
    return 0;
}

static int rt_day_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int rt_load_holidays(const rulefile_t *c, const config_node_t *node, const char *path,
                            sla_calendar_t *cal)
{
    if (rulefile_seq(c, node, path) != 0) {
        return -1;
    }
    cal->holidays = xcalloc(node->n ? node->n : 1, sizeof *cal->holidays);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *v = node->children[i];
        const char *text;
        int y, m, d, used = 0;
        if (rulefile_scalar(c, v, path, &text) != 0) {
            return -1;
        }
        int64_t yy;
        int mm, dd;
        bool ok = sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3 && used == 10 &&
                  text[10] == '\0' && m >= 1 && m <= 12 && d >= 1 && d <= 31;
        int64_t day = ok ? tz_days_from_civil(y, m, d) : 0;
        if (ok) {
            tz_civil_from_days(day, &yy, &mm, &dd);
            ok = yy == y && mm == m && dd == d; /* refuses 2026-02-30 */
        }
        if (!ok) {
            return rulefile_fail(c, v->line, path, "\"%s\" is not a date (YYYY-MM-DD)", text);
        }
        for (size_t j = 0; j < cal->nholidays; j++) {
            if (cal->holidays[j] == day) {
                return rulefile_fail(c, v->line, path, "%s is listed twice", text);
            }
        }
        cal->holidays[cal->nholidays++] = day;
    }
    qsort(cal->holidays, cal->nholidays, sizeof *cal->holidays, rt_day_cmp);
    return 0;
}

static int rt_load_calendars(const rulefile_t *c, const config_node_t *node, ticket_routing_t *r)
{
    static const char *const allowed[] = {"name", "time_zone", "hours", "holidays", NULL};
    if (rulefile_seq(c, node, "calendars") != 0) {
        return -1;
    }
    r->calendars = xcalloc(node->n ? node->n : 1, sizeof *r->calendars);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name;
        snprintf(path, sizeof path, "calendars[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            rulefile_ident(c, item, path, "calendar", &name) != 0) {
            return -1;
        }
        int line = rulefile_key_line(item, "name");
        if (rulefile_unique(c, name, line, rulefile_key(key, sizeof key, path, "name"), "calendar",
                            r->calendars, r->ncalendars, sizeof *r->calendars,
                            offsetof(sla_calendar_t, line)) != 0) {
            return -1;
        }
        sla_calendar_t *cal = &r->calendars[r->ncalendars++];
        cal->name = xstrdup(name);
        cal->line = line;
        if ((v = config_node_get(item, "time_zone"))) {
            const char *zone;
            char why[256];
            if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "time_zone"), &zone) !=
                0) {
                return -1;
            }
            if (strcmp(zone, "UTC") != 0) { /* UTC is the NULL zone: no look-ups */
                cal->tz = tz_load(zone, why, sizeof why);
                if (!cal->tz) {
                    return rulefile_fail(c, v->line, key, "%s", why);
                }
            }
        }
        if (!(v = config_node_get(item, "hours"))) {
            return rulefile_fail(
                c, line, path,
                "every calendar needs hours: (e.g. hours: {mon-fri: \"09:00-17:00\"})");
        }
        if (rt_load_hours(c, v, rulefile_key(key, sizeof key, path, "hours"), cal) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "holidays")) && !config_node_is_null(v) &&
            rt_load_holidays(c, v, rulefile_key(key, sizeof key, path, "holidays"), cal) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Loading: SLA policies ---------------------------------------------------------- */

/* "80%": 1..100 percent, as permille. */
static int rt_percent(const rulefile_t *c, const config_node_t *node, const char *key, int *out)
{
    const char *text;
    int p, used = 0;
    if (rulefile_scalar(c, node, key, &text) != 0) {
        return -1;
    }
    if (sscanf(text, "%3d%%%n", &p, &used) != 1 || used == 0 || text[used] != '\0' ||
        text[0] < '0' || text[0] > '9' || p < 1 || p > 100) {
        return rulefile_fail(c, node->line, key, "\"%s\" is not a share (1%% to 100%%, e.g. 80%%)",
                             text);
    }
    *out = p * 10;
    return 0;
}

static int rt_load_policies(const rulefile_t *c, const config_node_t *node, ticket_routing_t *r)
{
    static const char *const allowed[] = {
        "name", "calendar", "first_response", "resolution", "update_interval", "warn_at", NULL};
    if (rulefile_seq(c, node, "sla_policies") != 0) {
        return -1;
    }
    r->policies = xcalloc(node->n ? node->n : 1, sizeof *r->policies);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name;
        snprintf(path, sizeof path, "sla_policies[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            rulefile_ident(c, item, path, "SLA policy", &name) != 0) {
            return -1;
        }
        int line = rulefile_key_line(item, "name");
        if (rulefile_unique(c, name, line, rulefile_key(key, sizeof key, path, "name"),
                            "SLA policy", r->policies, r->npolicies, sizeof *r->policies,
                            offsetof(sla_policy_t, line)) != 0) {
            return -1;
        }
        sla_policy_t *p = &r->policies[r->npolicies++];
        p->name = xstrdup(name);
        p->line = line;
        p->warn_permille = RT_DEF_WARN_PERMILLE;
        if ((v = config_node_get(item, "calendar"))) {
            const char *cal;
            if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "calendar"), &cal) != 0) {
                return -1;
            }
            p->calendar = ticket_routing_calendar(r, cal);
            if (!p->calendar) {
                return rulefile_unknown(c, v->line, key, "calendar", cal, r->calendars,
                                        r->ncalendars, sizeof *r->calendars, "calendars");
            }
        }
        struct {
            const char *key;
            int64_t *dst;
        } targets[] = {{"first_response", &p->first_response_us},
                       {"resolution", &p->resolution_us},
                       {"update_interval", &p->update_interval_us}};
        for (size_t k = 0; k < 3; k++) {
            if ((v = config_node_get(item, targets[k].key)) &&
                rt_duration(c, v, rulefile_key(key, sizeof key, path, targets[k].key),
                            targets[k].dst) != 0) {
                return -1;
            }
        }
        if (!p->first_response_us && !p->resolution_us && !p->update_interval_us) {
            return rulefile_fail(c, line, path,
                                 "SLA policy \"%s\" sets no target (first_response, resolution or "
                                 "update_interval)",
                                 name);
        }
        if ((v = config_node_get(item, "warn_at")) &&
            rt_percent(c, v, rulefile_key(key, sizeof key, path, "warn_at"), &p->warn_permille) !=
                0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Loading: routes ---------------------------------------------------------------- */

/* A list of matchers ("field op value" strings or {field, op, value} maps),
 * allocated at its final size so that the compiled regexes never move. The
 * same two forms as the correlation rules. */
static int rt_matchers(const rulefile_t *c, const config_node_t *node, const char *key,
                       ticket_route_t *route)
{
    static const char *const allowed[] = {"field", "op", "value", NULL};
    if (rulefile_seq(c, node, key) != 0) {
        return -1;
    }
    route->matchers = xcalloc(node->n ? node->n : 1, sizeof *route->matchers);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i];
        char why[512], path[192];
        int rc;
        snprintf(path, sizeof path, "%s[%zu]", key, i);
        if (item->type == CONFIG_NODE_SCALAR) {
            rc = corr_matcher_parse(item->value, &route->matchers[i], why, sizeof why);
        } else if (item->type == CONFIG_NODE_MAPPING) {
            const config_node_t *f = config_node_get(item, "field"),
                                *o = config_node_get(item, "op"),
                                *v = config_node_get(item, "value");
            const char *field, *op = "=", *value;
            if (rulefile_check_keys(c, item, path, allowed) != 0) {
                return -1;
            }
            if (!f || !v) {
                return rulefile_fail(
                    c, item->line, path,
                    "a matcher map needs field: and value: (write \"\" for empty)");
            }
            if (rulefile_scalar(c, f, path, &field) != 0 ||
                (o && rulefile_scalar(c, o, path, &op) != 0) ||
                rulefile_scalar(c, v, path, &value) != 0) {
                return -1;
            }
            rc = corr_matcher_build(field, op, value, &route->matchers[i], why, sizeof why);
        } else {
            return rulefile_fail(c, item->line, path,
                                 "expected \"field op value\" or {field, op, value}, got a %s",
                                 config_node_type_name(item));
        }
        if (rc != 0) {
            return rulefile_fail(c, item->line, path, "%s", why);
        }
        route->matchers[i].line = item->line;
        route->nmatchers = i + 1;
    }
    return 0;
}

/* high | medium | low (and from_severity when allowed, as 0). */
static int rt_level(const rulefile_t *c, const config_node_t *node, const char *key,
                    bool from_severity_ok, ticket_level_t *out)
{
    /* In ticket_level_t order from TICKET_LEVEL_HIGH. */
    static const char *const levels[] = {"high", "medium", "low", "from_severity", NULL};
    static const char *const fixed[] = {"high", "medium", "low", NULL};
    int i;
    if (rulefile_enum(c, node, key, from_severity_ok ? levels : fixed, &i) != 0) {
        return -1;
    }
    *out = i == 3 ? (ticket_level_t)0 : (ticket_level_t)(TICKET_LEVEL_HIGH + i);
    return 0;
}

static int rt_policy_ref(const rulefile_t *c, const config_node_t *node, const char *key,
                         const ticket_routing_t *r, const sla_policy_t **out)
{
    const char *name;
    if (rulefile_scalar(c, node, key, &name) != 0) {
        return -1;
    }
    *out = ticket_routing_policy(r, name);
    if (!*out) {
        return rulefile_unknown(c, node->line, key, "SLA policy", name, r->policies, r->npolicies,
                                sizeof *r->policies, "sla_policies");
    }
    return 0;
}

/* sla: one policy name for every priority, or {P1: a, P2: b, ...}. */
static int rt_route_sla(const rulefile_t *c, const config_node_t *node, const char *key,
                        const ticket_routing_t *r, ticket_route_t *route)
{
    static const char *const prios[] = {"P1", "P2", "P3", "P4", NULL};
    if (node->type == CONFIG_NODE_SCALAR) {
        const sla_policy_t *p;
        if (rt_policy_ref(c, node, key, r, &p) != 0) {
            return -1;
        }
        for (int k = 1; k <= 4; k++) {
            route->sla[k] = p;
        }
        return 0;
    }
    if (node->type != CONFIG_NODE_MAPPING) {
        return rulefile_fail(c, node->line, key,
                             "expected a policy name or {P1: name, P2: name, ...}, got a %s",
                             config_node_type_name(node));
    }
    if (rulefile_check_keys(c, node, key, prios) != 0) {
        return -1;
    }
    for (int k = 1; k <= 4; k++) {
        const config_node_t *v = config_node_get(node, prios[k - 1]);
        char pkey[192];
        if (v && rt_policy_ref(c, v, rulefile_key(pkey, sizeof pkey, key, prios[k - 1]), r,
                               &route->sla[k]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int rt_load_route(const rulefile_t *c, const config_node_t *item, const char *path,
                         ticket_routing_t *r, ticket_route_t *route)
{
    const config_node_t *v;
    char key[160];
    const char *text;
    if ((v = config_node_get(item, "match")) && !config_node_is_null(v) &&
        rt_matchers(c, v, rulefile_key(key, sizeof key, path, "match"), route) != 0) {
        return -1;
    }
    if ((v = config_node_get(item, "open_ticket")) &&
        rulefile_bool(c, v, rulefile_key(key, sizeof key, path, "open_ticket"),
                      &route->open_ticket) != 0) {
        return -1;
    }
    if (!route->open_ticket) {
        /* Settings that cannot apply are a mistake worth saying. */
        static const char *const ticket_keys[] = {"queue",    "impact", "urgency",
                                                  "priority", "sla",    NULL};
        for (size_t k = 0; ticket_keys[k]; k++) {
            if (config_node_get(item, ticket_keys[k])) {
                return rulefile_fail(c, rulefile_key_line(item, ticket_keys[k]),
                                     rulefile_key(key, sizeof key, path, ticket_keys[k]),
                                     "does not apply to a route with open_ticket: false (it opens "
                                     "no ticket)");
            }
        }
    }
    if ((v = config_node_get(item, "queue"))) {
        if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "queue"), &text) != 0) {
            return -1;
        }
        route->queue = ticket_routing_queue(r, text);
        if (!route->queue) {
            return rulefile_unknown(c, v->line, key, "queue", text, r->queues, r->nqueues,
                                    sizeof *r->queues, NULL);
        }
    }
    if ((v = config_node_get(item, "impact")) &&
        rt_level(c, v, rulefile_key(key, sizeof key, path, "impact"), false, &route->impact) != 0) {
        return -1;
    }
    if ((v = config_node_get(item, "urgency")) &&
        rt_level(c, v, rulefile_key(key, sizeof key, path, "urgency"), true, &route->urgency) !=
            0) {
        return -1;
    }
    if ((v = config_node_get(item, "priority"))) {
        if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "priority"), &text) != 0) {
            return -1;
        }
        const char *digit = (text[0] == 'P' || text[0] == 'p') ? text + 1 : text;
        if (digit[0] < '1' || digit[0] > '4' || digit[1] != '\0') {
            return rulefile_fail(c, v->line, key, "\"%s\" is not a priority (1 to 4, or P1 to P4)",
                                 text);
        }
        route->priority = digit[0] - '0';
    }
    if ((v = config_node_get(item, "sla")) &&
        rt_route_sla(c, v, rulefile_key(key, sizeof key, path, "sla"), r, route) != 0) {
        return -1;
    }
    return 0;
}

static int rt_load_routes(const rulefile_t *c, const config_node_t *node, ticket_routing_t *r)
{
    static const char *const allowed[] = {"name",     "match", "queue",       "impact", "urgency",
                                          "priority", "sla",   "open_ticket", NULL};
    if (rulefile_seq(c, node, "routes") != 0) {
        return -1;
    }
    r->routes = xcalloc(node->n ? node->n : 1, sizeof *r->routes);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i];
        char path[64], key[160];
        const char *name;
        snprintf(path, sizeof path, "routes[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            rulefile_ident(c, item, path, "route", &name) != 0) {
            return -1;
        }
        int line = rulefile_key_line(item, "name");
        if (rulefile_unique(c, name, line, rulefile_key(key, sizeof key, path, "name"), "route",
                            r->routes, r->nroutes, sizeof *r->routes,
                            offsetof(ticket_route_t, line)) != 0) {
            return -1;
        }
        ticket_route_t *route = &r->routes[r->nroutes++];
        route->name = xstrdup(name);
        route->line = line;
        route->queue = &r->queues[0];
        route->impact = TICKET_LEVEL_MEDIUM;
        route->open_ticket = true;
        if (rt_load_route(c, item, path, r, route) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Loading: the file -------------------------------------------------------------- */

/* The route taken when none matches. */
static void rt_fallback(ticket_routing_t *r)
{
    r->fallback = (ticket_route_t){0};
    r->fallback.name = xstrdup("(fallback)");
    r->fallback.queue = &r->queues[0];
    r->fallback.impact = TICKET_LEVEL_MEDIUM;
    r->fallback.open_ticket = true;
}

/* A routing set with no queue yet (the loader fills them first). */
static ticket_routing_t *rt_new(const char *path)
{
    ticket_routing_t *r = xcalloc(1, sizeof *r);
    r->path = xstrdup(path);
    r->comment_interval_us = RT_DEF_COMMENT_INTERVAL;
    return r;
}

/* The built-in queue, when the file names none. */
static void rt_builtin_queue(ticket_routing_t *r)
{
    if (!r->queues) {
        r->queues = xcalloc(1, sizeof *r->queues);
    }
    rt_queue_set(&r->queues[0], RT_BUILTIN_QUEUE, RT_BUILTIN_QUEUE, 0);
    r->nqueues = 1;
}

ticket_routing_t *ticket_routing_default(void)
{
    ticket_routing_t *r = rt_new("(defaults)");
    rt_builtin_queue(r);
    rt_fallback(r);
    return r;
}

/* rulefile_build_fn: arg is the caller's ticket_routing_t **. */
static int rt_build(const rulefile_t *rf, const config_node_t *root, void *arg)
{
    static const char *const allowed[] = {"comment_interval", "queues", "calendars",
                                          "sla_policies",     "routes", NULL};
    ticket_routing_t **out = arg;
    ticket_routing_t *r = rt_new(rf->file);
    const config_node_t *v;
    if (root && rulefile_check_keys(rf, root, "", allowed) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "comment_interval")) &&
        rt_duration(rf, v, "comment_interval", &r->comment_interval_us) != 0) {
        goto fail;
    }
    /* In the order references need them, wherever they are in the file. */
    if ((v = config_node_get(root, "queues")) && !config_node_is_null(v) &&
        rt_load_queues(rf, v, r) != 0) {
        goto fail;
    }
    if (r->nqueues == 0) {
        rt_builtin_queue(r);
    }
    if ((v = config_node_get(root, "calendars")) && !config_node_is_null(v) &&
        rt_load_calendars(rf, v, r) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "sla_policies")) && !config_node_is_null(v) &&
        rt_load_policies(rf, v, r) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "routes")) && !config_node_is_null(v) &&
        rt_load_routes(rf, v, r) != 0) {
        goto fail;
    }
    rt_fallback(r);
    *out = r;
    return 0;
fail:
    ticket_routing_destroy(&r);
    return -1;
}

int ticket_routing_parse(const char *text, size_t len, const char *name, ticket_routing_t **out,
                         char *err, size_t errlen)
{
    *out = NULL;
    return rulefile_parse(name, text, len, rt_build, out, err, errlen);
}

int ticket_routing_load(const char *path, ticket_routing_t **out, char *err, size_t errlen)
{
    *out = NULL;
    return rulefile_load(path, rt_build, out, err, errlen);
}

void ticket_routing_destroy(ticket_routing_t **rp)
{
    if (!rp || !*rp) {
        return;
    }
    ticket_routing_t *r = *rp;
    for (size_t i = 0; i < r->nroutes; i++) {
        ticket_route_t *route = &r->routes[i];
        free(route->name);
        for (size_t j = 0; j < route->nmatchers; j++) {
            corr_matcher_free(&route->matchers[j]);
        }
        free(route->matchers);
    }
    free(r->routes);
    free(r->fallback.name);
    for (size_t i = 0; i < r->npolicies; i++) {
        free(r->policies[i].name);
    }
    free(r->policies);
    for (size_t i = 0; i < r->ncalendars; i++) {
        sla_calendar_free(&r->calendars[i]);
    }
    free(r->calendars);
    for (size_t i = 0; i < r->nqueues; i++) {
        free(r->queues[i].name);
        free(r->queues[i].key_prefix);
    }
    free(r->queues);
    free(r->path);
    free(r);
    *rp = NULL;
}
