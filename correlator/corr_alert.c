/*
 * corr_alert - alert state in the engine: the compact snapshot of an alert's
 * fields, opening and clearing, flapping, resolve timeouts, silences and
 * maintenance windows, and forgetting cleared alerts.
 *
 * Where an alert goes (incident, topology, groups) is corr_incident.c's job;
 * this file decides only whether it may go anywhere.
 */
#include <stdio.h>
#include <string.h>

#include "corr_internal.h"
#include "xalloc.h"

#define MINUTE_US (60LL * 1000000LL)

void corr_alert_set_str(char **dst, const char *s)
{
    if (!s) {
        s = "";
    }
    if (*dst && strcmp(*dst, s) == 0) {
        return;
    }
    free(*dst);
    *dst = xstrdup(s);
}

corr_resource_t *corr_resource_get(corr_domain_t *d, const char *name)
{
    uint64_t h = corr_map_hash(name);
    corr_resource_t *r = corr_map_get(&d->resources, name, h);
    if (!r) {
        r = xcalloc(1, sizeof(*r));
        r->name = xstrdup(name);
        corr_map_put(&d->resources, r->name, h, r);
    }
    return r;
}

void corr_resource_set_label_parent(corr_domain_t *d, corr_resource_t *r, const char *parent)
{
    if (!parent || !parent[0] || strcmp(parent, r->name) == 0) {
        return;
    }
    if (r->label_parent && strcmp(r->label_parent, parent) == 0) {
        return;
    }
    free(r->label_parent);
    r->label_parent = xstrdup(parent);
    /* a stale child link from an older parent only costs a wasted look */
    corr_resource_t *p = corr_resource_get(d, parent);
    for (size_t i = 0; i < p->nlchildren; i++) {
        if (p->lchildren[i] == r) {
            return;
        }
    }
    if (p->nlchildren == p->lchildren_cap) {
        p->lchildren_cap = p->lchildren_cap ? p->lchildren_cap * 2 : 4;
        p->lchildren = xrealloc(p->lchildren, p->lchildren_cap * sizeof(*p->lchildren));
    }
    p->lchildren[p->nlchildren++] = r;
}

corr_alert_t *corr_alert_create(corr_domain_t *d, const char *fingerprint)
{
    corr_alert_t *a = xcalloc(1, sizeof(*a));
    a->dom = d;
    snprintf(a->fingerprint, sizeof(a->fingerprint), "%s", fingerprint);
    a->parent = xstrdup("");
    a->rule = xstrdup("");
    a->group_key = xstrdup("");
    a->window = xstrdup("");
    a->source = a->resource = a->check = a->summary = "";
    a->status = CORR_ALERT_STATE_CLEARED;
    return a;
}

static void resource_link(corr_alert_t *a, const char *resource)
{
    corr_resource_t *r = corr_resource_get(a->dom, resource);
    if (a->res == r) {
        return;
    }
    if (a->res) {
        if (a->res_prev) {
            a->res_prev->res_next = a->res_next;
        } else {
            a->res->alerts = a->res_next;
        }
        if (a->res_next) {
            a->res_next->res_prev = a->res_prev;
        }
    }
    a->res = r;
    a->res_prev = NULL;
    a->res_next = r->alerts;
    if (r->alerts) {
        r->alerts->res_prev = a;
    }
    r->alerts = a;
}

/* One allocation holds the labels and every string, so an alert costs a
 * struct and one blob whatever its label count. */
void corr_alert_snapshot(corr_alert_t *a, const event_t *ev)
{
    const char *strs[4] = {ev->source, ev->resource, ev->check, ev->summary};
    size_t len = ev->nlabels * sizeof(event_label_t);
    for (int i = 0; i < 4; i++) {
        len += (strs[i] ? strlen(strs[i]) : 0) + 1;
    }
    for (uint32_t i = 0; i < ev->nlabels; i++) {
        len += strlen(ev->labels[i].key) + strlen(ev->labels[i].value) + 2;
    }
    char *blob = xmalloc(len ? len : 1);
    event_label_t *labels = (event_label_t *)blob;
    char *p = blob + ev->nlabels * sizeof(event_label_t);
    const char *out[4];
    for (int i = 0; i < 4; i++) {
        size_t n = strs[i] ? strlen(strs[i]) : 0;
        memcpy(p, strs[i] ? strs[i] : "", n + 1);
        out[i] = p;
        p += n + 1;
    }
    for (uint32_t i = 0; i < ev->nlabels; i++) {
        size_t k = strlen(ev->labels[i].key) + 1, v = strlen(ev->labels[i].value) + 1;
        memcpy(p, ev->labels[i].key, k);
        labels[i].key = p;
        p += k;
        memcpy(p, ev->labels[i].value, v);
        labels[i].value = p;
        p += v;
    }
    free(a->blob);
    a->blob = blob;
    a->source = out[0];
    a->resource = out[1];
    a->check = out[2];
    a->summary = out[3];
    a->labels = labels;
    a->nlabels = ev->nlabels;
    if (ev->severity != EVENT_SEVERITY_NONE || a->severity == EVENT_SEVERITY_NONE) {
        a->severity = ev->severity;
    }
    resource_link(a, a->resource);
}

void corr_alert_view(const corr_alert_t *a, event_t *out)
{
    memset(out, 0, sizeof(*out));
    out->format = EVENT_FORMAT_NATIVE;
    out->source = a->source;
    out->resource = a->resource;
    out->check = a->check;
    out->summary = a->summary[0] ? a->summary : NULL;
    out->severity = a->severity;
    out->status =
        a->status == CORR_ALERT_STATE_FIRING ? EVENT_STATUS_FIRING : EVENT_STATUS_RESOLVED;
    out->labels = a->labels;
    out->nlabels = a->nlabels;
    out->occurred_at_us = out->received_at_us = a->last_seen;
    memcpy(out->fingerprint, a->fingerprint, sizeof(out->fingerprint));
}

void corr_alert_free(corr_alert_t *a)
{
    free(a->blob);
    free(a->parent);
    free(a->rule);
    free(a->group_key);
    free(a->window);
    free(a->flap);
    free(a);
}

/* Takes a from every index; freed now or when its last timer fires. */
void corr_alert_release(corr_engine_t *e, corr_alert_t *a)
{
    (void)e;
    corr_map_del(&a->dom->alerts, a->fingerprint, corr_map_hash(a->fingerprint));
    if (a->res) {
        if (a->res_prev) {
            a->res_prev->res_next = a->res_next;
        } else {
            a->res->alerts = a->res_next;
        }
        if (a->res_next) {
            a->res_next->res_prev = a->res_prev;
        }
        a->res = NULL;
    }
    a->dead = true;
    if (a->ntimers == 0) {
        corr_alert_free(a);
    }
}

static int64_t last_change(const corr_alert_t *a)
{
    return a->nflap ? a->flap[a->nflap - 1] : a->fired_at;
}

void corr_alert_try_gc(corr_engine_t *e, corr_alert_t *a)
{
    if (e->keep_history || a->dead || a->status != CORR_ALERT_STATE_CLEARED || a->flapping ||
        a->held || a->nrefs > 0) {
        return;
    }
    int64_t until = last_change(a) + e->rules->flap_window_us;
    if (a->dirty || e->now < until) {
        corr_sched(e, CORR_T_ALERT_GC, a, a->dirty ? e->now + 1000000 : until);
        return;
    }
    corr_alert_release(e, a);
}

int64_t corr_alert_timeout(const corr_engine_t *e, const corr_alert_t *a)
{
    return corr_resolve_timeout(e->rules, a->source);
}

bool corr_alert_flap_record(corr_engine_t *e, corr_alert_t *a)
{
    const corr_rules_t *r = e->rules;
    if (r->flap_changes < 2 || r->flap_window_us <= 0) {
        return false;
    }
    uint32_t keep =
        r->flap_changes > CORR_FLAP_HISTORY_MAX ? CORR_FLAP_HISTORY_MAX : r->flap_changes;
    /* drop changes that left the window, and the oldest beyond what counts */
    uint32_t drop = 0;
    while (drop < a->nflap && a->flap[drop] <= e->now - r->flap_window_us) {
        drop++;
    }
    if (a->nflap - drop >= keep) {
        drop = a->nflap - keep + 1;
    }
    if (drop) {
        memmove(a->flap, a->flap + drop, (a->nflap - drop) * sizeof(int64_t));
        a->nflap -= drop;
    }
    if (a->nflap == a->flap_cap) {
        a->flap_cap = keep;
        a->flap = xrealloc(a->flap, a->flap_cap * sizeof(int64_t));
    }
    a->flap[a->nflap++] = e->now;
    if (a->flapping) {
        corr_sched(e, CORR_T_FLAP_SETTLE, a, e->now + r->flap_settle_us);
        return false;
    }
    if (a->nflap >= keep) {
        a->flapping = true;
        e->st.flapping_alerts++;
        corr_emit_alert(e, CORR_CHANGE_ALERT_FLAPPING, a,
                        corr_reasonf(e,
                                     "%u state changes within %llds: flapping; its incident "
                                     "ignores it until it is stable for %llds",
                                     a->nflap, (long long)(r->flap_window_us / 1000000),
                                     (long long)(r->flap_settle_us / 1000000)));
        corr_sched(e, CORR_T_FLAP_SETTLE, a, e->now + r->flap_settle_us);
        return true;
    }
    return false;
}

void corr_alert_on_fire(corr_engine_t *e, corr_alert_t *a, bool reopened)
{
    a->status = CORR_ALERT_STATE_FIRING;
    e->st.open_alerts++;
    corr_emit_alert(e, reopened ? CORR_CHANGE_ALERT_REOPENED : CORR_CHANGE_ALERT_OPENED, a,
                    reopened ? "fired again" : "first firing event");
    corr_alert_flap_record(e, a);
    int64_t to = corr_alert_timeout(e, a);
    if (to > 0) {
        corr_sched(e, CORR_T_ALERT_TIMEOUT, a, a->refreshed + to);
    }
    if (a->flapping) {
        /* frozen: its incident keeps seeing the state from before the flapping */
        return;
    }
    corr_route(e, a);
}

void corr_alert_clear(corr_engine_t *e, corr_alert_t *a, corr_clear_reason_t why)
{
    a->status = CORR_ALERT_STATE_CLEARED;
    a->cleared_at = e->now;
    e->st.open_alerts--;
    /* a clear of a silenced or held alert is still a clear (promise 1) */
    e->emit_clear_reason = why;
    corr_emit_alert(e, CORR_CHANGE_ALERT_CLEARED, a,
                    why == CORR_CLEAR_TIMEOUT ? "no firing event within the resolve timeout"
                                              : "resolved by its source");
    e->emit_clear_reason = CORR_CLEAR_NONE;
    a->silence_id = 0;
    corr_alert_set_str(&a->window, "");
    if (a->held) {
        corr_group_t *g = corr_group_get(a->dom, a->rule, a->group_key);
        corr_group_unhold(g, a);
    }
    corr_alert_flap_record(e, a);
    if (!a->flapping) {
        a->routed = false;
        if (a->inc && a->inc_active) {
            corr_incident_member_cleared(e, a->inc, a, NULL);
        }
    }
    corr_alert_try_gc(e, a);
}

/* ---- silences and maintenance windows ---- */

static const corr_silence_t *silence_find(const corr_engine_t *e, const event_t *v)
{
    for (size_t i = 0; i < e->nsilences; i++) {
        if (corr_silence_matches(&e->silences[i], v, e->now)) {
            return &e->silences[i];
        }
    }
    return NULL;
}

/* Mutes a when a silence or window covers it; returns true if muted. */
bool corr_alert_mute_check(corr_engine_t *e, corr_alert_t *a)
{
    event_t v;
    corr_alert_view(a, &v);
    const corr_silence_t *s = silence_find(e, &v);
    const corr_maintenance_t *w = s ? NULL : corr_maintenance_active(e->rules, &v, e->now);
    if (!s && !w) {
        return false;
    }
    bool changed = s ? a->silence_id != s->id : strcmp(a->window, w->name) != 0;
    bool was = a->silence_id != 0 || a->window[0];
    if (s) {
        a->silence_id = s->id;
        corr_alert_set_str(&a->window, "");
    } else {
        a->silence_id = 0;
        corr_alert_set_str(&a->window, w->name);
        /* look again when this occurrence ends (DST-aware, from the rules) */
        int64_t end = 0;
        if (!corr_maintenance_covers(w, e->now, NULL, &end) || end <= e->now) {
            end = (e->now / MINUTE_US + 1) * MINUTE_US;
        }
        corr_sched(e, CORR_T_MAINT_CHECK, a, end);
    }
    if (changed) {
        if (!was) {
            e->st.suppressed_silence++;
        }
        const char *why =
            s ? corr_reasonf(e, "muted by silence %lld (by %s: %s)", (long long)s->id,
                             s->creator ? s->creator : "unknown", s->comment ? s->comment : "")
              : corr_reasonf(e, "muted by maintenance window %s%s%s", w->name,
                             w->comment ? ": " : "", w->comment ? w->comment : "");
        corr_emit_alert(e, CORR_CHANGE_ALERT_SILENCED, a, why);
    }
    a->routed = true;
    return true;
}

/* A muted, firing alert whose silence or window may have ended. */
static void mute_recheck(corr_engine_t *e, corr_alert_t *a)
{
    if (a->status != CORR_ALERT_STATE_FIRING || (!a->silence_id && !a->window[0])) {
        return;
    }
    if (corr_alert_mute_check(e, a)) {
        return;
    }
    if (a->silence_id) {
        corr_reasonf(e, "silence %lld ended; evaluated as new", (long long)a->silence_id);
    } else {
        corr_reasonf(e, "maintenance window %s ended; evaluated as new", a->window);
    }
    corr_emit_alert(e, CORR_CHANGE_ALERT_UNSILENCED, a, e->reason);
    a->silence_id = 0;
    corr_alert_set_str(&a->window, "");
    a->routed = false;
    if (!a->flapping) {
        corr_route(e, a);
    }
}

static int alert_order(const void *x, const void *y)
{
    const corr_alert_t *a = *(corr_alert_t *const *)x, *b = *(corr_alert_t *const *)y;
    if (a->fired_at != b->fired_at) {
        return a->fired_at < b->fired_at ? -1 : 1;
    }
    int c = strcmp(a->dom->name, b->dom->name);
    return c ? c : strcmp(a->fingerprint, b->fingerprint);
}

void corr_silence_recheck(corr_engine_t *e)
{
    /* collect first: routing may change the maps */
    corr_alert_t **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < e->ndoms; i++) {
        corr_map_t *m = &e->doms[i]->alerts;
        for (size_t j = 0; j < m->cap; j++) {
            corr_alert_t *a = m->slots[j].hash >= 2 ? m->slots[j].val : NULL;
            if (a && a->status == CORR_ALERT_STATE_FIRING && a->silence_id) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    v = xrealloc(v, cap * sizeof(*v));
                }
                v[n++] = a;
            }
        }
    }
    if (n > 1) {
        qsort(v, n, sizeof(*v), alert_order);
    }
    for (size_t i = 0; i < n; i++) {
        mute_recheck(e, v[i]);
    }
    free(v);
}

void corr_alert_timer(corr_engine_t *e, int kind, corr_alert_t *a)
{
    switch (kind) {
    case CORR_T_ALERT_TIMEOUT: {
        int64_t to = corr_alert_timeout(e, a);
        if (a->status != CORR_ALERT_STATE_FIRING || to <= 0) {
            return;
        }
        if (e->now >= a->refreshed + to) {
            corr_alert_clear(e, a, CORR_CLEAR_TIMEOUT);
        } else {
            corr_sched(e, CORR_T_ALERT_TIMEOUT, a, a->refreshed + to);
        }
        return;
    }
    case CORR_T_FLAP_SETTLE: {
        if (!a->flapping) {
            return;
        }
        int64_t until = last_change(a) + e->rules->flap_settle_us;
        if (e->now < until) {
            corr_sched(e, CORR_T_FLAP_SETTLE, a, until);
            return;
        }
        a->flapping = false;
        e->st.flapping_alerts--;
        corr_emit_alert(e, CORR_CHANGE_ALERT_STABLE, a,
                        a->status == CORR_ALERT_STATE_FIRING
                            ? "stable (firing); its state now counts again"
                            : "stable (cleared); its state now counts again");
        if (a->status == CORR_ALERT_STATE_FIRING) {
            bool in = a->inc && a->inc_active &&
                      (a->inc->status == CORR_INCIDENT_STATE_OPEN ||
                       a->inc->status == CORR_INCIDENT_STATE_RESOLVING);
            if (!in && !a->held && !a->silence_id && !a->window[0]) {
                corr_route(e, a);
            }
        } else {
            a->routed = false;
            if (a->inc && a->inc_active) {
                corr_incident_member_cleared(e, a->inc, a, "cleared (applied once stable)");
            }
            corr_alert_try_gc(e, a);
        }
        return;
    }
    case CORR_T_MAINT_CHECK:
        if (a->window[0]) {
            a->silence_id = 0;
            mute_recheck(e, a);
        }
        return;
    case CORR_T_ALERT_GC:
        corr_alert_try_gc(e, a);
        return;
    case CORR_T_HELD_EXPIRE:
        corr_group_expire(e, a);
        return;
    }
}
