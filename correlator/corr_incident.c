/*
 * corr_incident - where a firing alert goes, and incident life cycles.
 *
 * Routing (corr_route) tries, in order: silences and maintenance windows
 * (corr_alert.c), topology (the nearest firing ancestor's incident, as a
 * symptom), the first matching rule's group (join, reopen, hold for
 * min_alerts, or open), and the unmatched policy. After an alert lands, its
 * descendants' young incidents are merged into its incident (children
 * first). Incidents resolve after hold-down, promote or split when their
 * cause recovers, and are forgotten after their reopen window.
 */
#include <stdio.h>
#include <string.h>

#include "corr_internal.h"
#include "xalloc.h"

#define WALK_MAX 1024 /* bound on resources looked at in one topology walk */

/* ---- groups ---- */

corr_group_t *corr_group_get(corr_domain_t *d, const char *rule, const char *group_key)
{
    char *key = xasprintf("%s\x1f%s", rule, group_key);
    uint64_t h = corr_map_hash(key);
    corr_group_t *g = corr_map_get(&d->groups, key, h);
    if (g) {
        free(key);
        return g;
    }
    g = xcalloc(1, sizeof(*g));
    g->key = key;
    g->rule = xstrdup(rule);
    g->group_key = xstrdup(group_key);
    corr_map_put(&d->groups, g->key, h, g);
    return g;
}

void corr_group_unhold(corr_group_t *g, corr_alert_t *a)
{
    for (size_t i = 0; i < g->nheld; i++) {
        if (g->held[i] == a) {
            memmove(&g->held[i], &g->held[i + 1], (g->nheld - i - 1) * sizeof(*g->held));
            g->nheld--;
            break;
        }
    }
    a->held = false;
}

/* Held alerts count towards min_alerts only while they fired within the
 * join window (corr_route counts fired_at >= now - join_window); one that
 * is older leaves the hold at fired_at + join_window + 1, so that it never
 * joins an incident opened by later alerts. Driven by CORR_T_HELD_EXPIRE;
 * the due time comes from fired_at and the rule, both in the alert's state,
 * so a restored engine schedules the very same timer. */
static int64_t held_expiry(const corr_engine_t *e, const corr_alert_t *a)
{
    const corr_rule_t *r = corr_rule_by_name(e, a->rule);
    return r ? a->fired_at + r->join_window_us + 1 : INT64_MIN;
}

void corr_group_sched_expire(corr_engine_t *e, corr_alert_t *a)
{
    int64_t due = held_expiry(e, a);
    corr_sched(e, CORR_T_HELD_EXPIRE, a, due == INT64_MIN ? e->now : due);
}

void corr_group_expire(corr_engine_t *e, corr_alert_t *a)
{
    if (!a->held || a->status != CORR_ALERT_STATE_FIRING) {
        return;
    }
    int64_t due = held_expiry(e, a);
    if (due != INT64_MIN && e->now < due) {
        corr_sched(e, CORR_T_HELD_EXPIRE, a, due); /* the rule's window grew */
        return;
    }
    /* it stays firing and routed, in no incident: it fired too long before
     * the others to count as one storm (a re-fire after a clear counts anew) */
    corr_group_unhold(corr_group_get(a->dom, a->rule, a->group_key), a);
}

static void group_hold(corr_group_t *g, corr_alert_t *a)
{
    if (g->nheld == g->held_cap) {
        g->held_cap = g->held_cap ? g->held_cap * 2 : 4;
        g->held = xrealloc(g->held, g->held_cap * sizeof(*g->held));
    }
    g->held[g->nheld++] = a;
    a->held = true;
}

/* ---- incidents ---- */

corr_incident_t *corr_incident_create(corr_engine_t *e, corr_domain_t *d, corr_group_t *g,
                                      int64_t id)
{
    corr_incident_t *inc = xcalloc(1, sizeof(*inc));
    inc->id = id ? id : e->next_id++;
    if (inc->id >= e->next_id) {
        e->next_id = inc->id + 1;
    }
    inc->dom = d;
    inc->group = g;
    inc->rule = xstrdup(g->rule);
    inc->group_key = xstrdup(g->group_key);
    corr_incident_refresh_params(e, inc);
    if (d->nincidents == d->incidents_cap) {
        d->incidents_cap = d->incidents_cap ? d->incidents_cap * 2 : 16;
        d->incidents = xrealloc(d->incidents, d->incidents_cap * sizeof(*d->incidents));
    }
    inc->dom_idx = d->nincidents;
    d->incidents[d->nincidents++] = inc;
    if (!g->latest || g->latest->id < inc->id) {
        g->latest = inc;
    }
    return inc;
}

void corr_incident_refresh_params(const corr_engine_t *e, corr_incident_t *inc)
{
    const corr_rule_t *r = corr_rule_by_name(e, inc->rule);
    if (r) {
        inc->join_w = r->join_window_us;
        inc->hold = r->hold_down_us;
        inc->reopen = r->reopen_window_us;
    }
}

void corr_incident_free(corr_incident_t *inc)
{
    free(inc->rule);
    free(inc->group_key);
    free(inc->members);
    free(inc);
}

void corr_incident_release(corr_engine_t *e, corr_incident_t *inc)
{
    corr_domain_t *d = inc->dom;
    d->incidents[inc->dom_idx] = d->incidents[--d->nincidents];
    d->incidents[inc->dom_idx]->dom_idx = inc->dom_idx;
    if (inc->group && inc->group->latest == inc) {
        inc->group->latest = NULL;
    }
    inc->dead = true;
    for (size_t i = 0; i < inc->nmembers; i++) {
        corr_alert_t *a = inc->members[i].a;
        a->nrefs--;
        if (a->inc == inc) {
            a->inc = NULL;
            a->inc_active = false;
        }
    }
    for (size_t i = 0; i < inc->nmembers; i++) {
        corr_alert_try_gc(e, inc->members[i].a);
    }
    if (inc->ntimers == 0) {
        corr_incident_free(inc);
    }
}

void corr_imember_add(corr_incident_t *inc, corr_alert_t *a, bool symptom, int64_t at)
{
    for (size_t i = inc->nmembers; i-- > 0;) {
        if (inc->members[i].a == a) {
            inc->members[i].active = true;
            inc->members[i].symptom = symptom;
            return;
        }
    }
    if (inc->nmembers == inc->members_cap) {
        inc->members_cap = inc->members_cap ? inc->members_cap * 2 : 4;
        inc->members = xrealloc(inc->members, inc->members_cap * sizeof(*inc->members));
    }
    inc->members[inc->nmembers++] = (corr_imember_t){a, symptom, true, at};
    a->nrefs++;
}

static corr_imember_t *member_find(corr_incident_t *inc, const corr_alert_t *a)
{
    for (size_t i = inc->nmembers; i-- > 0;) {
        if (inc->members[i].a == a) {
            return &inc->members[i];
        }
    }
    return NULL;
}

void corr_incident_recompute_severity(corr_engine_t *e, corr_incident_t *inc)
{
    event_severity_t s = EVENT_SEVERITY_NONE;
    for (size_t i = 0; i < inc->nmembers; i++) {
        if (inc->members[i].active && inc->members[i].a->severity > s) {
            s = inc->members[i].a->severity;
        }
    }
    /* an incident with nothing firing keeps the severity it had */
    if (s != EVENT_SEVERITY_NONE && s != inc->severity) {
        inc->severity = s;
        corr_emit_incident(
            e, CORR_CHANGE_INCIDENT_UPDATED, inc, NULL, false,
            corr_reasonf(e, "severity is now %s (highest firing alert)", event_severity_name(s)));
    }
}

static void rule_params(const corr_engine_t *e, const char *rule, int64_t *join, int64_t *hold,
                        int64_t *reopen, uint32_t *min)
{
    const corr_rule_t *r = corr_rule_by_name(e, rule);
    *join = r ? r->join_window_us : 0;
    *hold = r ? r->hold_down_us : 0;
    *reopen = r ? r->reopen_window_us : 0;
    *min = r && r->min_alerts > 1 ? r->min_alerts : 1;
}

static void join(corr_engine_t *e, corr_incident_t *inc, corr_alert_t *a, bool symptom,
                 const char *reason)
{
    corr_imember_add(inc, a, symptom, e->now);
    a->inc = inc;
    a->inc_active = true;
    a->symptom = symptom;
    a->routed = true;
    inc->nactive++;
    inc->last_activity = e->now;
    if (inc->status == CORR_INCIDENT_STATE_RESOLVING) {
        inc->status = CORR_INCIDENT_STATE_OPEN;
        inc->resolving_since = 0;
    }
    if (symptom) {
        e->st.suppressed_topology++;
    }
    corr_emit_incident(e, CORR_CHANGE_INCIDENT_ALERT_JOINED, inc, a, symptom, reason);
    corr_incident_recompute_severity(e, inc);
}

static corr_incident_t *incident_open(corr_engine_t *e, corr_group_t *g, corr_alert_t *a)
{
    corr_incident_t *inc = corr_incident_create(e, a->dom, g, 0);
    inc->status = CORR_INCIDENT_STATE_OPEN;
    inc->opened_at = inc->last_activity = e->now;
    inc->cause = a;
    inc->severity = a->severity;
    e->st.open_incidents++;
    e->st.incidents_opened++;
    return inc;
}

static void incident_resolve(corr_engine_t *e, corr_incident_t *inc)
{
    int64_t hold = inc->hold, reopen = inc->reopen;
    inc->status = CORR_INCIDENT_STATE_RESOLVED;
    inc->resolved_at = e->now;
    inc->resolving_since = 0;
    e->st.open_incidents--;
    corr_emit_incident(e, CORR_CHANGE_INCIDENT_RESOLVED, inc, NULL, false,
                       corr_reasonf(e, "every alert clear for the hold-down of %llds",
                                    (long long)(hold / 1000000)));
    if (!e->keep_history) {
        corr_sched(e, CORR_T_INC_GC, inc, e->now + reopen);
    }
}

static void incident_resolving(corr_engine_t *e, corr_incident_t *inc)
{
    int64_t hold = inc->hold;
    inc->status = CORR_INCIDENT_STATE_RESOLVING;
    inc->resolving_since = e->now;
    if (hold <= 0) {
        incident_resolve(e, inc);
    } else {
        corr_sched(e, CORR_T_INC_HOLD, inc, e->now + hold);
    }
}

/* The first still-active member becomes the cause (promote). */
static void promote(corr_engine_t *e, corr_incident_t *inc, const corr_alert_t *old)
{
    for (size_t i = 0; i < inc->nmembers; i++) {
        corr_imember_t *m = &inc->members[i];
        if (m->active) {
            inc->cause = m->a;
            m->symptom = false;
            m->a->symptom = false;
            corr_alert_set_str(&m->a->parent, "");
            corr_emit_incident(e, CORR_CHANGE_INCIDENT_UPDATED, inc, NULL, false,
                               corr_reasonf(e,
                                            "cause %s recovered; %s (still firing) is now "
                                            "the cause",
                                            old->resource, m->a->resource));
            return;
        }
    }
}

static void cause_recovered(corr_engine_t *e, corr_incident_t *inc, corr_alert_t *old)
{
    if (e->rules->parent_recovery == CORR_PARENT_RECOVERY_PROMOTE) {
        promote(e, inc, old);
        return;
    }
    /* split: every still-firing symptom leaves and is routed as new */
    corr_alert_t **moved = xmalloc(inc->nmembers * sizeof(*moved));
    size_t n = 0;
    for (size_t i = 0; i < inc->nmembers; i++) {
        corr_imember_t *m = &inc->members[i];
        if (m->active && m->symptom) {
            m->active = false;
            inc->nactive--;
            corr_alert_t *a = m->a;
            a->inc_active = false;
            corr_emit_incident(
                e, CORR_CHANGE_INCIDENT_ALERT_CLEARED, inc, a, true,
                corr_reasonf(e, "moved out: parent %s recovered (split)", old->resource));
            a->inc = NULL;
            a->routed = false;
            a->symptom = false;
            corr_alert_set_str(&a->parent, "");
            moved[n++] = a;
        }
    }
    if (inc->nactive > 0) {
        promote(e, inc, old);
    } else {
        incident_resolving(e, inc);
    }
    for (size_t i = 0; i < n; i++) {
        if (!moved[i]->flapping) {
            corr_route(e, moved[i]);
        }
    }
    free(moved);
}

void corr_incident_member_cleared(corr_engine_t *e, corr_incident_t *inc, corr_alert_t *a,
                                  const char *reason)
{
    corr_imember_t *m = member_find(inc, a);
    if (!m || !m->active) {
        return;
    }
    m->active = false;
    a->inc_active = false;
    inc->nactive--;
    inc->last_activity = e->now;
    corr_emit_incident(e, CORR_CHANGE_INCIDENT_ALERT_CLEARED, inc, a, m->symptom,
                       reason ? reason : "alert cleared");
    if (inc->status != CORR_INCIDENT_STATE_OPEN && inc->status != CORR_INCIDENT_STATE_RESOLVING) {
        return;
    }
    if (inc->nactive == 0) {
        incident_resolving(e, inc);
        return;
    }
    if (inc->cause == a) {
        cause_recovered(e, inc, a);
    }
    if (inc->nactive > 0) {
        corr_incident_recompute_severity(e, inc);
    }
}

void corr_incident_timer(corr_engine_t *e, int kind, corr_incident_t *inc)
{
    int64_t hold = inc->hold, reopen = inc->reopen;
    if (kind == CORR_T_INC_HOLD) {
        if (inc->status != CORR_INCIDENT_STATE_RESOLVING) {
            return;
        }
        if (e->now >= inc->resolving_since + hold) {
            incident_resolve(e, inc);
        } else {
            corr_sched(e, CORR_T_INC_HOLD, inc, inc->resolving_since + hold);
        }
    } else if (kind == CORR_T_INC_GC && !e->keep_history) {
        int64_t since =
            inc->status == CORR_INCIDENT_STATE_RESOLVED ? inc->resolved_at : inc->last_activity;
        if (inc->status != CORR_INCIDENT_STATE_RESOLVED &&
            inc->status != CORR_INCIDENT_STATE_MERGED) {
            return;
        }
        if (e->now >= since + reopen) {
            corr_incident_release(e, inc);
        } else {
            corr_sched(e, CORR_T_INC_GC, inc, since + reopen);
        }
    }
}

/* ---- topology ---- */

typedef struct {
    const char *name[WALK_MAX];
    size_t head, n;
} walk_t;

static void walk_push(walk_t *w, const char *name)
{
    if (name && name[0] && w->n < WALK_MAX) {
        w->name[w->n++] = name;
    }
}

static void push_parents(const corr_engine_t *e, corr_domain_t *d, walk_t *w, const char *name)
{
    const corr_topology_node_t *node = corr_topology_find(e->rules, name);
    if (node) {
        for (size_t i = 0; i < node->nparents; i++) {
            walk_push(w, node->parents[i]);
        }
    }
    corr_resource_t *r = corr_map_get(&d->resources, name, corr_map_hash(name));
    if (r && r->label_parent) {
        walk_push(w, r->label_parent);
    }
}

static bool alert_before(const corr_alert_t *a, const corr_alert_t *b)
{
    if (a->fired_at != b->fired_at) {
        return a->fired_at < b->fired_at;
    }
    return strcmp(a->fingerprint, b->fingerprint) < 0;
}

/* The resource's earliest firing alert that is active in a live incident. */
static corr_alert_t *resource_firing(corr_resource_t *r)
{
    corr_alert_t *best = NULL;
    for (corr_alert_t *x = r->alerts; x; x = x->res_next) {
        if (x->status == CORR_ALERT_STATE_FIRING && x->inc && x->inc_active &&
            (x->inc->status == CORR_INCIDENT_STATE_OPEN ||
             x->inc->status == CORR_INCIDENT_STATE_RESOLVING) &&
            (!best || alert_before(x, best))) {
            best = x;
        }
    }
    return best;
}

/* Breadth first, so the nearest ancestor with a firing alert wins. */
static corr_alert_t *ancestor_firing(corr_engine_t *e, corr_alert_t *a)
{
    corr_domain_t *d = a->dom;
    walk_t *w = xmalloc(sizeof(*w));
    w->head = w->n = 0;
    uint32_t vis = ++e->visit;
    a->res->visit = vis;
    push_parents(e, d, w, a->res->name);
    corr_alert_t *found = NULL;
    while (w->head < w->n && !found) {
        const char *name = w->name[w->head++];
        corr_resource_t *r = corr_map_get(&d->resources, name, corr_map_hash(name));
        if (r) {
            if (r->visit == vis) {
                continue;
            }
            r->visit = vis;
            found = resource_firing(r);
        }
        if (!found) {
            push_parents(e, d, w, name);
        }
    }
    free(w);
    return found;
}

static int merge_order(const void *x, const void *y)
{
    const corr_incident_t *a = *(corr_incident_t *const *)x, *b = *(corr_incident_t *const *)y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Children first: a's descendants' young incidents merge into a's incident,
 * and their held alerts join it as symptoms. */
static void adopt_descendants(corr_engine_t *e, corr_alert_t *a)
{
    corr_domain_t *d = a->dom;
    corr_incident_t *target = a->inc;
    if (!target || !a->inc_active) {
        return;
    }
    uint64_t h = corr_map_hash(a->res->name);
    if (!corr_map_get(&e->topo_children, a->res->name, h) && a->res->nlchildren == 0) {
        return; /* the common case: a leaf */
    }
    walk_t *w = xmalloc(sizeof(*w));
    w->head = w->n = 0;
    uint32_t vis = ++e->visit;
    a->res->visit = vis;
    walk_push(w, a->res->name);
    corr_resource_t **desc = NULL;
    size_t ndesc = 0, desc_cap = 0;
    while (w->head < w->n) {
        const char *name = w->name[w->head++];
        corr_topo_children_t *tc = corr_map_get(&e->topo_children, name, corr_map_hash(name));
        corr_resource_t *r = corr_map_get(&d->resources, name, corr_map_hash(name));
        if (tc) {
            for (size_t i = 0; i < tc->n; i++) {
                corr_resource_t *c =
                    corr_map_get(&d->resources, tc->children[i], corr_map_hash(tc->children[i]));
                if (c && c->visit == vis) {
                    continue;
                }
                if (c) {
                    c->visit = vis;
                    if (ndesc == desc_cap) {
                        desc_cap = desc_cap ? desc_cap * 2 : 16;
                        desc = xrealloc(desc, desc_cap * sizeof(*desc));
                    }
                    desc[ndesc++] = c;
                }
                walk_push(w, tc->children[i]);
            }
        }
        for (size_t i = 0; r && i < r->nlchildren; i++) {
            corr_resource_t *c = r->lchildren[i];
            if (c->visit == vis || !c->label_parent || strcmp(c->label_parent, name) != 0) {
                continue;
            }
            c->visit = vis;
            if (ndesc == desc_cap) {
                desc_cap = desc_cap ? desc_cap * 2 : 16;
                desc = xrealloc(desc, desc_cap * sizeof(*desc));
            }
            desc[ndesc++] = c;
            walk_push(w, c->name);
        }
    }
    free(w);

    /* collect first, then act: merging changes the lists we walk */
    corr_incident_t **merge = NULL;
    size_t nmerge = 0, merge_cap = 0;
    corr_alert_t **held = NULL;
    size_t nheld = 0, held_cap = 0;
    for (size_t i = 0; i < ndesc; i++) {
        for (corr_alert_t *x = desc[i]->alerts; x; x = x->res_next) {
            if (x->status != CORR_ALERT_STATE_FIRING || x->flapping) {
                continue;
            }
            if (x->held) {
                if (nheld == held_cap) {
                    held_cap = held_cap ? held_cap * 2 : 8;
                    held = xrealloc(held, held_cap * sizeof(*held));
                }
                held[nheld++] = x;
            } else if (x->inc && x->inc != target && x->inc->cause == x &&
                       (x->inc->status == CORR_INCIDENT_STATE_OPEN ||
                        x->inc->status == CORR_INCIDENT_STATE_RESOLVING) &&
                       x->inc->opened_at >= e->now - e->rules->topology_window_us) {
                if (nmerge == merge_cap) {
                    merge_cap = merge_cap ? merge_cap * 2 : 8;
                    merge = xrealloc(merge, merge_cap * sizeof(*merge));
                }
                merge[nmerge++] = x->inc;
            }
        }
    }
    free(desc);
    if (nmerge > 1) {
        qsort(merge, nmerge, sizeof(*merge), merge_order);
    }
    for (size_t i = 0; i < nmerge; i++) {
        corr_incident_t *c = merge[i];
        if (c->status == CORR_INCIDENT_STATE_MERGED) {
            continue; /* listed twice */
        }
        if (c->status == CORR_INCIDENT_STATE_OPEN || c->status == CORR_INCIDENT_STATE_RESOLVING) {
            e->st.open_incidents--;
        }
        c->status = CORR_INCIDENT_STATE_MERGED;
        c->merged_into = target->id;
        c->last_activity = e->now;
        corr_emit_incident(e, CORR_CHANGE_INCIDENT_MERGED, c, NULL, false,
                           corr_reasonf(e, "its cause %s is below %s, which fired within %llds",
                                        c->cause->resource, a->resource,
                                        (long long)(e->rules->topology_window_us / 1000000)));
        for (size_t j = 0; j < c->nmembers; j++) {
            corr_imember_t *m = &c->members[j];
            if (!m->active) {
                continue;
            }
            m->active = false;
            corr_alert_t *x = m->a;
            bool sym = x->res && x->res->visit == vis;
            corr_alert_set_str(&x->parent, sym ? a->resource : "");
            join(e, target, x, sym,
                 corr_reasonf(e, "merged from incident %lld; %s", (long long)c->id,
                              sym ? "symptom of its ancestor in topology" : "same incident"));
        }
        c->nactive = 0;
        if (!e->keep_history) {
            corr_sched(e, CORR_T_INC_GC, c, e->now + c->reopen);
        }
    }
    free(merge);
    for (size_t i = 0; i < nheld; i++) {
        corr_alert_t *x = held[i];
        corr_group_unhold(corr_group_get(d, x->rule, x->group_key), x);
        corr_alert_set_str(&x->parent, a->resource);
        join(e, target, x, true,
             corr_reasonf(e, "symptom of %s (ancestor in topology); was waiting for min_alerts",
                          a->resource));
    }
    free(held);
}

/* ---- routing ---- */

static const char *field_label(const char *field)
{
    static const char *const fields[] = {"source",   "resource", "check",
                                         "severity", "status",   "summary"};
    if (strncmp(field, "labels.", 7) == 0) {
        return field + 7;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(field, fields[i]) == 0) {
            return NULL;
        }
    }
    return field;
}

static void group_key_build(const corr_rule_t *r, const event_t *v, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->ngroup_by && off < len; i++) {
        const char *f = r->group_by[i];
        const char *lab = r->group_by_label ? r->group_by_label[i] : field_label(f);
        const char *val = corr_field_value(v, f, lab);
        int n = snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "", f, val ? val : "");
        if (n < 0) {
            break;
        }
        off += (size_t)n;
    }
}

static int alert_sort(const void *x, const void *y)
{
    const corr_alert_t *a = *(corr_alert_t *const *)x, *b = *(corr_alert_t *const *)y;
    return alert_before(a, b) ? -1 : alert_before(b, a) ? 1 : 0;
}

void corr_route(corr_engine_t *e, corr_alert_t *a)
{
    if (a->status != CORR_ALERT_STATE_FIRING || a->flapping) {
        return;
    }
    if (corr_alert_mute_check(e, a)) {
        return;
    }
    event_t v;
    corr_alert_view(a, &v);
    const corr_rules_t *rs = e->rules;
    const corr_rule_t *rule = NULL;
    for (size_t i = 0; i < rs->nrules; i++) {
        if (corr_matchers_match(rs->rules[i].matchers, rs->rules[i].nmatchers, &v)) {
            rule = &rs->rules[i];
            e->rule_hits[i]++;
            break;
        }
    }
    char gk[1024];
    if (rule) {
        group_key_build(rule, &v, gk, sizeof(gk));
    } else {
        e->st.unmatched_hits++;
        if (rs->unmatched == CORR_UNMATCHED_PER_RESOURCE) {
            snprintf(gk, sizeof(gk), "resource=%s", a->resource);
        } else {
            snprintf(gk, sizeof(gk), "fingerprint=%s", a->fingerprint);
        }
    }
    corr_alert_set_str(&a->rule, rule ? rule->name : "");
    corr_alert_set_str(&a->group_key, gk);

    corr_alert_t *p = ancestor_firing(e, a);
    if (p) {
        corr_alert_set_str(&a->parent, p->resource);
        join(e, p->inc, a, true,
             corr_reasonf(e, "symptom of %s (%s in topology); its incident %lld", p->resource,
                          corr_topology_find(rs, a->resource) ? "parent or ancestor"
                                                              : "ancestor via parent label",
                          (long long)p->inc->id));
        adopt_descendants(e, a);
        return;
    }
    corr_alert_set_str(&a->parent, "");
    if (!rule && rs->unmatched == CORR_UNMATCHED_NONE) {
        a->routed = true;
        return;
    }
    corr_group_t *g = corr_group_get(a->dom, a->rule, a->group_key);
    int64_t join_w, hold, reopen;
    uint32_t min;
    rule_params(e, a->rule, &join_w, &hold, &reopen, &min);
    char why[1200];
    if (rule) {
        snprintf(why, sizeof(why), "matched rule %s with group %s", rule->name, gk);
    } else {
        snprintf(why, sizeof(why), "matched no rule; an incident per %s",
                 rs->unmatched == CORR_UNMATCHED_PER_RESOURCE ? "resource" : "fingerprint");
    }
    corr_incident_t *inc = g->latest;
    if (inc &&
        (inc->status == CORR_INCIDENT_STATE_OPEN || inc->status == CORR_INCIDENT_STATE_RESOLVING) &&
        (inc->nactive > 0 || e->now - inc->last_activity <= inc->join_w)) {
        join(e, inc, a, false, why);
    } else if (inc && inc->status == CORR_INCIDENT_STATE_RESOLVED &&
               e->now - inc->resolved_at <= inc->reopen) {
        inc->status = CORR_INCIDENT_STATE_OPEN;
        inc->resolved_at = 0;
        e->st.open_incidents++;
        corr_emit_incident(e, CORR_CHANGE_INCIDENT_REOPENED, inc, a, false,
                           corr_reasonf(e, "%s fired again within the reopen window of %llds",
                                        a->resource, (long long)(inc->reopen / 1000000)));
        join(e, inc, a, false, why);
    } else if (min > 1) {
        group_hold(g, a);
        corr_group_sched_expire(e, a);
        size_t n = 0;
        for (size_t i = 0; i < g->nheld; i++) {
            if (g->held[i]->fired_at >= e->now - join_w) {
                n++;
            }
        }
        if (n < min) {
            a->routed = true;
            return;
        }
        corr_alert_t **all = xmalloc(g->nheld * sizeof(*all));
        size_t nall = g->nheld;
        memcpy(all, g->held, nall * sizeof(*all));
        qsort(all, nall, sizeof(*all), alert_sort);
        for (size_t i = 0; i < nall; i++) {
            all[i]->held = false;
        }
        g->nheld = 0;
        inc = incident_open(e, g, all[0]);
        corr_emit_incident(
            e, CORR_CHANGE_INCIDENT_OPENED, inc, all[0], false,
            corr_reasonf(e, "%s; %zu alerts of the group within the join window (min_alerts %u)",
                         why, n, min));
        for (size_t i = 0; i < nall; i++) {
            join(e, inc, all[i], false, why);
        }
        for (size_t i = 0; i < nall; i++) {
            adopt_descendants(e, all[i]);
        }
        free(all);
        return;
    } else {
        inc = incident_open(e, g, a);
        corr_emit_incident(e, CORR_CHANGE_INCIDENT_OPENED, inc, a, false, why);
        join(e, inc, a, false, why);
    }
    adopt_descendants(e, a);
}
