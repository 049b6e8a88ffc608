/*
 * corr_engine - life cycle, the per-event entry point, timers, change
 * emission, repeat coalescing and statistics of the correlation engine.
 *
 * Alert state and flapping live in corr_alert.c, incidents, grouping and
 * topology in corr_incident.c, restore and inspection in corr_state.c. This
 * file does no I/O and reads no clock: time is what the caller passes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "corr_internal.h"
#include "xalloc.h"

const char *corr_change_kind_name(corr_change_kind_t k)
{
    switch (k) {
    case CORR_CHANGE_ALERT_OPENED:
        return "alert_opened";
    case CORR_CHANGE_ALERT_CLEARED:
        return "alert_cleared";
    case CORR_CHANGE_ALERT_REOPENED:
        return "alert_reopened";
    case CORR_CHANGE_ALERT_FLAPPING:
        return "alert_flapping";
    case CORR_CHANGE_ALERT_STABLE:
        return "alert_stable";
    case CORR_CHANGE_ALERT_SILENCED:
        return "alert_silenced";
    case CORR_CHANGE_ALERT_UNSILENCED:
        return "alert_unsilenced";
    case CORR_CHANGE_ALERT_COUNTS:
        return "alert_counts";
    case CORR_CHANGE_INCIDENT_OPENED:
        return "incident_opened";
    case CORR_CHANGE_INCIDENT_UPDATED:
        return "incident_updated";
    case CORR_CHANGE_INCIDENT_ALERT_JOINED:
        return "incident_alert_joined";
    case CORR_CHANGE_INCIDENT_ALERT_CLEARED:
        return "incident_alert_cleared";
    case CORR_CHANGE_INCIDENT_RESOLVED:
        return "incident_resolved";
    case CORR_CHANGE_INCIDENT_REOPENED:
        return "incident_reopened";
    case CORR_CHANGE_INCIDENT_MERGED:
        return "incident_merged";
    }
    return "unknown";
}

const char *corr_clear_reason_name(corr_clear_reason_t r)
{
    switch (r) {
    case CORR_CLEAR_RESOLVED:
        return "resolved";
    case CORR_CLEAR_TIMEOUT:
        return "timeout";
    default:
        return "";
    }
}

const char *corr_incident_status_name(corr_incident_status_t s)
{
    switch (s) {
    case CORR_INCIDENT_STATE_OPEN:
        return "open";
    case CORR_INCIDENT_STATE_RESOLVING:
        return "resolving";
    case CORR_INCIDENT_STATE_RESOLVED:
        return "resolved";
    case CORR_INCIDENT_STATE_MERGED:
        return "merged";
    }
    return "unknown";
}

const char *corr_reasonf(corr_engine_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
    va_end(ap);
    return e->reason;
}

/* topology reverse index: parent -> children, rebuilt on each rule swap */
static void topo_index_free(corr_engine_t *e)
{
    for (size_t i = 0; i < e->topo_children.cap; i++) {
        corr_slot_t *s = &e->topo_children.slots[i];
        if (s->hash >= 2) {
            corr_topo_children_t *c = s->val;
            free(c->children);
            free(c->name);
            free(c);
        }
    }
    corr_map_free(&e->topo_children);
}

static void topo_index_build(corr_engine_t *e)
{
    topo_index_free(e);
    const corr_rules_t *r = e->rules;
    for (size_t i = 0; i < r->ntopology; i++) {
        const corr_topology_node_t *n = &r->topology[i];
        for (size_t j = 0; j < n->nparents; j++) {
            uint64_t h = corr_map_hash(n->parents[j]);
            corr_topo_children_t *c = corr_map_get(&e->topo_children, n->parents[j], h);
            if (!c) {
                c = xcalloc(1, sizeof(*c));
                c->name = xstrdup(n->parents[j]);
                corr_map_put(&e->topo_children, c->name, h, c);
            }
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 4;
                c->children = xrealloc(c->children, c->cap * sizeof(char *));
            }
            /* borrowed from the rules, which outlive this index */
            c->children[c->n++] = n->resource;
        }
    }
}

corr_engine_t *corr_engine_new(const corr_rules_t *rules, int64_t next_incident_id)
{
    corr_engine_t *e = xcalloc(1, sizeof(*e));
    e->next_id = next_incident_id > 0 ? next_incident_id : 1;
    e->now = INT64_MIN;
    corr_engine_set_rules(e, rules);
    return e;
}

static void domain_free(corr_domain_t *d)
{
    for (size_t i = 0; i < d->nincidents; i++) {
        corr_incident_free(d->incidents[i]);
    }
    free(d->incidents);
    for (size_t i = 0; i < d->alerts.cap; i++) {
        if (d->alerts.slots[i].hash >= 2) {
            corr_alert_free(d->alerts.slots[i].val);
        }
    }
    corr_map_free(&d->alerts);
    for (size_t i = 0; i < d->resources.cap; i++) {
        if (d->resources.slots[i].hash >= 2) {
            corr_resource_t *r = d->resources.slots[i].val;
            free(r->name);
            free(r->label_parent);
            free(r->lchildren);
            free(r);
        }
    }
    corr_map_free(&d->resources);
    for (size_t i = 0; i < d->groups.cap; i++) {
        if (d->groups.slots[i].hash >= 2) {
            corr_group_t *g = d->groups.slots[i].val;
            free(g->key);
            free(g->rule);
            free(g->group_key);
            free(g->held);
            free(g);
        }
    }
    corr_map_free(&d->groups);
    free(d->name);
    free(d);
}

void corr_engine_destroy(corr_engine_t **ep)
{
    if (!ep || !*ep) {
        return;
    }
    corr_engine_t *e = *ep;
    /* Dead objects still referenced by the heap are freed here, live ones
     * with their domain. */
    for (size_t i = 0; i < e->timers.n; i++) {
        corr_timer_t *t = &e->timers.v[i];
        if (!t->obj) {
            continue;
        }
        if (t->kind == CORR_T_INC_HOLD || t->kind == CORR_T_INC_GC) {
            corr_incident_t *inc = t->obj;
            if (inc->dead && --inc->ntimers == 0) {
                corr_incident_free(inc);
            }
        } else {
            corr_alert_t *a = t->obj;
            if (a->dead && --a->ntimers == 0) {
                corr_alert_free(a);
            }
        }
    }
    free(e->timers.v);
    for (size_t i = 0; i < e->ndoms; i++) {
        domain_free(e->doms[i]);
    }
    free(e->doms);
    corr_map_free(&e->domains);
    topo_index_free(e);
    corr_silence_free_array(e->silences, e->nsilences);
    free(e->dirty);
    free(e->rule_hits);
    free(e);
    *ep = NULL;
}

void corr_engine_set_rules(corr_engine_t *e, const corr_rules_t *rules)
{
    /* carry hit counts over by rule name */
    uint64_t *hits = xcalloc(rules->nrules + 1, sizeof(uint64_t));
    if (e->rules) {
        for (size_t i = 0; i < rules->nrules; i++) {
            for (size_t j = 0; j < e->rules->nrules && j < e->nrule_hits; j++) {
                if (strcmp(rules->rules[i].name, e->rules->rules[j].name) == 0) {
                    hits[i] = e->rule_hits[j];
                    break;
                }
            }
        }
    }
    free(e->rule_hits);
    e->rule_hits = hits;
    e->nrule_hits = rules->nrules;
    e->rules = rules;
    topo_index_build(e);
    for (size_t i = 0; i < e->ndoms; i++) {
        corr_domain_t *d = e->doms[i];
        for (size_t j = 0; j < d->nincidents; j++) {
            corr_incident_refresh_params(e, d->incidents[j]);
        }
        /* held alerts expire by the new join window (as after a restore) */
        for (size_t j = 0; j < d->groups.cap; j++) {
            corr_group_t *g = d->groups.slots[j].hash >= 2 ? d->groups.slots[j].val : NULL;
            for (size_t k = 0; g && k < g->nheld; k++) {
                corr_group_sched_expire(e, g->held[k]);
            }
        }
    }
}

void corr_engine_keep_history(corr_engine_t *e, bool keep)
{
    e->keep_history = keep;
}

void corr_engine_set_silences(corr_engine_t *e, const corr_silence_t *s, size_t n)
{
    corr_silence_free_array(e->silences, e->nsilences);
    e->silences = corr_silence_copy_array(s, n);
    e->nsilences = n;
    e->silences_changed = true;
    corr_silence_sched_next(e);
}

/* One pending silence check at a time, at the earliest silence end to come:
 * the daemon re-reads silences often and must not grow the heap each time. */
void corr_silence_sched_next(corr_engine_t *e)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < e->nsilences; i++) {
        if (e->silences[i].ends_us > e->now && e->silences[i].ends_us < next) {
            next = e->silences[i].ends_us;
        }
    }
    if (next == INT64_MAX ||
        (e->silence_due != 0 && e->silence_due > e->now && e->silence_due <= next)) {
        return;
    }
    e->silence_due = next;
    corr_heap_push(&e->timers, (corr_timer_t){next, CORR_T_SILENCE_CHECK, NULL});
}

const corr_rule_t *corr_rule_by_name(const corr_engine_t *e, const char *name)
{
    if (!name[0]) {
        return NULL;
    }
    for (size_t i = 0; i < e->rules->nrules; i++) {
        if (strcmp(e->rules->rules[i].name, name) == 0) {
            return &e->rules->rules[i];
        }
    }
    return NULL;
}

corr_domain_t *corr_domain_get(corr_engine_t *e, const char *name)
{
    if (e->last_dom && strcmp(e->last_dom->name, name) == 0) {
        return e->last_dom;
    }
    uint64_t h = corr_map_hash(name);
    corr_domain_t *d = corr_map_get(&e->domains, name, h);
    if (!d) {
        d = xcalloc(1, sizeof(*d));
        d->name = xstrdup(name);
        corr_map_put(&e->domains, d->name, h, d);
        if (e->ndoms == e->doms_cap) {
            e->doms_cap = e->doms_cap ? e->doms_cap * 2 : 4;
            e->doms = xrealloc(e->doms, e->doms_cap * sizeof(*e->doms));
        }
        e->doms[e->ndoms++] = d;
    }
    e->last_dom = d;
    return d;
}

/* ---- timers ---- */

void corr_sched(corr_engine_t *e, int kind, void *obj, int64_t due)
{
    int64_t *pending = NULL;
    if (kind == CORR_T_INC_HOLD || kind == CORR_T_INC_GC) {
        corr_incident_t *inc = obj;
        pending = &inc->pending[kind];
    } else if (obj) {
        corr_alert_t *a = obj;
        pending = &a->pending[kind];
    }
    /* One live entry per (object, kind): a later due is picked up when the
     * earlier entry fires and finds the deadline moved. */
    if (pending) {
        if (*pending != 0 && *pending <= due) {
            return;
        }
        *pending = due;
        if (kind == CORR_T_INC_HOLD || kind == CORR_T_INC_GC) {
            ((corr_incident_t *)obj)->ntimers++;
        } else {
            ((corr_alert_t *)obj)->ntimers++;
        }
    }
    corr_heap_push(&e->timers, (corr_timer_t){due, kind, obj});
}

static void fire_timers(corr_engine_t *e, int64_t now)
{
    if (e->silences_changed) {
        e->silences_changed = false;
        corr_silence_recheck(e);
    }
    while (e->timers.n > 0 && e->timers.v[0].due <= now) {
        corr_timer_t t;
        corr_heap_pop(&e->timers, &t);
        if (t.kind == CORR_T_SILENCE_CHECK) {
            if (t.due == e->silence_due) {
                e->silence_due = 0;
            }
            corr_silence_recheck(e);
            corr_silence_sched_next(e);
            continue;
        }
        if (t.kind == CORR_T_INC_HOLD || t.kind == CORR_T_INC_GC) {
            corr_incident_t *inc = t.obj;
            inc->ntimers--;
            if (inc->dead) {
                if (inc->ntimers == 0) {
                    corr_incident_free(inc);
                }
                continue;
            }
            if (inc->pending[t.kind] != t.due) {
                continue; /* superseded by an earlier entry */
            }
            inc->pending[t.kind] = 0;
            corr_incident_timer(e, t.kind, inc);
        } else {
            corr_alert_t *a = t.obj;
            a->ntimers--;
            if (a->dead) {
                if (a->ntimers == 0) {
                    corr_alert_free(a);
                }
                continue;
            }
            if (a->pending[t.kind] != t.due) {
                continue;
            }
            a->pending[t.kind] = 0;
            corr_alert_timer(e, t.kind, a);
        }
    }
}

static void set_time(corr_engine_t *e, int64_t now, corr_emit_fn emit, void *arg)
{
    if (now > e->now) {
        e->now = now;
    }
    e->emit = emit;
    e->emit_arg = arg;
}

void corr_engine_advance(corr_engine_t *e, int64_t now_us, corr_emit_fn emit, void *arg)
{
    set_time(e, now_us, emit, arg);
    fire_timers(e, e->now);
    e->emit = NULL;
}

int64_t corr_engine_next_due(const corr_engine_t *e)
{
    return e->timers.n ? e->timers.v[0].due : INT64_MAX;
}

/* ---- emission ---- */

static void change_init(corr_engine_t *e, corr_change_t *c, corr_change_kind_t kind,
                        const corr_domain_t *d)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->at_us = e->now;
    c->domain = d->name;
    c->fingerprint = c->source = c->resource = c->check = "";
    c->cause_fingerprint = c->rule = c->group_key = c->parent = c->window = c->reason = "";
}

static void change_alert(corr_change_t *c, const corr_alert_t *a)
{
    c->fingerprint = a->fingerprint;
    c->source = a->source;
    c->resource = a->resource;
    c->check = a->check;
    c->severity = a->severity;
    c->count = a->count;
    c->first_seen_us = a->first_seen;
    c->last_seen_us = a->last_seen;
    c->rule = a->rule;
    c->group_key = a->group_key;
    c->parent = a->parent;
    c->symptom = a->symptom;
    c->silence_id = a->silence_id;
    c->window = a->window;
    if (a->inc) {
        c->incident_id = a->inc->id;
    }
}

void corr_emit_alert(corr_engine_t *e, corr_change_kind_t kind, corr_alert_t *a, const char *reason)
{
    if (!e->emit) {
        return;
    }
    corr_change_t c;
    change_init(e, &c, kind, a->dom);
    change_alert(&c, a);
    c.clear_reason = e->emit_clear_reason;
    if (reason) {
        c.reason = reason;
    }
    e->emit(e->emit_arg, &c);
}

void corr_emit_incident(corr_engine_t *e, corr_change_kind_t kind, corr_incident_t *inc,
                        corr_alert_t *a, bool symptom, const char *reason)
{
    if (!e->emit) {
        return;
    }
    corr_change_t c;
    change_init(e, &c, kind, inc->dom);
    if (a) {
        change_alert(&c, a);
    }
    c.incident_id = inc->id;
    c.into_incident_id = inc->merged_into;
    c.severity = inc->severity;
    c.symptom = symptom;
    c.cause_fingerprint = inc->cause ? inc->cause->fingerprint : "";
    if (!a) {
        c.rule = inc->rule;
        c.group_key = inc->group_key;
    }
    if (reason) {
        c.reason = reason;
    }
    e->emit(e->emit_arg, &c);
}

/* ---- events ---- */

void corr_alert_mark_dirty(corr_engine_t *e, corr_alert_t *a)
{
    if (a->dirty) {
        return;
    }
    a->dirty = true;
    if (e->ndirty == e->dirty_cap) {
        e->dirty_cap = e->dirty_cap ? e->dirty_cap * 2 : 256;
        e->dirty = xrealloc(e->dirty, e->dirty_cap * sizeof(*e->dirty));
    }
    e->dirty[e->ndirty++] = a;
}

void corr_engine_apply(corr_engine_t *e, const event_t *ev, int64_t now_us, corr_emit_fn emit,
                       void *arg)
{
    set_time(e, now_us, emit, arg);
    fire_timers(e, e->now);
    e->st.events++;

    const char *dname = "";
    if (e->rules->domain_key && e->rules->domain_key[0]) {
        const char *v = event_label_get(ev, e->rules->domain_key);
        dname = v ? v : "";
    }
    corr_domain_t *d = corr_domain_get(e, dname);
    uint64_t h = corr_map_hash(ev->fingerprint);
    corr_alert_t *a = corr_map_get(&d->alerts, ev->fingerprint, h);

    if (ev->status == EVENT_STATUS_FIRING || ev->status == EVENT_STATUS_ACKNOWLEDGED) {
        if (a && a->status == CORR_ALERT_STATE_FIRING) {
            /* the hot path: a repeat costs no allocation and emits nothing */
            a->count++;
            a->last_seen = e->now;
            if (ev->status == EVENT_STATUS_FIRING) {
                a->refreshed = e->now;
                if (ev->severity != EVENT_SEVERITY_NONE && ev->severity != a->severity) {
                    a->severity = ev->severity;
                    if (a->inc && a->inc_active) {
                        corr_incident_recompute_severity(e, a->inc);
                    }
                }
            }
            e->st.repeats++;
            corr_alert_mark_dirty(e, a);
        } else if (ev->status == EVENT_STATUS_FIRING) {
            bool reopened = a != NULL;
            if (!a) {
                a = corr_alert_create(d, ev->fingerprint);
                corr_map_put(&d->alerts, a->fingerprint, h, a);
                a->first_seen = e->now;
            }
            corr_alert_snapshot(a, ev);
            if (e->rules->parent_label && e->rules->parent_label[0]) {
                corr_resource_set_label_parent(d, a->res,
                                               event_label_get(ev, e->rules->parent_label));
            }
            a->count++;
            a->last_seen = a->refreshed = a->fired_at = e->now;
            corr_alert_on_fire(e, a, reopened);
        }
        /* an acknowledgement for an unknown or cleared alert is dropped */
    } else if (ev->status == EVENT_STATUS_RESOLVED) {
        if (a && a->status == CORR_ALERT_STATE_FIRING) {
            a->last_seen = e->now;
            corr_alert_clear(e, a, CORR_CLEAR_RESOLVED);
        }
    }
    e->emit = NULL;
}

void corr_engine_flush_counts(corr_engine_t *e, corr_emit_fn emit, void *arg)
{
    e->emit = emit;
    e->emit_arg = arg;
    for (size_t i = 0; i < e->ndirty; i++) {
        corr_alert_t *a = e->dirty[i];
        a->dirty = false;
        corr_emit_alert(e, CORR_CHANGE_ALERT_COUNTS, a, NULL);
    }
    e->ndirty = 0;
    e->emit = NULL;
}

void corr_engine_stats(const corr_engine_t *e, corr_stats_t *out)
{
    *out = e->st;
    out->rule_hits = e->rule_hits;
    out->nrule_hits = e->nrule_hits;
}

int64_t corr_engine_next_incident_id(const corr_engine_t *e)
{
    return e->next_id;
}
