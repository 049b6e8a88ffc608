/*
 * notify_people - loads and validates the people file, and answers
 * look-ups on a loaded set. Schedule arithmetic is oncall_schedule.c's.
 *
 * The file, as implemented (every key optional unless said; defaults in
 * brackets; docs/PAGING.md has the long form and a worked example):
 *
 *   users:                          # names unique
 *     - name: alice                 # required: letters, digits, _ and -
 *       display_name: Alice Jansen  # [the name]
 *       time_zone: Europe/Amsterdam # IANA name [UTC]
 *       contacts:                   # in the order to try them [none]
 *         - {type: email, address: alice@example.net}  # email | sms | webhook | chat
 *         - {type: sms, address: "+31612345678"}       # E.164
 *   teams:
 *     - name: noc                   # required
 *       members: [alice, bob]       # user names [none]
 *       schedule: noc-primary       # "team:noc" pages who is on call here [all members]
 *       escalation_policy: noc-default  # for its queues when no routing entry matches [none]
 *       queues: [NOC]               # ticket queues the team works [none]
 *   schedules:
 *     - name: noc-primary           # required
 *       time_zone: Europe/Amsterdam # hand-offs and hours are local to it [UTC]
 *       layers:                     # required, in order; a later layer wins where it has someone
 *         - name: weekly            # for messages [layer N]
 *           participants: [alice, bob]   # required, in turn order
 *           rotation: {length: 1w, handoff: "2026-11-30T09:00"}  # length Nh|Nd|Nw [1w];
 *                                   # handoff (required): local start of the first turn
 *           restriction: {mon-fri: ["18:00-24:00", "00:00-09:00"]}  # weekly hours [always]
 *       overrides:                  # X covers whoever is on call from..to [none]
 *         - {user: carol, from: "2026-12-24T18:00:00+01:00", to: "...", comment: "swap"}
 *   escalation_policies:
 *     - name: noc-p1                # required
 *       levels:                     # required, at least one
 *         - delay: 5m               # to acknowledge before the next level, 1s..24h [30m]
 *           targets: ["schedule:noc-primary"]  # user:NAME | schedule:NAME | team:NAME, required
 *       repeat: 2                   # extra passes over the levels, 0..9 [0]
 *       ack_reminder: 30m           # remind the acknowledger while unresolved, 1m..7d [never]
 *       breach_level: 3             # an SLA breach pages this level, 1..levels [the next]
 *   routing:
 *     policies:                     # first match wins
 *       - {queue: NOC, priority: [1, 2], policy: noc-p1}  # queue [any], priority 1..4|P1..P4 [any]
 *
 * Errors are "file:line: key: reason" with key the path to the value
 * ("schedules[0].layers[1].participants[2]"; indexes count from 0).
 *
 * Does not: parse schedules: (layers, rotations, restrictions, overrides:
 * notify_people_schedules.c); keep state or read a clock.
 */
#include "notify_people.h"
#include "notify_people_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "rulefile.h"
#include "xalloc.h"

#define NP_S          INT64_C(1000000)
#define NP_MIN        (60 * NP_S)
#define NP_HOUR       (60 * NP_MIN)
#define NP_DAY        (24 * NP_HOUR)
#define NP_DEF_DELAY  (30 * NP_MIN)
#define NP_MAX_REPEAT 9

/* ---- Look-ups ------------------------------------------------------------------------ */

/* The item named name among n items stride apart (name first in each). */
static const void *np_find(const void *items, size_t n, size_t stride, const char *name)
{
    for (size_t i = 0; name && i < n; i++) {
        const char *item = (const char *)items + i * stride;
        if (strcmp(*(char *const *)item, name) == 0) {
            return item;
        }
    }
    return NULL;
}

const notify_user_t *notify_people_user(const notify_people_t *p, const char *name)
{
    return np_find(p->users, p->nusers, sizeof *p->users, name);
}

const notify_team_t *notify_people_team(const notify_people_t *p, const char *name)
{
    return np_find(p->teams, p->nteams, sizeof *p->teams, name);
}

const notify_schedule_t *notify_people_schedule(const notify_people_t *p, const char *name)
{
    return np_find(p->schedules, p->nschedules, sizeof *p->schedules, name);
}

const notify_policy_t *notify_people_policy(const notify_people_t *p, const char *name)
{
    return np_find(p->policies, p->npolicies, sizeof *p->policies, name);
}

const notify_policy_t *notify_policy_for(const notify_people_t *p, const char *queue, int priority)
{
    for (size_t i = 0; i < p->nroutes; i++) {
        const notify_route_t *r = &p->routes[i];
        bool q = !r->queue || (queue && strcmp(r->queue, queue) == 0);
        bool pr = r->priorities == 0 ||
                  (priority >= 1 && priority <= 4 && (r->priorities & (1u << priority)));
        if (q && pr) {
            return r->policy;
        }
    }
    for (size_t i = 0; queue && i < p->nteams; i++) {
        for (size_t j = 0; j < p->teams[i].nqueues; j++) {
            if (strcmp(p->teams[i].queues[j], queue) == 0 && p->teams[i].policy) {
                return p->teams[i].policy;
            }
        }
    }
    return NULL;
}

const char *notify_contact_type_name(notify_contact_type_t t)
{
    switch (t) {
    case NOTIFY_CONTACT_EMAIL:
        return "email";
    case NOTIFY_CONTACT_SMS:
        return "sms";
    case NOTIFY_CONTACT_WEBHOOK:
        return "webhook";
    case NOTIFY_CONTACT_CHAT:
        return "chat";
    }
    return "?";
}

/* ---- Loading: helpers (the shared ones are common/rulefile.c's) --------------------------- */

/* A required, unique name: letters, digits, '_' and '-'. items/n/stride are
 * the ones loaded so far (name first, line second in each struct). */
int np_name(const rulefile_t *c, const config_node_t *item, const char *path, const char *what,
            const void *items, size_t n, size_t stride, const char **out)
{
    char key[160];
    if (rulefile_ident(c, item, path, what, out) != 0) {
        return -1;
    }
    return rulefile_unique(c, *out, config_node_get(item, "name")->line,
                           rulefile_key(key, sizeof key, path, "name"), what, items, n, stride,
                           sizeof(char *));
}

int np_zone(const rulefile_t *c, const config_node_t *node, const char *key, char **name,
            tz_t **keep)
{
    const char *zone;
    char why[256];
    if (rulefile_scalar(c, node, key, &zone) != 0) {
        return -1;
    }
    tz_t *tz = NULL;
    if (strcmp(zone, "UTC") != 0 && !(tz = tz_load(zone, why, sizeof why))) {
        return rulefile_fail(c, node->line, key, "%s", why);
    }
    free(*name);
    *name = xstrdup(zone);
    if (keep) {
        *keep = tz; /* UTC is the NULL zone: no look-ups */
    } else {
        tz_destroy(&tz);
    }
    return 0;
}

/* A user reference. */
int np_user_ref(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                const char *key, const notify_user_t **out)
{
    const char *name;
    if (rulefile_scalar(c, node, key, &name) != 0) {
        return -1;
    }
    if (!(*out = notify_people_user(p, name))) {
        return rulefile_unknown(c, node->line, key, "user", name, p->users, p->nusers,
                                sizeof *p->users, "users");
    }
    return 0;
}

/* ---- Loading: users ------------------------------------------------------------------- */

static bool np_email_ok(const char *a)
{
    const char *at = strchr(a, '@');
    return at && at != a && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
           a[strlen(a) - 1] != '.' && !strpbrk(a, " \t\r\n<>,;\"");
}

static bool np_e164_ok(const char *a)
{
    size_t n = strlen(a);
    return a[0] == '+' && a[1] >= '1' && a[1] <= '9' && n >= 8 && n <= 16 &&
           strspn(a + 1, "0123456789") == n - 1;
}

static bool np_url_ok(const char *a)
{
    size_t skip = strncmp(a, "https://", 8) == 0 ? 8 : strncmp(a, "http://", 7) == 0 ? 7 : 0;
    return skip && a[skip] && a[skip] != '/' && !strpbrk(a, " \t\r\n");
}

static int np_contacts(const rulefile_t *c, const config_node_t *node, const char *path,
                       notify_user_t *u)
{
    static const char *const allowed[] = {"type", "address", NULL};
    /* In notify_contact_type_t order from NOTIFY_CONTACT_EMAIL (1). */
    static const char *const types[] = {"email", "sms", "webhook", "chat", NULL};
    if (rulefile_seq(c, node, path) != 0) {
        return -1;
    }
    u->contacts = xcalloc(node->n ? node->n : 1, sizeof *u->contacts);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *t, *a;
        char ipath[192], key[224];
        const char *addr;
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (rulefile_check_keys(c, item, ipath, allowed) != 0) {
            return -1;
        }
        if (!(t = config_node_get(item, "type")) || !(a = config_node_get(item, "address"))) {
            return rulefile_fail(c, item->line, ipath, "a contact needs type: and address:");
        }
        int kind;
        if (rulefile_enum(c, t, rulefile_key(key, sizeof key, ipath, "type"), types, &kind) != 0) {
            return -1;
        }
        kind++;
        if (rulefile_scalar(c, a, rulefile_key(key, sizeof key, ipath, "address"), &addr) != 0) {
            return -1;
        }
        bool ok = kind == NOTIFY_CONTACT_EMAIL ? np_email_ok(addr)
                  : kind == NOTIFY_CONTACT_SMS ? np_e164_ok(addr)
                                               : np_url_ok(addr);
        if (!ok) {
            return rulefile_fail(c, a->line, key, "\"%s\" is not %s", addr,
                                 kind == NOTIFY_CONTACT_EMAIL ? "an e-mail address"
                                 : kind == NOTIFY_CONTACT_SMS
                                     ? "an E.164 number (+, then 7 to 15 digits: +31612345678)"
                                     : "an http:// or https:// URL");
        }
        notify_contact_t *ct = &u->contacts[u->ncontacts++];
        ct->type = (notify_contact_type_t)kind;
        ct->address = xstrdup(addr);
        ct->line = a->line;
    }
    return 0;
}

static int np_load_users(const rulefile_t *c, const config_node_t *node, notify_people_t *p)
{
    static const char *const allowed[] = {"name", "display_name", "time_zone", "contacts", NULL};
    if (rulefile_seq(c, node, "users") != 0) {
        return -1;
    }
    p->users = xcalloc(node->n ? node->n : 1, sizeof *p->users);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name, *text;
        snprintf(path, sizeof path, "users[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            np_name(c, item, path, "user", p->users, p->nusers, sizeof *p->users, &name) != 0) {
            return -1;
        }
        notify_user_t *u = &p->users[p->nusers++];
        u->name = xstrdup(name);
        u->line = rulefile_key_line(item, "name");
        u->time_zone = xstrdup("UTC");
        if ((v = config_node_get(item, "display_name")) &&
            rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "display_name"), &text) !=
                0) {
            return -1;
        }
        u->display_name = xstrdup(v && *text ? text : name);
        if ((v = config_node_get(item, "time_zone")) &&
            np_zone(c, v, rulefile_key(key, sizeof key, path, "time_zone"), &u->time_zone, NULL) !=
                0) {
            return -1;
        }
        if ((v = config_node_get(item, "contacts")) && !config_node_is_null(v) &&
            np_contacts(c, v, rulefile_key(key, sizeof key, path, "contacts"), u) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Loading: teams, policies, routing ------------------------------------------------- */

/* A policy reference, by name. */
static int np_policy_ref(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                         const char *key, const notify_policy_t **out)
{
    const char *name;
    if (rulefile_scalar(c, node, key, &name) != 0) {
        return -1;
    }
    if (!(*out = notify_people_policy(p, name))) {
        return rulefile_unknown(c, node->line, key, "escalation policy", name, p->policies,
                                p->npolicies, sizeof *p->policies, "escalation_policies");
    }
    return 0;
}

static int np_schedule_ref(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                           const char *text, const char *key, const notify_schedule_t **out)
{
    if (!(*out = notify_people_schedule(p, text))) {
        return rulefile_unknown(c, node->line, key, "schedule", text, p->schedules, p->nschedules,
                                sizeof *p->schedules, "schedules");
    }
    return 0;
}

/* Teams before policies (targets name teams); their escalation_policy is
 * resolved afterwards by np_team_policies(). */
static int np_load_teams(const rulefile_t *c, const config_node_t *node, notify_people_t *p)
{
    static const char *const allowed[] = {"name",   "members", "schedule", "escalation_policy",
                                          "queues", NULL};
    if (rulefile_seq(c, node, "teams") != 0) {
        return -1;
    }
    p->teams = xcalloc(node->n ? node->n : 1, sizeof *p->teams);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name, *text;
        snprintf(path, sizeof path, "teams[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            np_name(c, item, path, "team", p->teams, p->nteams, sizeof *p->teams, &name) != 0) {
            return -1;
        }
        notify_team_t *t = &p->teams[p->nteams++];
        t->name = xstrdup(name);
        t->line = rulefile_key_line(item, "name");
        if ((v = config_node_get(item, "members")) && !config_node_is_null(v)) {
            if (rulefile_seq(c, v, rulefile_key(key, sizeof key, path, "members")) != 0) {
                return -1;
            }
            t->members = xcalloc(v->n ? v->n : 1, sizeof *t->members);
            for (size_t j = 0; j < v->n; j++) {
                char mkey[192];
                const notify_user_t *u;
                snprintf(mkey, sizeof mkey, "%s[%zu]", key, j);
                if (np_user_ref(c, p, v->children[j], mkey, &u) != 0) {
                    return -1;
                }
                for (size_t k = 0; k < t->nmembers; k++) {
                    if (t->members[k] == u) {
                        return rulefile_fail(c, v->children[j]->line, mkey,
                                             "\"%s\" is listed twice", u->name);
                    }
                }
                t->members[t->nmembers++] = u;
            }
        }
        if ((v = config_node_get(item, "schedule")) &&
            (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "schedule"), &text) != 0 ||
             np_schedule_ref(c, p, v, text, key, &t->schedule) != 0)) {
            return -1;
        }
        if ((v = config_node_get(item, "queues")) && !config_node_is_null(v)) {
            if (rulefile_seq(c, v, rulefile_key(key, sizeof key, path, "queues")) != 0) {
                return -1;
            }
            t->queues = xcalloc(v->n ? v->n : 1, sizeof *t->queues);
            for (size_t j = 0; j < v->n; j++) {
                if (rulefile_scalar(c, v->children[j], key, &text) != 0) {
                    return -1;
                }
                t->queues[t->nqueues++] = xstrdup(text);
            }
        }
    }
    return 0;
}

/* "user:alice", "schedule:noc-primary", "team:noc". */
static int np_target(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                     const char *key, notify_target_t *t)
{
    const char *text;
    if (rulefile_scalar(c, node, key, &text) != 0) {
        return -1;
    }
    const char *colon = strchr(text, ':');
    const char *name = colon ? colon + 1 : "";
    size_t kind = colon ? (size_t)(colon - text) : 0;
    if (kind == 4 && strncmp(text, "user", 4) == 0) {
        t->type = NOTIFY_TARGET_USER;
        if (!(t->user = notify_people_user(p, name))) {
            return rulefile_unknown(c, node->line, key, "user", name, p->users, p->nusers,
                                    sizeof *p->users, NULL);
        }
    } else if (kind == 8 && strncmp(text, "schedule", 8) == 0) {
        t->type = NOTIFY_TARGET_SCHEDULE;
        return np_schedule_ref(c, p, node, name, key, &t->schedule);
    } else if (kind == 4 && strncmp(text, "team", 4) == 0) {
        t->type = NOTIFY_TARGET_TEAM;
        if (!(t->team = notify_people_team(p, name))) {
            return rulefile_unknown(c, node->line, key, "team", name, p->teams, p->nteams,
                                    sizeof *p->teams, NULL);
        }
    } else {
        return rulefile_fail(c, node->line, key,
                             "\"%s\" is not a target (user:NAME, schedule:NAME or team:NAME)",
                             text);
    }
    return 0;
}

static int np_levels(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                     const char *path, notify_policy_t *pol)
{
    static const char *const allowed[] = {"delay", "targets", NULL};
    if (rulefile_seq(c, node, path) != 0) {
        return -1;
    }
    if (node->n == 0) {
        return rulefile_fail(c, node->line, path, "a policy needs at least one level");
    }
    pol->levels = xcalloc(node->n, sizeof *pol->levels);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char ipath[160], key[192];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (rulefile_check_keys(c, item, ipath, allowed) != 0) {
            return -1;
        }
        notify_level_t *lvl = &pol->levels[pol->nlevels++];
        lvl->line = item->line;
        lvl->delay_us = NP_DEF_DELAY;
        if ((v = config_node_get(item, "delay")) &&
            rulefile_duration(c, v, rulefile_key(key, sizeof key, ipath, "delay"), NP_S, NP_DAY,
                              "m", "1s to 24h", &lvl->delay_us) != 0) {
            return -1;
        }
        if (!(v = config_node_get(item, "targets"))) {
            return rulefile_fail(c, item->line, ipath,
                                 "a level needs targets: (user:NAME, schedule:NAME, team:NAME)");
        }
        if (rulefile_seq(c, v, rulefile_key(key, sizeof key, ipath, "targets")) != 0) {
            return -1;
        }
        if (v->n == 0) {
            return rulefile_fail(c, v->line, key, "a level needs at least one target");
        }
        lvl->targets = xcalloc(v->n, sizeof *lvl->targets);
        for (size_t j = 0; j < v->n; j++) {
            char tkey[224];
            snprintf(tkey, sizeof tkey, "%s[%zu]", key, j);
            if (np_target(c, p, v->children[j], tkey, &lvl->targets[lvl->ntargets++]) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int np_load_policies(const rulefile_t *c, const config_node_t *node, notify_people_t *p)
{
    static const char *const allowed[] = {"name",         "levels",       "repeat",
                                          "ack_reminder", "breach_level", NULL};
    if (rulefile_seq(c, node, "escalation_policies") != 0) {
        return -1;
    }
    p->policies = xcalloc(node->n ? node->n : 1, sizeof *p->policies);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        char path[64], key[160];
        const char *name, *text;
        snprintf(path, sizeof path, "escalation_policies[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0 ||
            np_name(c, item, path, "escalation policy", p->policies, p->npolicies,
                    sizeof *p->policies, &name) != 0) {
            return -1;
        }
        notify_policy_t *pol = &p->policies[p->npolicies++];
        pol->name = xstrdup(name);
        pol->line = rulefile_key_line(item, "name");
        if (!(v = config_node_get(item, "levels"))) {
            return rulefile_fail(c, item->line, path, "every escalation policy needs levels:");
        }
        if (np_levels(c, p, v, rulefile_key(key, sizeof key, path, "levels"), pol) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "repeat"))) {
            int64_t n;
            char why[128];
            if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "repeat"), &text) != 0) {
                return -1;
            }
            if (config_parse_int(text, &n, why, sizeof why) != 0 || n < 0 || n > NP_MAX_REPEAT) {
                return rulefile_fail(c, v->line, key, "\"%s\" is not a repeat count (0 to %d)",
                                     text, NP_MAX_REPEAT);
            }
            pol->repeat = (int)n;
        }
        if ((v = config_node_get(item, "ack_reminder")) && !config_node_is_null(v) &&
            rulefile_duration(c, v, rulefile_key(key, sizeof key, path, "ack_reminder"), NP_MIN,
                              7 * NP_DAY, "m", "1m to 7d", &pol->ack_reminder_us) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "breach_level"))) {
            int64_t lvl;
            if (rulefile_int(c, v, rulefile_key(key, sizeof key, path, "breach_level"), 1,
                             (int64_t)pol->nlevels, &lvl) != 0) {
                return -1;
            }
            pol->breach_level = (int)lvl;
        }
    }
    return 0;
}

static int np_team_policies(const rulefile_t *c, const config_node_t *node, notify_people_t *p)
{
    for (size_t i = 0; i < p->nteams; i++) {
        const config_node_t *v = config_node_get(node->children[i], "escalation_policy");
        char key[96];
        snprintf(key, sizeof key, "teams[%zu].escalation_policy", i);
        if (v && np_policy_ref(c, p, v, key, &p->teams[i].policy) != 0) {
            return -1;
        }
    }
    return 0;
}

/* priority: 1, P1, or a list of them. */
static int np_priorities(const rulefile_t *c, const config_node_t *node, const char *key,
                         unsigned *out)
{
    size_t n = node->type == CONFIG_NODE_SCALAR ? 1 : node->n;
    if (node->type != CONFIG_NODE_SCALAR && rulefile_seq(c, node, key) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const config_node_t *s = node->type == CONFIG_NODE_SCALAR ? node : node->children[i];
        const char *text;
        if (rulefile_scalar(c, s, key, &text) != 0) {
            return -1;
        }
        const char *d = (text[0] == 'P' || text[0] == 'p') ? text + 1 : text;
        if (d[0] < '1' || d[0] > '4' || d[1] != '\0') {
            return rulefile_fail(c, s->line, key, "\"%s\" is not a priority (1 to 4, or P1 to P4)",
                                 text);
        }
        *out |= 1u << (d[0] - '0');
    }
    if (n == 0) {
        return rulefile_fail(c, node->line, key,
                             "an empty list matches nothing (leave priority: out "
                             "to match every priority)");
    }
    return 0;
}

static int np_load_routing(const rulefile_t *c, const config_node_t *node, notify_people_t *p)
{
    static const char *const top[] = {"policies", NULL};
    static const char *const allowed[] = {"queue", "priority", "policy", NULL};
    const config_node_t *list;
    if (rulefile_check_keys(c, node, "routing", top) != 0) {
        return -1;
    }
    if (!(list = config_node_get(node, "policies")) || config_node_is_null(list)) {
        return 0;
    }
    if (rulefile_seq(c, list, "routing.policies") != 0) {
        return -1;
    }
    p->routes = xcalloc(list->n ? list->n : 1, sizeof *p->routes);
    for (size_t i = 0; i < list->n; i++) {
        const config_node_t *item = list->children[i], *v;
        char path[64], key[160];
        const char *text;
        snprintf(path, sizeof path, "routing.policies[%zu]", i);
        if (rulefile_check_keys(c, item, path, allowed) != 0) {
            return -1;
        }
        notify_route_t *r = &p->routes[p->nroutes++];
        r->line = item->line;
        if ((v = config_node_get(item, "queue"))) {
            if (rulefile_scalar(c, v, rulefile_key(key, sizeof key, path, "queue"), &text) != 0) {
                return -1;
            }
            r->queue = xstrdup(text);
        }
        if ((v = config_node_get(item, "priority")) &&
            np_priorities(c, v, rulefile_key(key, sizeof key, path, "priority"), &r->priorities) !=
                0) {
            return -1;
        }
        if (!(v = config_node_get(item, "policy"))) {
            return rulefile_fail(c, item->line, path, "every routing entry needs policy:");
        }
        if (np_policy_ref(c, p, v, rulefile_key(key, sizeof key, path, "policy"), &r->policy) !=
            0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Loading: the file ---------------------------------------------------------------- */

/* rulefile_build_fn: arg is the caller's notify_people_t **. */
static int np_build(const rulefile_t *rf, const config_node_t *root, void *arg)
{
    static const char *const allowed[] = {"users",   "teams", "schedules", "escalation_policies",
                                          "routing", NULL};
    notify_people_t **out = arg;
    notify_people_t *p = xcalloc(1, sizeof *p);
    const config_node_t *v, *teams = NULL;
    p->path = xstrdup(rf->file);
    if (root && rulefile_check_keys(rf, root, "", allowed) != 0) {
        goto fail;
    }
    /* In the order references need them, wherever they are in the file. */
    if ((v = config_node_get(root, "users")) && !config_node_is_null(v) &&
        np_load_users(rf, v, p) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "schedules")) && !config_node_is_null(v) &&
        np_load_schedules(rf, v, p) != 0) {
        goto fail;
    }
    if ((teams = config_node_get(root, "teams")) && !config_node_is_null(teams) &&
        np_load_teams(rf, teams, p) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "escalation_policies")) && !config_node_is_null(v) &&
        np_load_policies(rf, v, p) != 0) {
        goto fail;
    }
    if (p->nteams && np_team_policies(rf, teams, p) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "routing")) && !config_node_is_null(v) &&
        np_load_routing(rf, v, p) != 0) {
        goto fail;
    }
    *out = p;
    return 0;
fail:
    notify_people_destroy(&p);
    return -1;
}

int notify_people_parse(const char *text, size_t len, const char *name, notify_people_t **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    return rulefile_parse(name, text, len, np_build, out, err, errlen);
}

int notify_people_load(const char *path, notify_people_t **out, char *err, size_t errlen)
{
    *out = NULL;
    return rulefile_load(path, np_build, out, err, errlen);
}

void notify_people_destroy(notify_people_t **pp)
{
    if (!pp || !*pp) {
        return;
    }
    notify_people_t *p = *pp;
    for (size_t i = 0; i < p->nroutes; i++) {
        free(p->routes[i].queue);
    }
    free(p->routes);
    for (size_t i = 0; i < p->npolicies; i++) {
        for (size_t j = 0; j < p->policies[i].nlevels; j++) {
            free(p->policies[i].levels[j].targets);
        }
        free(p->policies[i].levels);
        free(p->policies[i].name);
    }
    free(p->policies);
    for (size_t i = 0; i < p->nteams; i++) {
        for (size_t j = 0; j < p->teams[i].nqueues; j++) {
            free(p->teams[i].queues[j]);
        }
        free(p->teams[i].queues);
        free(p->teams[i].members);
        free(p->teams[i].name);
    }
    free(p->teams);
    for (size_t i = 0; i < p->nschedules; i++) {
        notify_schedule_t *s = &p->schedules[i];
        for (size_t j = 0; j < s->nlayers; j++) {
            free(s->layers[j].participants);
            for (int d = 0; d < 7; d++) {
                free(s->layers[j].hours[d]);
            }
        }
        free(s->layers);
        for (size_t j = 0; j < s->noverrides; j++) {
            free(s->overrides[j].comment);
        }
        free(s->overrides);
        tz_destroy(&s->tz);
        free(s->time_zone);
        free(s->name);
    }
    free(p->schedules);
    for (size_t i = 0; i < p->nusers; i++) {
        for (size_t j = 0; j < p->users[i].ncontacts; j++) {
            free(p->users[i].contacts[j].address);
        }
        free(p->users[i].contacts);
        free(p->users[i].display_name);
        free(p->users[i].time_zone);
        free(p->users[i].name);
    }
    free(p->users);
    free(p->path);
    free(p);
    *pp = NULL;
}
