/*
 * corr_internal - the engine's private types, shared by corr_engine.c,
 * corr_alert.c, corr_incident.c, corr_state.c and corr_map.c. Nothing here is
 * an interface: the daemon and CLI use corr_engine.h only.
 */
#ifndef ALERTDESK_CORR_INTERNAL_H
#define ALERTDESK_CORR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corr_engine.h"

/* ---- string-keyed open-addressing map (corr_map.c) ---- */

/* Keys are borrowed from the values they index (the value owns its key). */
typedef struct {
    uint64_t hash; /* 0 empty, 1 deleted */
    const char *key;
    void *val;
} corr_slot_t;

typedef struct {
    corr_slot_t *slots;
    size_t cap;     /* power of two, or 0 */
    size_t n, used; /* live entries; live + deleted */
} corr_map_t;

uint64_t corr_map_hash(const char *key);
void *corr_map_get(const corr_map_t *m, const char *key, uint64_t h);
/* key must live as long as the entry. */
void corr_map_put(corr_map_t *m, const char *key, uint64_t h, void *val);
void corr_map_del(corr_map_t *m, const char *key, uint64_t h);
void corr_map_free(corr_map_t *m);

/* ---- timers: a binary min-heap with lazy deletion (corr_map.c) ---- */

typedef enum {
    CORR_T_ALERT_TIMEOUT = 1, /* resolve_timeout */
    CORR_T_FLAP_SETTLE,
    CORR_T_MAINT_CHECK,   /* a window-muted alert: is the window still open? */
    CORR_T_SILENCE_CHECK, /* a silence ends: re-evaluate muted alerts */
    CORR_T_INC_HOLD,      /* hold_down after the last member cleared */
    CORR_T_INC_GC,        /* forget a resolved / merged incident */
    CORR_T_ALERT_GC,      /* forget a cleared alert */
    CORR_T_HELD_EXPIRE,   /* a held alert left its group's join window */
    CORR_T_NKINDS
} corr_timer_kind_t;

typedef struct {
    int64_t due;
    int kind;
    void *obj; /* corr_alert_t, corr_incident_t or NULL */
} corr_timer_t;

typedef struct {
    corr_timer_t *v;
    size_t n, cap;
} corr_heap_t;

void corr_heap_push(corr_heap_t *h, corr_timer_t t);
void corr_heap_pop(corr_heap_t *h, corr_timer_t *out);

/* ---- state ---- */

typedef struct corr_domain corr_domain_t;
typedef struct corr_incident corr_incident_t;
typedef struct corr_alert corr_alert_t;
typedef struct corr_resource corr_resource_t;
typedef struct corr_group corr_group_t;

struct corr_resource {
    char *name;
    char *label_parent;          /* last parent label seen on its events, NULL */
    corr_alert_t *alerts;        /* alerts on this resource (intrusive list) */
    corr_resource_t **lchildren; /* resources whose label names this one as parent */
    size_t nlchildren, lchildren_cap;
    uint32_t visit; /* walk marker */
};

struct corr_alert {
    corr_domain_t *dom;
    char fingerprint[EVENT_FINGERPRINT_HEX + 1];
    /* snapshot of the last opening event (one allocation: labels + strings) */
    char *blob;
    const char *source, *resource, *check, *summary;
    event_label_t *labels;
    uint32_t nlabels;
    event_severity_t severity;
    corr_alert_status_t status;
    uint64_t count;
    int64_t first_seen, last_seen, refreshed, fired_at, cleared_at;
    /* decision */
    corr_incident_t *inc;
    char *parent, *rule, *group_key; /* owned, never NULL */
    int64_t silence_id;
    char *window; /* owned, never NULL */
    bool symptom, held, routed, flapping, inc_active, dirty, dead;
    /* flap history: change times, oldest first */
    int64_t *flap;
    uint32_t nflap, flap_cap;
    /* bookkeeping */
    corr_resource_t *res;
    corr_alert_t *res_prev, *res_next;
    uint32_t nrefs;   /* incident members pointing here */
    uint32_t ntimers; /* heap entries pointing here */
    int64_t pending[CORR_T_NKINDS];
    int64_t restore_inc_id; /* incident_id from a restored state, until linked */
};

typedef struct {
    corr_alert_t *a;
    bool symptom, active;
    int64_t joined_at;
} corr_imember_t;

struct corr_incident {
    int64_t id;
    corr_domain_t *dom;
    corr_group_t *group;
    char *rule, *group_key;
    corr_incident_status_t status;
    event_severity_t severity;
    corr_alert_t *cause;
    int64_t opened_at, last_activity, resolving_since, resolved_at, merged_into;
    /* its rule's windows, kept so that a reload dropping the rule does not
     * change how an open incident ends */
    int64_t join_w, hold, reopen;
    corr_imember_t *members;
    size_t nmembers, members_cap;
    size_t nactive;
    size_t dom_idx; /* index in dom->incidents */
    uint32_t ntimers;
    bool dead;
    int64_t pending[CORR_T_NKINDS];
};

struct corr_group {
    char *key; /* rule "\x1f" group_key */
    char *rule, *group_key;
    corr_incident_t *latest;
    corr_alert_t **held;
    size_t nheld, held_cap;
};

struct corr_domain {
    char *name;
    corr_map_t alerts;           /* fingerprint -> corr_alert_t */
    corr_map_t resources;        /* name -> corr_resource_t */
    corr_map_t groups;           /* key -> corr_group_t */
    corr_incident_t **incidents; /* in memory (open, resolving, kept) */
    size_t nincidents, incidents_cap;
};

typedef struct {
    char *name;
    char **children;
    size_t n, cap;
} corr_topo_children_t;

struct corr_engine {
    const corr_rules_t *rules;
    int64_t next_id;
    bool keep_history;
    corr_map_t domains;
    corr_domain_t **doms;
    size_t ndoms, doms_cap;
    corr_domain_t *last_dom;
    corr_map_t topo_children; /* parent name -> corr_topo_children_t */
    corr_heap_t timers;
    int64_t now;
    corr_silence_t *silences;
    size_t nsilences;
    bool silences_changed;
    int64_t silence_due; /* the pending CORR_T_SILENCE_CHECK, 0 if none */
    corr_alert_t **dirty;
    size_t ndirty, dirty_cap;
    uint32_t visit;
    /* the current call's sink */
    corr_emit_fn emit;
    void *emit_arg;
    char reason[768];
    corr_clear_reason_t emit_clear_reason; /* for ALERT_CLEARED */
    /* stats */
    corr_stats_t st;
    uint64_t *rule_hits;
    size_t nrule_hits;
};

/* corr_engine.c */
void corr_sched(corr_engine_t *e, int kind, void *obj, int64_t due);
void corr_emit_alert(corr_engine_t *e, corr_change_kind_t kind, corr_alert_t *a,
                     const char *reason);
void corr_emit_incident(corr_engine_t *e, corr_change_kind_t kind, corr_incident_t *inc,
                        corr_alert_t *a, bool symptom, const char *reason);
const corr_rule_t *corr_rule_by_name(const corr_engine_t *e, const char *name);
corr_domain_t *corr_domain_get(corr_engine_t *e, const char *name);
const char *corr_reasonf(corr_engine_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* corr_alert.c */
void corr_alert_mark_dirty(corr_engine_t *e, corr_alert_t *a); /* corr_engine.c */
corr_alert_t *corr_alert_create(corr_domain_t *d, const char *fingerprint);
void corr_alert_snapshot(corr_alert_t *a, const event_t *ev);
void corr_alert_view(const corr_alert_t *a, event_t *out);
void corr_alert_set_str(char **dst, const char *s);
void corr_alert_release(corr_engine_t *e, corr_alert_t *a);
void corr_alert_free(corr_alert_t *a);
void corr_alert_try_gc(corr_engine_t *e, corr_alert_t *a);
corr_resource_t *corr_resource_get(corr_domain_t *d, const char *name);
void corr_resource_set_label_parent(corr_domain_t *d, corr_resource_t *r, const char *parent);
/* Records a state change; returns true when the alert just became flapping. */
bool corr_alert_flap_record(corr_engine_t *e, corr_alert_t *a);
void corr_alert_on_fire(corr_engine_t *e, corr_alert_t *a, bool reopened);
void corr_alert_clear(corr_engine_t *e, corr_alert_t *a, corr_clear_reason_t why);
void corr_alert_timer(corr_engine_t *e, int kind, corr_alert_t *a);
void corr_silence_recheck(corr_engine_t *e);
void corr_silence_sched_next(corr_engine_t *e);
bool corr_alert_mute_check(corr_engine_t *e, corr_alert_t *a);
int64_t corr_alert_timeout(const corr_engine_t *e, const corr_alert_t *a);

/* corr_incident.c */
void corr_route(corr_engine_t *e, corr_alert_t *a);
void corr_incident_member_cleared(corr_engine_t *e, corr_incident_t *inc, corr_alert_t *a,
                                  const char *reason);
void corr_incident_timer(corr_engine_t *e, int kind, corr_incident_t *inc);
void corr_incident_recompute_severity(corr_engine_t *e, corr_incident_t *inc);
corr_incident_t *corr_incident_create(corr_engine_t *e, corr_domain_t *d, corr_group_t *g,
                                      int64_t id);
void corr_incident_free(corr_incident_t *inc);
void corr_incident_refresh_params(const corr_engine_t *e, corr_incident_t *inc);
void corr_incident_release(corr_engine_t *e, corr_incident_t *inc);
corr_group_t *corr_group_get(corr_domain_t *d, const char *rule, const char *group_key);
void corr_group_unhold(corr_group_t *g, corr_alert_t *a);
/* Schedules the release of held alert a once it is older than its rule's
 * join window (now, from the current rules, when the rule is gone). */
void corr_group_sched_expire(corr_engine_t *e, corr_alert_t *a);
void corr_group_expire(corr_engine_t *e, corr_alert_t *a);
void corr_imember_add(corr_incident_t *inc, corr_alert_t *a, bool symptom, int64_t at);

#endif
