/*
 * corr_rules - loads and validates the correlation rule file, and answers
 * the engine's topology and per-source look-ups. Matchers and field
 * references are in corr_match.c, maintenance window times in
 * corr_maintenance.c.
 *
 * Does not: keep state, read a clock, or do I/O besides reading the file.
 * The YAML tree (with a line for every node) comes from common/config.c.
 *
 * The file, as implemented (every key optional; defaults in brackets;
 * docs/CORRELATION_RULES.md has the long form and a worked example):
 *
 *   domain_key: site           # label naming the correlation domain [""]
 *   unmatched: per_fingerprint # per_fingerprint | per_resource | none
 *   defaults:
 *     resolve_timeout: 0       # sources not listed below; 0 = never [0]
 *     flapping: {changes: 4, window: 10m, settle: 15m}   # changes >= 2
 *     join_window: 5m          # rule defaults [5m, 2m, 30m, 1]
 *     hold_down: 2m
 *     reopen_window: 30m
 *     min_alerts: 1
 *   sources:                   # per-source resolve timeouts, names unique
 *     - {name: script, resolve_timeout: 30m}
 *   rules:                     # in order, first match wins; names unique
 *     - name: core-links       # required
 *       match:                 # all must match; [] or absent = every event
 *         - check =~ "Link(Down|Flap)"          # "field op value" ...
 *         - {field: labels.site, op: "!=", value: lab}   # ... or a map
 *       group_by: [site, check]
 *       join_window: 5m
 *       hold_down: 2m
 *       reopen_window: 30m
 *       min_alerts: 1          # 1..1000000
 *   topology:
 *     parent_label: parent     # label naming a parent in events ["" = off]
 *     window: 2m               # children first: merge window [2m]
 *     on_parent_recovery: promote   # promote | split [promote]
 *     nodes:                   # resources unique, no cycles, none its own parent
 *       - {resource: core-sw1, parents: [rtr1]}
 *   maintenance:               # names unique
 *     - name: weekly-fw        # required
 *       match: ["labels.site = ams1"]   # required ([] = every event)
 *       days: [tue, thu]       # mon..sun or monday..sunday [every day]
 *       start: "02:00"         # required, local HH:MM
 *       duration: 2h           # required, whole minutes, 1m..7d
 *       time_zone: Europe/Amsterdam   # IANA name [UTC]
 *       comment: "planned firmware window"
 *
 * Field references (match and group_by): source, resource, check, severity,
 * status, summary, or labels.<name>. A bare name that is not a field is a
 * label ("site" = "labels.site"), except a name within two edits of a field
 * name ("sevrity"), which is refused as a likely typo (write labels.sevrity
 * for such a label), and description, dedup_key, fingerprint, labels,
 * annotations, format, occurred_at, received_at, which are event attributes
 * rules cannot read. Matching: "=" and "!=" compare with "" when the value is
 * absent (so labels.x != v matches an event without x); "=~" never matches an
 * absent value and "!~" always does. Regexes are POSIX extended, anchored as
 * ^(value)$, compiled at load.
 *
 * Durations: 0, or a number with us, ms, s, m, h or d ("300" alone is refused:
 * which unit?). Errors: "file:line: key: reason", key being the key as
 * written in its mapping ("rules.yml:42: group_by: unknown field \"sevrity\"
 * (did you mean \"severity\"? ...)").
 */
#include "corr_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "rulefile.h"
#include "xalloc.h"

#define CORR_S   INT64_C(1000000)
#define CORR_MIN (60 * CORR_S)
#define CORR_DAY (1440 * CORR_MIN)

/* Defaults, stated once. */
#define CORR_DEF_JOIN_WINDOW   (5 * CORR_MIN)
#define CORR_DEF_HOLD_DOWN     (2 * CORR_MIN)
#define CORR_DEF_REOPEN_WINDOW (30 * CORR_MIN)
#define CORR_DEF_MIN_ALERTS    1
#define CORR_DEF_FLAP_CHANGES  4
#define CORR_DEF_FLAP_WINDOW   (10 * CORR_MIN)
#define CORR_DEF_FLAP_SETTLE   (15 * CORR_MIN)
#define CORR_DEF_TOPO_WINDOW   (2 * CORR_MIN)
#define CORR_MAX_DURATION      (365 * CORR_DAY) /* any longer is a typo */

/* ---- Look-ups ---------------------------------------------------------------- */

static int corr_node_cmp(const void *a, const void *b)
{
    const corr_topology_node_t *x = a, *y = b;
    return strcmp(x->resource, y->resource);
}

const corr_topology_node_t *corr_topology_find(const corr_rules_t *r, const char *resource)
{
    if (!resource || r->ntopology == 0) {
        return NULL;
    }
    corr_topology_node_t key = {.resource = (char *)resource};
    return bsearch(&key, r->topology, r->ntopology, sizeof key, corr_node_cmp);
}

static int corr_source_cmp(const void *a, const void *b)
{
    const corr_source_timeout_t *x = a, *y = b;
    return strcmp(x->source, y->source);
}

int64_t corr_resolve_timeout(const corr_rules_t *r, const char *source)
{
    if (source && r->nsource_timeouts) {
        corr_source_timeout_t key = {.source = (char *)source};
        const corr_source_timeout_t *s =
            bsearch(&key, r->source_timeouts, r->nsource_timeouts, sizeof key, corr_source_cmp);
        if (s) {
            return s->resolve_timeout_us;
        }
    }
    return r->resolve_timeout_us;
}

/* ---- Loading: helpers ---------------------------------------------------------- */

/* Rule values that defaults: may change. */
typedef struct {
    int64_t join_window_us, hold_down_us, reopen_window_us;
    uint32_t min_alerts;
} corr_rule_defaults_t;

/* A duration in [min_us, max_us]; "0" or a number with a unit. This file's
 * wording: "needs a unit (e.g. 300s or 300m)", the range formatted. */
static int corr_duration(const rulefile_t *c, const config_node_t *node, const char *key,
                         int64_t min_us, int64_t max_us, int64_t *out)
{
    return rulefile_duration(c, node, key, min_us, max_us, "s m", NULL, out);
}

static int corr_uint(const rulefile_t *c, const config_node_t *node, const char *key, int64_t lo,
                     int64_t hi, uint32_t *out)
{
    int64_t v;
    if (rulefile_int(c, node, key, lo, hi, &v) != 0) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* A label name setting (domain_key, parent_label): "" allowed, the name alone. */
static int corr_label_setting(const rulefile_t *c, const config_node_t *node, const char *key,
                              char **dst)
{
    static const char label_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-.:/";
    const char *text;
    if (rulefile_scalar(c, node, key, &text) != 0) {
        return -1;
    }
    if (strncmp(text, "labels.", 7) == 0) {
        return rulefile_fail(c, node->line, key, "write the label name alone (\"%s\", not \"%s\")",
                             text + 7, text);
    }
    if (text[strspn(text, label_chars)] != '\0') {
        return rulefile_fail(c, node->line, key,
                             "\"%s\" is not a label name (letters, digits and _-.:/)", text);
    }
    free(*dst);
    *dst = xstrdup(text);
    return 0;
}

/* A list of matchers ("field op value" strings or {field, op, value} maps),
 * allocated at its final size so that the compiled regexes never move. */
static int corr_matchers(const rulefile_t *c, const config_node_t *node, const char *key,
                         corr_matcher_t **out, size_t *n)
{
    static const char *const allowed[] = {"field", "op", "value", NULL};
    if (rulefile_seq(c, node, key) != 0) {
        return -1;
    }
    *n = node->n;
    *out = xcalloc(node->n ? node->n : 1, sizeof **out);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i];
        char why[512];
        int rc;
        if (item->type == CONFIG_NODE_SCALAR) {
            rc = corr_matcher_parse(item->value, &(*out)[i], why, sizeof why);
        } else if (item->type == CONFIG_NODE_MAPPING) {
            const char *field, *op = "=", *value;
            const config_node_t *v = config_node_get(item, "value");
            if (rulefile_check_keys_bare(c, item, key, allowed) != 0) {
                return -1;
            }
            if (!config_node_get(item, "field")) {
                return rulefile_fail(c, item->line, key, "a matcher map needs field: and value:");
            }
            if (rulefile_name(c, config_node_get(item, "field"), "field", &field) != 0) {
                return -1;
            }
            if (config_node_get(item, "op") &&
                rulefile_name(c, config_node_get(item, "op"), "op", &op) != 0) {
                return -1;
            }
            if (!v || (config_node_is_null(v) && !v->quoted)) {
                return rulefile_fail(c, item->line, key,
                                     "a matcher map needs value: (write \"\" for empty)");
            }
            if (rulefile_scalar(c, v, "value", &value) != 0) {
                return -1;
            }
            rc = corr_matcher_build(field, op, value, &(*out)[i], why, sizeof why);
        } else {
            return rulefile_fail(c, item->line, key,
                                 "expected \"field op value\" or {field, op, value}, got a %s",
                                 config_node_type_name(item));
        }
        if (rc != 0) {
            return rulefile_fail(c, item->line, key, "%s", why);
        }
        (*out)[i].line = item->line;
    }
    return 0;
}

/* ---- Loading: sections ------------------------------------------------------- */

static int corr_load_defaults(const rulefile_t *c, const config_node_t *node, corr_rules_t *r,
                              corr_rule_defaults_t *d)
{
    static const char *const allowed[] = {
        "resolve_timeout", "flapping",   "join_window", "hold_down",
        "reopen_window",   "min_alerts", NULL};
    static const char *const flap_allowed[] = {"changes", "window", "settle", NULL};
    const config_node_t *v;
    if (rulefile_check_keys_bare(c, node, "defaults", allowed) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "resolve_timeout")) &&
        corr_duration(c, v, "resolve_timeout", 0, CORR_MAX_DURATION, &r->resolve_timeout_us) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "join_window")) &&
        corr_duration(c, v, "join_window", 0, CORR_MAX_DURATION, &d->join_window_us) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "hold_down")) &&
        corr_duration(c, v, "hold_down", 0, CORR_MAX_DURATION, &d->hold_down_us) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "reopen_window")) &&
        corr_duration(c, v, "reopen_window", 0, CORR_MAX_DURATION, &d->reopen_window_us) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "min_alerts")) &&
        corr_uint(c, v, "min_alerts", 1, 1000000, &d->min_alerts) != 0) {
        return -1;
    }
    const config_node_t *f = config_node_get(node, "flapping");
    if (!f) {
        return 0;
    }
    if (rulefile_check_keys_bare(c, f, "flapping", flap_allowed) != 0) {
        return -1;
    }
    if ((v = config_node_get(f, "changes")) &&
        corr_uint(c, v, "changes", 2, 1000, &r->flap_changes) != 0) {
        return -1;
    }
    if ((v = config_node_get(f, "window")) &&
        corr_duration(c, v, "window", CORR_S, CORR_MAX_DURATION, &r->flap_window_us) != 0) {
        return -1;
    }
    if ((v = config_node_get(f, "settle")) &&
        corr_duration(c, v, "settle", CORR_S, CORR_MAX_DURATION, &r->flap_settle_us) != 0) {
        return -1;
    }
    return 0;
}

static int corr_load_sources(const rulefile_t *c, const config_node_t *node, corr_rules_t *r)
{
    static const char *const allowed[] = {"name", "resolve_timeout", NULL};
    if (rulefile_seq(c, node, "sources") != 0) {
        return -1;
    }
    r->nsource_timeouts = node->n;
    r->source_timeouts = xcalloc(node->n ? node->n : 1, sizeof *r->source_timeouts);
    int *lines = xcalloc(node->n ? node->n : 1, sizeof *lines);
    int rc = -1;
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i];
        corr_source_timeout_t *s = &r->source_timeouts[i];
        const char *name;
        if (rulefile_check_keys_bare(c, item, "sources", allowed) != 0) {
            goto done;
        }
        if (!config_node_get(item, "name") || !config_node_get(item, "resolve_timeout")) {
            rulefile_fail(c, item->line, "sources", "each source needs name: and resolve_timeout:");
            goto done;
        }
        if (rulefile_name(c, config_node_get(item, "name"), "name", &name) != 0 ||
            corr_duration(c, config_node_get(item, "resolve_timeout"), "resolve_timeout", 0,
                          CORR_MAX_DURATION, &s->resolve_timeout_us) != 0) {
            goto done;
        }
        lines[i] = rulefile_key_line(item, "name");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->source_timeouts[j].source, name) == 0) {
                rulefile_fail(c, lines[i], "name", "duplicate source \"%s\" (first at line %d)",
                              name, lines[j]);
                goto done;
            }
        }
        s->source = xstrdup(name);
    }
    qsort(r->source_timeouts, r->nsource_timeouts, sizeof *r->source_timeouts, corr_source_cmp);
    rc = 0;
done:
    free(lines);
    return rc;
}

/* group_by: field references, unique. */
static int corr_load_group_by(const rulefile_t *c, const config_node_t *node, corr_rule_t *rule)
{
    if (rulefile_seq(c, node, "group_by") != 0) {
        return -1;
    }
    rule->ngroup_by = node->n;
    rule->group_by = xcalloc(node->n ? node->n : 1, sizeof *rule->group_by);
    rule->group_by_label = xcalloc(node->n ? node->n : 1, sizeof *rule->group_by_label);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i];
        const char *text, *label;
        corr_field_t fid;
        char why[512];
        if (rulefile_name(c, item, "group_by", &text) != 0) {
            return -1;
        }
        if (corr_field_parse(text, &fid, &label, why, sizeof why) != 0) {
            return rulefile_fail(c, item->line, "group_by", "%s", why);
        }
        for (size_t j = 0; j < i; j++) {
            bool same =
                label ? (rule->group_by_label[j] && strcmp(rule->group_by_label[j], label) == 0)
                      : strcmp(rule->group_by[j], text) == 0;
            if (same) {
                return rulefile_fail(c, item->line, "group_by", "\"%s\" is listed twice", text);
            }
        }
        rule->group_by[i] = xstrdup(text);
        rule->group_by_label[i] = label ? xstrdup(label) : NULL;
    }
    return 0;
}

static int corr_load_rules(const rulefile_t *c, const config_node_t *node, corr_rules_t *r,
                           const corr_rule_defaults_t *d)
{
    static const char *const allowed[] = {"name",      "match",         "group_by",   "join_window",
                                          "hold_down", "reopen_window", "min_alerts", NULL};
    if (rulefile_seq(c, node, "rules") != 0) {
        return -1;
    }
    r->nrules = node->n;
    r->rules = xcalloc(node->n ? node->n : 1, sizeof *r->rules);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        corr_rule_t *rule = &r->rules[i];
        const char *name;
        if (rulefile_check_keys_bare(c, item, "rules", allowed) != 0) {
            return -1;
        }
        if (!config_node_get(item, "name")) {
            return rulefile_fail(c, item->line, "rules", "every rule needs a name:");
        }
        if (rulefile_name(c, config_node_get(item, "name"), "name", &name) != 0) {
            return -1;
        }
        rule->line = rulefile_key_line(item, "name");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->rules[j].name, name) == 0) {
                return rulefile_fail(c, rule->line, "name",
                                     "duplicate rule name \"%s\" (first at line %d)", name,
                                     r->rules[j].line);
            }
        }
        rule->name = xstrdup(name);
        rule->join_window_us = d->join_window_us;
        rule->hold_down_us = d->hold_down_us;
        rule->reopen_window_us = d->reopen_window_us;
        rule->min_alerts = d->min_alerts;
        if ((v = config_node_get(item, "match")) && !config_node_is_null(v) &&
            corr_matchers(c, v, "match", &rule->matchers, &rule->nmatchers) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "group_by")) && !config_node_is_null(v) &&
            corr_load_group_by(c, v, rule) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "join_window")) &&
            corr_duration(c, v, "join_window", 0, CORR_MAX_DURATION, &rule->join_window_us) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "hold_down")) &&
            corr_duration(c, v, "hold_down", 0, CORR_MAX_DURATION, &rule->hold_down_us) != 0) {
            return -1;
        }
        if ((v = config_node_get(item, "reopen_window")) &&
            corr_duration(c, v, "reopen_window", 0, CORR_MAX_DURATION, &rule->reopen_window_us) !=
                0) {
            return -1;
        }
        if ((v = config_node_get(item, "min_alerts")) &&
            corr_uint(c, v, "min_alerts", 1, 1000000, &rule->min_alerts) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Finds a cycle through the parents graph (iterative DFS, so a long chain
 * cannot overflow the stack); reports "a -> b -> a" at the closing node. */
static int corr_topology_cycles(const rulefile_t *c, corr_rules_t *r)
{
    size_t n = r->ntopology;
    unsigned char *color = xcalloc(n ? n : 1, 1); /* 0 new, 1 on the path, 2 done */
    size_t *st = xcalloc(n ? n : 1, sizeof *st), *next = xcalloc(n ? n : 1, sizeof *next);
    int rc = 0;
    for (size_t start = 0; start < n && rc == 0; start++) {
        if (color[start]) {
            continue;
        }
        size_t depth = 0;
        st[depth] = start;
        next[depth++] = 0;
        color[start] = 1;
        while (depth > 0 && rc == 0) {
            size_t top = st[depth - 1];
            const corr_topology_node_t *node = &r->topology[top];
            if (next[depth - 1] >= node->nparents) {
                color[top] = 2;
                depth--;
                continue;
            }
            const corr_topology_node_t *p = corr_topology_find(r, node->parents[next[depth - 1]++]);
            if (!p) {
                continue; /* a parent with no parents of its own: a root */
            }
            size_t pi = (size_t)(p - r->topology);
            if (color[pi] == 0) {
                color[pi] = 1;
                st[depth] = pi;
                next[depth++] = 0;
            } else if (color[pi] == 1) {
                char path[512] = "";
                size_t from = 0;
                while (st[from] != pi) {
                    from++;
                }
                for (size_t k = from; k < depth; k++) {
                    size_t len = strlen(path);
                    snprintf(path + len, sizeof path - len, "%s -> ", r->topology[st[k]].resource);
                }
                size_t len = strlen(path);
                snprintf(path + len, sizeof path - len, "%s", p->resource);
                rc = rulefile_fail(c, node->line, "parents", "topology cycle: %s", path);
            }
        }
    }
    free(color);
    free(st);
    free(next);
    return rc;
}

static int corr_load_nodes(const rulefile_t *c, const config_node_t *node, corr_rules_t *r)
{
    static const char *const allowed[] = {"resource", "parents", NULL};
    if (rulefile_seq(c, node, "nodes") != 0) {
        return -1;
    }
    r->ntopology = node->n;
    r->topology = xcalloc(node->n ? node->n : 1, sizeof *r->topology);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i];
        corr_topology_node_t *t = &r->topology[i];
        const char *res;
        if (rulefile_check_keys_bare(c, item, "nodes", allowed) != 0) {
            return -1;
        }
        if (!config_node_get(item, "resource")) {
            return rulefile_fail(c, item->line, "nodes", "every node needs a resource:");
        }
        if (rulefile_name(c, config_node_get(item, "resource"), "resource", &res) != 0) {
            return -1;
        }
        t->resource = xstrdup(res);
        t->line = rulefile_key_line(item, "resource");
        const config_node_t *ps = config_node_get(item, "parents");
        if (!ps || config_node_is_null(ps)) {
            continue;
        }
        /* One parent may be written as a plain scalar. */
        size_t np = ps->type == CONFIG_NODE_SCALAR ? 1 : ps->n;
        if (ps->type != CONFIG_NODE_SCALAR && rulefile_seq(c, ps, "parents") != 0) {
            return -1;
        }
        t->parents = xcalloc(np ? np : 1, sizeof *t->parents);
        for (size_t j = 0; j < np; j++) {
            const config_node_t *pn = ps->type == CONFIG_NODE_SCALAR ? ps : ps->children[j];
            const char *p;
            if (rulefile_name(c, pn, "parents", &p) != 0) {
                return -1;
            }
            if (strcmp(p, res) == 0) {
                return rulefile_fail(c, pn->line, "parents", "\"%s\" is its own parent", p);
            }
            for (size_t k = 0; k < j; k++) {
                if (strcmp(t->parents[k], p) == 0) {
                    return rulefile_fail(c, pn->line, "parents", "\"%s\" is listed twice", p);
                }
            }
            t->parents[j] = xstrdup(p);
            t->nparents = j + 1;
        }
    }
    qsort(r->topology, r->ntopology, sizeof *r->topology, corr_node_cmp);
    for (size_t i = 1; i < r->ntopology; i++) {
        const corr_topology_node_t *a = &r->topology[i - 1], *b = &r->topology[i];
        if (strcmp(a->resource, b->resource) == 0) {
            const corr_topology_node_t *first = a->line < b->line ? a : b;
            const corr_topology_node_t *later = a->line < b->line ? b : a;
            return rulefile_fail(c, later->line, "resource",
                                 "duplicate topology node \"%s\" (first at line %d)",
                                 later->resource, first->line);
        }
    }
    return corr_topology_cycles(c, r);
}

static int corr_load_topology(const rulefile_t *c, const config_node_t *node, corr_rules_t *r)
{
    static const char *const allowed[] = {"parent_label", "window", "on_parent_recovery", "nodes",
                                          NULL};
    static const char *const recovery[] = {"promote", "split", NULL};
    const config_node_t *v;
    int e;
    if (rulefile_check_keys_bare(c, node, "topology", allowed) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "parent_label")) &&
        corr_label_setting(c, v, "parent_label", &r->parent_label) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "window")) &&
        corr_duration(c, v, "window", 0, CORR_MAX_DURATION, &r->topology_window_us) != 0) {
        return -1;
    }
    if ((v = config_node_get(node, "on_parent_recovery"))) {
        if (rulefile_enum(c, v, "on_parent_recovery", recovery, &e) != 0) {
            return -1;
        }
        r->parent_recovery = (corr_parent_recovery_t)e;
    }
    if ((v = config_node_get(node, "nodes")) && !config_node_is_null(v)) {
        return corr_load_nodes(c, v, r);
    }
    return 0;
}

/* days: mon..sun (or the full names), any case; bit 0 is Monday. */
static int corr_load_days(const rulefile_t *c, const config_node_t *node, uint8_t *days)
{
    static const char *const names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
    if (rulefile_seq(c, node, "days") != 0) {
        return -1;
    }
    if (node->n == 0) {
        return rulefile_fail(c, node->line, "days", "empty (omit days: for every day)");
    }
    *days = 0;
    for (size_t i = 0; i < node->n; i++) {
        const char *d;
        int found = -1;
        if (rulefile_name(c, node->children[i], "days", &d) != 0) {
            return -1;
        }
        for (int k = 0; k < 7 && found < 0; k++) {
            if (strcasecmp(d, names[k]) == 0 ||
                (strlen(d) == 3 && strncasecmp(d, names[k], 3) == 0)) {
                found = k;
            }
        }
        if (found < 0) {
            return rulefile_fail(c, node->children[i]->line, "days",
                                 "unknown day \"%s\" (use mon, tue, wed, thu, fri, sat, sun)", d);
        }
        if (*days & (1u << found)) {
            return rulefile_fail(c, node->children[i]->line, "days", "\"%s\" is listed twice", d);
        }
        *days |= (uint8_t)(1u << found);
    }
    return 0;
}

static int corr_load_maintenance(const rulefile_t *c, const config_node_t *node, corr_rules_t *r)
{
    static const char *const allowed[] = {"name",     "match",     "days",    "start",
                                          "duration", "time_zone", "comment", NULL};
    if (rulefile_seq(c, node, "maintenance") != 0) {
        return -1;
    }
    r->nmaintenance = node->n;
    r->maintenance = xcalloc(node->n ? node->n : 1, sizeof *r->maintenance);
    for (size_t i = 0; i < node->n; i++) {
        const config_node_t *item = node->children[i], *v;
        corr_maintenance_t *w = &r->maintenance[i];
        const char *name, *text;
        if (rulefile_check_keys_bare(c, item, "maintenance", allowed) != 0) {
            return -1;
        }
        static const char *const required[] = {"name", "match", "start", "duration", NULL};
        for (size_t k = 0; required[k]; k++) {
            if (!config_node_get(item, required[k])) {
                return rulefile_fail(c, item->line, "maintenance",
                                     "every window needs name:, match:, start: and duration: "
                                     "(%s: is missing)",
                                     required[k]);
            }
        }
        if (rulefile_name(c, config_node_get(item, "name"), "name", &name) != 0) {
            return -1;
        }
        w->line = rulefile_key_line(item, "name");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->maintenance[j].name, name) == 0) {
                return rulefile_fail(c, w->line, "name",
                                     "duplicate maintenance window \"%s\" (first at line %d)", name,
                                     r->maintenance[j].line);
            }
        }
        w->name = xstrdup(name);
        /* match: is required so that an empty list is a choice, not an accident. */
        v = config_node_get(item, "match");
        if (corr_matchers(c, v, "match", &w->matchers, &w->nmatchers) != 0) {
            return -1;
        }
        w->days = 0x7f;
        if ((v = config_node_get(item, "days")) && corr_load_days(c, v, &w->days) != 0) {
            return -1;
        }
        v = config_node_get(item, "start");
        if (rulefile_scalar(c, v, "start", &text) != 0) {
            return -1;
        }
        int hh, mm, used = 0;
        if (sscanf(text, "%2d:%2d%n", &hh, &mm, &used) != 2 || used != 5 || text[5] != '\0' ||
            hh < 0 || hh > 23 || mm < 0 || mm > 59) {
            return rulefile_fail(c, v->line, "start",
                                 "\"%s\" is not a time of day (HH:MM, 00:00 to 23:59)", text);
        }
        w->start_minute = hh * 60 + mm;
        int64_t dur;
        v = config_node_get(item, "duration");
        if (corr_duration(c, v, "duration", CORR_MIN, 7 * CORR_DAY, &dur) != 0) {
            return -1;
        }
        if (dur % CORR_MIN != 0) {
            return rulefile_fail(c, v->line, "duration", "\"%s\" is not a whole number of minutes",
                                 v->value);
        }
        w->duration_minutes = (int)(dur / CORR_MIN);
        const char *zone = "UTC";
        if ((v = config_node_get(item, "time_zone")) &&
            rulefile_name(c, v, "time_zone", &zone) != 0) {
            return -1;
        }
        char why[256];
        w->tz = tz_load(zone, why, sizeof why);
        if (!w->tz) {
            return rulefile_fail(c, v ? v->line : w->line, "time_zone", "%s", why);
        }
        w->time_zone = xstrdup(zone);
        const char *comment = "";
        if ((v = config_node_get(item, "comment")) &&
            rulefile_scalar(c, v, "comment", &comment) != 0) {
            return -1;
        }
        w->comment = xstrdup(comment);
    }
    return 0;
}

/* ---- Loading: the file --------------------------------------------------------- */

corr_rules_t *corr_rules_default(void)
{
    corr_rules_t *r = xcalloc(1, sizeof *r);
    r->path = xstrdup("(defaults)");
    r->domain_key = xstrdup("");
    r->unmatched = CORR_UNMATCHED_PER_FINGERPRINT;
    r->parent_label = xstrdup("");
    r->topology_window_us = CORR_DEF_TOPO_WINDOW;
    r->parent_recovery = CORR_PARENT_RECOVERY_PROMOTE;
    r->flap_changes = CORR_DEF_FLAP_CHANGES;
    r->flap_window_us = CORR_DEF_FLAP_WINDOW;
    r->flap_settle_us = CORR_DEF_FLAP_SETTLE;
    r->resolve_timeout_us = 0;
    return r;
}

/* rulefile_build_fn: arg is the caller's corr_rules_t **. */
static int corr_rules_build(const rulefile_t *rf, const config_node_t *root, void *arg)
{
    static const char *const allowed[] = {"domain_key", "unmatched", "defaults",    "sources",
                                          "rules",      "topology",  "maintenance", NULL};
    static const char *const unmatched[] = {"per_fingerprint", "per_resource", "none", NULL};
    corr_rules_t **out = arg;
    corr_rules_t *r = corr_rules_default();
    corr_rule_defaults_t d = {CORR_DEF_JOIN_WINDOW, CORR_DEF_HOLD_DOWN, CORR_DEF_REOPEN_WINDOW,
                              CORR_DEF_MIN_ALERTS};
    const config_node_t *v;
    int e;
    free(r->path);
    r->path = xstrdup(rf->file);
    if (!root) { /* an empty file: every default */
        *out = r;
        return 0;
    }
    if (rulefile_check_keys_bare(rf, root, "(top level)", allowed) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "domain_key")) &&
        corr_label_setting(rf, v, "domain_key", &r->domain_key) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "unmatched"))) {
        if (rulefile_enum(rf, v, "unmatched", unmatched, &e) != 0) {
            goto fail;
        }
        r->unmatched = (corr_unmatched_t)e;
    }
    /* defaults first: rules inherit from it wherever it is written. */
    if ((v = config_node_get(root, "defaults")) && !config_node_is_null(v) &&
        corr_load_defaults(rf, v, r, &d) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "sources")) && !config_node_is_null(v) &&
        corr_load_sources(rf, v, r) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "rules")) && !config_node_is_null(v) &&
        corr_load_rules(rf, v, r, &d) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "topology")) && !config_node_is_null(v) &&
        corr_load_topology(rf, v, r) != 0) {
        goto fail;
    }
    if ((v = config_node_get(root, "maintenance")) && !config_node_is_null(v) &&
        corr_load_maintenance(rf, v, r) != 0) {
        goto fail;
    }
    *out = r;
    return 0;
fail:
    corr_rules_destroy(&r);
    return -1;
}

int corr_rules_parse(const char *text, size_t len, const char *name, corr_rules_t **out, char *err,
                     size_t errlen)
{
    *out = NULL;
    return rulefile_parse(name, text, len, corr_rules_build, out, err, errlen);
}

int corr_rules_load(const char *path, corr_rules_t **out, char *err, size_t errlen)
{
    *out = NULL;
    return rulefile_load(path, corr_rules_build, out, err, errlen);
}

static void corr_matchers_free(corr_matcher_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        corr_matcher_free(&m[i]);
    }
    free(m);
}

void corr_rules_destroy(corr_rules_t **rp)
{
    if (!rp || !*rp) {
        return;
    }
    corr_rules_t *r = *rp;
    for (size_t i = 0; i < r->nrules; i++) {
        corr_rule_t *rule = &r->rules[i];
        free(rule->name);
        corr_matchers_free(rule->matchers, rule->nmatchers);
        for (size_t j = 0; j < rule->ngroup_by; j++) {
            free(rule->group_by[j]);
            free(rule->group_by_label[j]);
        }
        free(rule->group_by);
        free(rule->group_by_label);
    }
    free(r->rules);
    for (size_t i = 0; i < r->ntopology; i++) {
        free(r->topology[i].resource);
        for (size_t j = 0; j < r->topology[i].nparents; j++) {
            free(r->topology[i].parents[j]);
        }
        free(r->topology[i].parents);
    }
    free(r->topology);
    for (size_t i = 0; i < r->nmaintenance; i++) {
        corr_maintenance_t *w = &r->maintenance[i];
        free(w->name);
        corr_matchers_free(w->matchers, w->nmatchers);
        free(w->time_zone);
        free(w->comment);
        tz_destroy(&w->tz);
    }
    free(r->maintenance);
    for (size_t i = 0; i < r->nsource_timeouts; i++) {
        free(r->source_timeouts[i].source);
    }
    free(r->source_timeouts);
    free(r->path);
    free(r->domain_key);
    free(r->parent_label);
    free(r);
    *rp = NULL;
}
