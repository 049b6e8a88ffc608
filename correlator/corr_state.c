/*
 * corr_state - restoring the engine after a restart, and reading its state.
 *
 * The daemon reloads open alerts, incidents and memberships from PostgreSQL
 * and hands them over here; timers are rebuilt from the absolute times in the
 * states, and timers fire in (due, kind, key) order whatever order they were
 * scheduled in, so a restored engine continues exactly like the
 * uninterrupted one. The foreach functions give the same structs back, which
 * is how tests snapshot an engine into a fresh one.
 */
#include <string.h>

#include "corr_internal.h"
#include "xalloc.h"

int corr_engine_restore_alert(corr_engine_t *e, const corr_alert_state_t *st)
{
    if (!st->event) {
        return -1;
    }
    corr_domain_t *d = corr_domain_get(e, st->domain ? st->domain : "");
    uint64_t h = corr_map_hash(st->event->fingerprint);
    if (corr_map_get(&d->alerts, st->event->fingerprint, h)) {
        return -1;
    }
    corr_alert_t *a = corr_alert_create(d, st->event->fingerprint);
    corr_map_put(&d->alerts, a->fingerprint, h, a);
    corr_alert_snapshot(a, st->event);
    if (e->rules->parent_label && e->rules->parent_label[0]) {
        corr_resource_set_label_parent(d, a->res,
                                       event_label_get(st->event, e->rules->parent_label));
    }
    a->status = st->status;
    a->count = st->count;
    if (st->counts_dirty) {
        corr_alert_mark_dirty(e, a);
    }
    a->first_seen = st->first_seen_us;
    a->last_seen = st->last_seen_us;
    a->refreshed = st->refreshed_at_us;
    a->fired_at = st->fired_at_us;
    a->cleared_at = st->cleared_at_us;
    a->restore_inc_id = st->incident_id;
    a->symptom = st->symptom;
    corr_alert_set_str(&a->parent, st->parent);
    corr_alert_set_str(&a->rule, st->rule);
    corr_alert_set_str(&a->group_key, st->group_key);
    a->routed = st->routed;
    a->flapping = st->flapping;
    a->inc_active = false; /* set when its incident is restored */
    a->silence_id = st->silence_id;
    corr_alert_set_str(&a->window, st->window);
    size_t nf =
        st->nflap_changes > CORR_FLAP_HISTORY_MAX ? CORR_FLAP_HISTORY_MAX : st->nflap_changes;
    if (nf) {
        a->flap = xmalloc(nf * sizeof(int64_t));
        memcpy(a->flap, st->flap_changes_us + (st->nflap_changes - nf), nf * sizeof(int64_t));
        a->nflap = a->flap_cap = (uint32_t)nf;
    }
    if (st->held && a->status == CORR_ALERT_STATE_FIRING) {
        corr_group_t *g = corr_group_get(d, a->rule, a->group_key);
        if (g->nheld == g->held_cap) {
            g->held_cap = g->held_cap ? g->held_cap * 2 : 4;
            g->held = xrealloc(g->held, g->held_cap * sizeof(*g->held));
        }
        g->held[g->nheld++] = a;
        a->held = true;
    }
    if (a->status == CORR_ALERT_STATE_FIRING) {
        e->st.open_alerts++;
    }
    if (a->flapping) {
        e->st.flapping_alerts++;
    }
    return 0;
}

static corr_alert_t *placeholder(corr_domain_t *d, const char *fingerprint, const char *resource)
{
    /* a member whose alert row was not restored (long cleared): keep the
     * membership with what the incident knows */
    corr_alert_t *a = corr_alert_create(d, fingerprint);
    corr_map_put(&d->alerts, a->fingerprint, corr_map_hash(a->fingerprint), a);
    event_t v;
    memset(&v, 0, sizeof(v));
    v.source = "";
    v.resource = resource ? resource : "";
    v.check = "";
    corr_alert_snapshot(a, &v);
    return a;
}

int corr_engine_restore_incident(corr_engine_t *e, const corr_incident_state_t *st)
{
    corr_domain_t *d = corr_domain_get(e, st->domain ? st->domain : "");
    for (size_t i = 0; i < d->nincidents; i++) {
        if (d->incidents[i]->id == st->id) {
            return -1;
        }
    }
    if (st->id <= 0) {
        return -1;
    }
    corr_group_t *g =
        corr_group_get(d, st->rule ? st->rule : "", st->group_key ? st->group_key : "");
    corr_incident_t *inc = corr_incident_create(e, d, g, st->id);
    inc->status = st->status;
    inc->severity = st->severity;
    inc->opened_at = st->opened_at_us;
    inc->last_activity = st->last_activity_us;
    inc->resolving_since = st->resolving_since_us;
    inc->resolved_at = st->resolved_at_us;
    inc->merged_into = st->merged_into;
    if (st->join_window_us || st->hold_down_us || st->reopen_window_us) {
        inc->join_w = st->join_window_us;
        inc->hold = st->hold_down_us;
        inc->reopen = st->reopen_window_us;
    }
    for (size_t i = 0; i < st->nmembers; i++) {
        const corr_member_t *m = &st->members[i];
        corr_alert_t *a = corr_map_get(&d->alerts, m->fingerprint, corr_map_hash(m->fingerprint));
        if (!a) {
            a = placeholder(d, m->fingerprint, m->resource);
        }
        corr_imember_add(inc, a, m->symptom, m->joined_at_us);
        corr_imember_t *im = &inc->members[inc->nmembers - 1];
        for (size_t j = 0; j < inc->nmembers; j++) {
            if (inc->members[j].a == a) {
                im = &inc->members[j];
            }
        }
        im->active = m->active;
        im->joined_at = m->joined_at_us;
        if (m->active) {
            inc->nactive++;
        }
        if (a->restore_inc_id == inc->id) {
            a->inc = inc;
            a->inc_active = m->active;
        }
    }
    if (st->cause_fingerprint && st->cause_fingerprint[0]) {
        inc->cause =
            corr_map_get(&d->alerts, st->cause_fingerprint, corr_map_hash(st->cause_fingerprint));
        if (!inc->cause) {
            inc->cause = placeholder(d, st->cause_fingerprint, st->cause_resource);
        }
    }
    if (inc->status == CORR_INCIDENT_STATE_OPEN || inc->status == CORR_INCIDENT_STATE_RESOLVING) {
        e->st.open_incidents++;
    }
    return 0;
}

void corr_engine_restore_done(corr_engine_t *e)
{
    for (size_t i = 0; i < e->ndoms; i++) {
        corr_domain_t *d = e->doms[i];
        for (size_t j = 0; j < d->alerts.cap; j++) {
            corr_alert_t *a = d->alerts.slots[j].hash >= 2 ? d->alerts.slots[j].val : NULL;
            if (!a) {
                continue;
            }
            a->restore_inc_id = 0;
            if (a->status == CORR_ALERT_STATE_FIRING) {
                int64_t to = corr_alert_timeout(e, a);
                if (to > 0) {
                    corr_sched(e, CORR_T_ALERT_TIMEOUT, a, a->refreshed + to);
                }
                if (a->window[0]) {
                    corr_sched(e, CORR_T_MAINT_CHECK, a, e->now == INT64_MIN ? 0 : e->now);
                }
            }
            if (a->held) {
                corr_group_sched_expire(e, a);
            }
            if (a->flapping) {
                int64_t last = a->nflap ? a->flap[a->nflap - 1] : a->fired_at;
                corr_sched(e, CORR_T_FLAP_SETTLE, a, last + e->rules->flap_settle_us);
            }
            if (a->status == CORR_ALERT_STATE_CLEARED && !e->keep_history) {
                int64_t last = a->nflap ? a->flap[a->nflap - 1] : a->cleared_at;
                corr_sched(e, CORR_T_ALERT_GC, a, last + e->rules->flap_window_us);
            }
        }
        for (size_t j = 0; j < d->nincidents; j++) {
            corr_incident_t *inc = d->incidents[j];
            if (inc->status == CORR_INCIDENT_STATE_RESOLVING) {
                corr_sched(e, CORR_T_INC_HOLD, inc, inc->resolving_since + inc->hold);
            } else if (!e->keep_history && (inc->status == CORR_INCIDENT_STATE_RESOLVED ||
                                            inc->status == CORR_INCIDENT_STATE_MERGED)) {
                int64_t since = inc->status == CORR_INCIDENT_STATE_RESOLVED ? inc->resolved_at
                                                                            : inc->last_activity;
                corr_sched(e, CORR_T_INC_GC, inc, since + inc->reopen);
            }
        }
    }
    e->silences_changed = true;
}

/* ---- reading ---- */

static int dom_cmp(const void *x, const void *y)
{
    return strcmp((*(corr_domain_t *const *)x)->name, (*(corr_domain_t *const *)y)->name);
}

static corr_domain_t **sorted_domains(const corr_engine_t *e)
{
    corr_domain_t **v = xmalloc((e->ndoms + 1) * sizeof(*v));
    if (e->ndoms > 0) {
        memcpy(v, e->doms, e->ndoms * sizeof(*v));
        qsort(v, e->ndoms, sizeof(*v), dom_cmp);
    }
    return v;
}

static int fp_cmp(const void *x, const void *y)
{
    return strcmp((*(corr_alert_t *const *)x)->fingerprint,
                  (*(corr_alert_t *const *)y)->fingerprint);
}

void corr_engine_foreach_alert(const corr_engine_t *e, corr_alert_fn fn, void *arg)
{
    corr_domain_t **doms = sorted_domains(e);
    for (size_t i = 0; i < e->ndoms; i++) {
        corr_domain_t *d = doms[i];
        corr_alert_t **v = xmalloc((d->alerts.n + 1) * sizeof(*v));
        size_t n = 0;
        for (size_t j = 0; j < d->alerts.cap; j++) {
            if (d->alerts.slots[j].hash >= 2) {
                v[n++] = d->alerts.slots[j].val;
            }
        }
        if (n > 1) {
            qsort(v, n, sizeof(*v), fp_cmp);
        }
        for (size_t j = 0; j < n; j++) {
            const corr_alert_t *a = v[j];
            event_t ev;
            corr_alert_view(a, &ev);
            corr_alert_state_t st = {
                .domain = d->name,
                .event = &ev,
                .status = a->status,
                .count = a->count,
                .counts_dirty = a->dirty,
                .first_seen_us = a->first_seen,
                .last_seen_us = a->last_seen,
                .refreshed_at_us = a->refreshed,
                .fired_at_us = a->fired_at,
                .cleared_at_us = a->cleared_at,
                .incident_id = a->inc ? a->inc->id : 0,
                .symptom = a->symptom,
                .parent = a->parent,
                .rule = a->rule,
                .group_key = a->group_key,
                .held = a->held,
                .routed = a->routed,
                .flapping = a->flapping,
                .incident_active = a->inc_active,
                .flap_changes_us = a->flap,
                .nflap_changes = a->nflap,
                .silence_id = a->silence_id,
                .window = a->window,
            };
            fn(arg, &st);
        }
        free(v);
    }
    free(doms);
}

static int id_cmp(const void *x, const void *y)
{
    int64_t a = (*(corr_incident_t *const *)x)->id, b = (*(corr_incident_t *const *)y)->id;
    return a < b ? -1 : a > b;
}

void corr_engine_foreach_incident(const corr_engine_t *e, corr_incident_fn fn, void *arg)
{
    corr_domain_t **doms = sorted_domains(e);
    for (size_t i = 0; i < e->ndoms; i++) {
        corr_domain_t *d = doms[i];
        corr_incident_t **v = xmalloc((d->nincidents + 1) * sizeof(*v));
        if (d->nincidents > 0) {
            memcpy(v, d->incidents, d->nincidents * sizeof(*v));
            qsort(v, d->nincidents, sizeof(*v), id_cmp);
        }
        for (size_t j = 0; j < d->nincidents; j++) {
            const corr_incident_t *inc = v[j];
            corr_member_t *m = xmalloc((inc->nmembers + 1) * sizeof(*m));
            for (size_t k = 0; k < inc->nmembers; k++) {
                m[k] = (corr_member_t){inc->members[k].a->fingerprint, inc->members[k].a->resource,
                                       inc->members[k].symptom, inc->members[k].active,
                                       inc->members[k].joined_at};
            }
            corr_incident_state_t st = {
                .id = inc->id,
                .domain = d->name,
                .rule = inc->rule,
                .group_key = inc->group_key,
                .status = inc->status,
                .severity = inc->severity,
                .cause_fingerprint = inc->cause ? inc->cause->fingerprint : "",
                .cause_resource = inc->cause ? inc->cause->resource : "",
                .opened_at_us = inc->opened_at,
                .last_activity_us = inc->last_activity,
                .resolving_since_us = inc->resolving_since,
                .resolved_at_us = inc->resolved_at,
                .merged_into = inc->merged_into,
                .join_window_us = inc->join_w,
                .hold_down_us = inc->hold,
                .reopen_window_us = inc->reopen,
                .members = m,
                .nmembers = inc->nmembers,
            };
            fn(arg, &st);
            free(m);
        }
        free(v);
    }
    free(doms);
}
