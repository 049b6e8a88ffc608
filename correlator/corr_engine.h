/*
 * corr_engine - the pure correlation engine: alerts, incidents, topology,
 * silences, maintenance windows and flapping.
 *
 * It takes events and a clock and returns changes. It does no I/O, reads no
 * clock and keeps no globals, so the daemon, `alertdesk rules replay` and
 * `alertdesk explain` run the very same code, and the same events at the same
 * times always produce the same changes, in the same order.
 *
 * Time: every call takes now_us (the daemon passes the event's received_at,
 * replay the recorded received_at). Timers (resolve timeouts, hold-down,
 * flap settle, held alerts' join window, silence and maintenance ends) are due at absolute times
 * and fire, in (due time, kind, key) order, at the start of the next call whose now_us reaches
 * them; corr_engine_advance() fires them without an event. Time must not go backwards: a smaller
 * now_us is treated as the last one.
 *
 * Domains: state is kept per correlation domain, the value of the label
 * rules->domain_key ("" when the key is "" or the label is absent). Alerts,
 * incidents, groups and topology are looked up only inside one domain.
 *
 * Semantics
 * - Alert: one per (domain, fingerprint). A firing event opens it
 *   (ALERT_OPENED when new, ALERT_REOPENED when it was cleared); a firing
 *   event for a firing alert is a repeat: count and last_seen move in memory
 *   and the alert is marked dirty, nothing is emitted until
 *   corr_engine_flush_counts(). An acknowledged event is a repeat too (it does
 *   not refresh the resolve timeout). A resolved event ALWAYS clears a firing
 *   alert (ALERT_CLEARED, reason resolved), silenced, flapping or symptom
 *   alike: suppression blocks creation and paging, never resolution. A
 *   resolved event for an unknown or cleared alert is dropped.
 * - Resolve timeout: a firing alert whose last firing event is older than
 *   corr_resolve_timeout(rules, source) clears (ALERT_CLEARED, reason timeout).
 * - Flapping: when an alert changes state (open/clear) rules->flap_changes
 *   times within rules->flap_window_us it becomes flapping (ALERT_FLAPPING).
 *   While flapping its opens and clears are still emitted as alert changes
 *   but change no incident: its incident keeps it as an active member, and
 *   no incident is opened or joined because of it. After flap_settle_us with
 *   no state change: ALERT_STABLE, then its actual state is applied (cleared
 *   -> INCIDENT_ALERT_CLEARED; firing -> routed as a new firing alert if it
 *   is in no open incident).
 * - Routing a firing alert, in order: (1) an active silence or maintenance
 *   window matching it -> ALERT_SILENCED, no incident; (2) topology: the
 *   nearest ancestor resource (topology file and the event's parent label,
 *   many levels) with a firing alert that is in an incident -> joins that
 *   incident as a symptom; (3) the first rule whose matchers match; group
 *   key "k=v,k=v" from group_by in rule order; (4) no rule: per
 *   rules->unmatched (an incident per fingerprint, per resource, or none).
 * - Incident of a group (same domain, rule, group key): an open or resolving
 *   incident joins the alert when it is active (it has an active member) or
 *   its last activity is within join_window; otherwise the group's resolved
 *   incident reopens when it resolved within reopen_window
 *   (INCIDENT_REOPENED); otherwise a new incident opens (INCIDENT_OPENED),
 *   unless min_alerts > 1: then the alert is held until min_alerts firing
 *   alerts of the group first fired within join_window, and all the group's
 *   held, still firing alerts join at once. A held alert that clears leaves
 *   the hold; one still held at fired_at + join_window (a timer, also fired
 *   by corr_engine_advance) leaves it too and stays firing in no incident
 *   (nothing is emitted; its state shows held = false). It counts again only
 *   after it clears and re-fires.
 * - Incident severity is the highest severity among its active members
 *   (INCIDENT_UPDATED when it changes, or when the cause changes).
 * - When the last active member clears the incident is resolving; after
 *   hold_down with no member re-firing it resolves (INCIDENT_RESOLVED); a
 *   member that re-fires during hold-down continues it.
 * - Children first: when an alert fires on a resource whose descendants have
 *   incidents opened within rules->topology_window_us (caused by a
 *   descendant), those incidents are merged into the new alert's incident
 *   (INCIDENT_MERGED from -> into; marked merged, kept): their active members
 *   join it as symptoms. Held descendant alerts join as symptoms too.
 * - Parent recovery: when an incident's cause clears while symptoms still
 *   fire, PROMOTE makes the first still-firing member the cause
 *   (INCIDENT_UPDATED); SPLIT moves each still-firing symptom out
 *   (INCIDENT_ALERT_CLEARED with a reason) and routes it again as new.
 * - Silences apply to alerts when they open or re-open; an alert already in
 *   an incident stays there. When a silence ends (or the maintenance window
 *   closes), each still-firing alert it muted is evaluated again:
 *   ALERT_UNSILENCED, then routed as new (maybe muted again by another).
 *
 * Memory: alerts and incidents live in per-domain hash maps (open
 * addressing); a repeat does no allocation. Cleared alerts and resolved or
 * merged incidents are forgotten once no window can refer to them again,
 * unless corr_engine_keep_history() asks to keep them (replay, tests).
 *
 * Thread safety: none; one engine belongs to one thread.
 */
#ifndef ALERTDESK_CORR_ENGINE_H
#define ALERTDESK_CORR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corr_rules.h"
#include "corr_silence.h"
#include "event.h"

typedef struct corr_engine corr_engine_t;

typedef enum {
    CORR_CHANGE_ALERT_OPENED = 1,
    CORR_CHANGE_ALERT_CLEARED,  /* clear_reason says resolved or timeout */
    CORR_CHANGE_ALERT_REOPENED, /* a cleared alert fired again */
    CORR_CHANGE_ALERT_FLAPPING,
    CORR_CHANGE_ALERT_STABLE,
    CORR_CHANGE_ALERT_SILENCED, /* silence_id or window names what muted it */
    CORR_CHANGE_ALERT_UNSILENCED,
    CORR_CHANGE_ALERT_COUNTS, /* coalesced repeats: count, last_seen, severity */
    CORR_CHANGE_INCIDENT_OPENED,
    CORR_CHANGE_INCIDENT_UPDATED,      /* severity or cause changed */
    CORR_CHANGE_INCIDENT_ALERT_JOINED, /* symptom says cause/member or symptom */
    CORR_CHANGE_INCIDENT_ALERT_CLEARED,
    CORR_CHANGE_INCIDENT_RESOLVED,
    CORR_CHANGE_INCIDENT_REOPENED,
    CORR_CHANGE_INCIDENT_MERGED, /* incident_id merged into into_incident_id */
} corr_change_kind_t;

typedef enum {
    CORR_CLEAR_NONE = 0,
    CORR_CLEAR_RESOLVED, /* a resolved event */
    CORR_CLEAR_TIMEOUT,  /* no firing event within the source's resolve_timeout */
} corr_clear_reason_t;

/*
 * One change. Every pointer is valid only during the emit call; strings are
 * never NULL ("" when not applicable). Alert fields are set for alert kinds
 * and for incident kinds about one alert (joined, alert cleared); incident
 * fields are set whenever an incident is concerned (incident_id 0 if none).
 */
typedef struct {
    corr_change_kind_t kind;
    int64_t at_us;
    const char *domain;
    /* the alert */
    const char *fingerprint;
    const char *source;
    const char *resource;
    const char *check;
    event_severity_t severity; /* the alert's, or the incident's for incident kinds */
    uint64_t count;
    int64_t first_seen_us, last_seen_us;
    corr_clear_reason_t clear_reason;
    /* the incident */
    int64_t incident_id;
    int64_t into_incident_id;      /* INCIDENT_MERGED */
    const char *cause_fingerprint; /* incident kinds */
    /* the decision */
    const char *rule;      /* "" for unmatched */
    const char *group_key; /* "k=v,k=v" */
    const char *parent;    /* topology parent that absorbed the alert, "" */
    bool symptom;
    int64_t silence_id; /* 0 when none */
    const char *window; /* maintenance window name, "" */
    const char *reason; /* plain words for `alertdesk explain` */
} corr_change_t;

/* Receives changes. ch and everything it points to live only during the call. */
typedef void (*corr_emit_fn)(void *arg, const corr_change_t *ch);

const char *corr_change_kind_name(corr_change_kind_t k);   /* "alert_opened", ... */
const char *corr_clear_reason_name(corr_clear_reason_t r); /* "", "resolved", "timeout" */

/* ---- life cycle ---- */

/*
 * A new, empty engine. rules must stay alive until it is replaced with
 * corr_engine_set_rules() or the engine is destroyed. next_incident_id is the
 * first id handed out (the daemon passes max(incidents.id) + 1).
 * Caller owns the result; free with corr_engine_destroy().
 */
corr_engine_t *corr_engine_new(const corr_rules_t *rules, int64_t next_incident_id);
/* Accepts NULL; sets *ep to NULL. */
void corr_engine_destroy(corr_engine_t **ep);

/*
 * Swaps the rule set at once, keeping every open alert and incident (their
 * rule names and group keys stay as they were decided). Per-rule hit counts
 * follow rules by name. The caller keeps rules alive until the next swap and
 * may free the previous set after this returns.
 */
void corr_engine_set_rules(corr_engine_t *e, const corr_rules_t *rules);

/* Keep resolved and merged incidents and cleared alerts for good, so that
 * corr_engine_foreach_incident() lists everything a replay formed. Off by
 * default (the daemon forgets them once no window can reach them). */
void corr_engine_keep_history(corr_engine_t *e, bool keep);

/*
 * Replaces the silence set (copied; the caller keeps ownership of s).
 * Alerts already muted by a silence that is gone are evaluated again at the
 * next call with a time (apply or advance).
 */
void corr_engine_set_silences(corr_engine_t *e, const corr_silence_t *s, size_t n);

/* ---- driving ---- */

/* Fires timers due up to now_us, then applies ev (ev->received_at_us is not
 * read: now_us is the time). Changes go to emit(arg, ...); emit may be NULL. */
void corr_engine_apply(corr_engine_t *e, const event_t *ev, int64_t now_us, corr_emit_fn emit,
                       void *arg);
/* Fires timers due up to now_us. */
void corr_engine_advance(corr_engine_t *e, int64_t now_us, corr_emit_fn emit, void *arg);
/* The earliest pending timer, or INT64_MAX when none (lets a daemon sleep). */
int64_t corr_engine_next_due(const corr_engine_t *e);
/* Emits one ALERT_COUNTS per alert whose count moved since the last flush,
 * in the order they first moved, and clears the marks. */
void corr_engine_flush_counts(corr_engine_t *e, corr_emit_fn emit, void *arg);

/* ---- state, for restore after a restart and for snapshots ---- */

typedef enum {
    CORR_ALERT_STATE_FIRING = 1,
    CORR_ALERT_STATE_CLEARED = 2,
} corr_alert_status_t;

#define CORR_FLAP_HISTORY_MAX 64 /* flap_changes above this count as this */

/*
 * Everything the engine keeps about one alert. As an input (restore) the
 * engine copies what it needs; as an output (export) the pointers live only
 * during the callback.
 */
typedef struct {
    const char *domain;
    /* Identity and fields used by rules: fingerprint, source, resource,
     * check, severity, summary, labels (the last firing event's). */
    const event_t *event;
    corr_alert_status_t status;
    uint64_t count;
    bool counts_dirty;       /* count moved since the last flush (a daemon restoring from its
                                tables passes false: it stored the count at that flush) */
    int64_t first_seen_us;   /* first event of the alert ever */
    int64_t last_seen_us;    /* last event of any status */
    int64_t refreshed_at_us; /* last firing event (resolve timeout runs from here) */
    int64_t fired_at_us;     /* start of the current (or last) firing episode */
    int64_t cleared_at_us;   /* when it last cleared, 0 if never */
    /* Decision */
    int64_t incident_id; /* current incident, 0 if none */
    bool symptom;
    const char *parent;    /* "" */
    const char *rule;      /* "" */
    const char *group_key; /* "" */
    bool held;             /* waiting for min_alerts of its group */
    bool routed;           /* routing was decided (false: waits, e.g. flapping) */
    /* Flapping */
    bool flapping;
    bool incident_active;           /* the state its incident sees (frozen while flapping) */
    const int64_t *flap_changes_us; /* state change times, oldest first */
    size_t nflap_changes;
    /* Suppression */
    int64_t silence_id; /* 0 */
    const char *window; /* "" */
} corr_alert_state_t;

typedef enum {
    CORR_INCIDENT_STATE_OPEN = 1,
    CORR_INCIDENT_STATE_RESOLVING, /* no active member; waiting out hold_down */
    CORR_INCIDENT_STATE_RESOLVED,
    CORR_INCIDENT_STATE_MERGED,
} corr_incident_status_t;

const char *corr_incident_status_name(corr_incident_status_t s); /* "open", ... */

typedef struct {
    const char *fingerprint;
    const char *resource;
    bool symptom;
    bool active; /* firing, as the incident sees it */
    int64_t joined_at_us;
} corr_member_t;

typedef struct {
    int64_t id;
    const char *domain;
    const char *rule; /* "" for unmatched */
    const char *group_key;
    corr_incident_status_t status;
    event_severity_t severity;
    const char *cause_fingerprint;
    const char *cause_resource;
    int64_t opened_at_us;
    int64_t last_activity_us;   /* last join, member change or re-fire */
    int64_t resolving_since_us; /* STATE_RESOLVING: when the last member cleared */
    int64_t resolved_at_us;     /* STATE_RESOLVED */
    int64_t merged_into;        /* STATE_MERGED */
    /* the windows of the rule it was opened with (kept when a reload drops
     * the rule); all 0 = take them from the current rules by name */
    int64_t join_window_us, hold_down_us, reopen_window_us;
    const corr_member_t *members; /* in join order */
    size_t nmembers;
} corr_incident_state_t;

/*
 * Restore after a restart: first every alert that is firing, held, silenced,
 * flapping or a member of an incident that is not resolved (cleared alerts
 * still inside their flap window too), then every incident that is open,
 * resolving, or resolved within its rule's reopen window, with its members.
 * Then call corr_engine_restore_done(). Timers are rebuilt from the absolute
 * times in the states. With the same state the engine continues exactly as
 * the uninterrupted run would. Everything is copied.
 * Return 0, or -1 when the state is inconsistent (unknown member alert,
 * duplicate id); the engine is unchanged then.
 */
int corr_engine_restore_alert(corr_engine_t *e, const corr_alert_state_t *st);
int corr_engine_restore_incident(corr_engine_t *e, const corr_incident_state_t *st);
void corr_engine_restore_done(corr_engine_t *e);

/* Calls fn for every alert / incident in memory, domains and items in a
 * stable order (domain, then fingerprint / id). Views live during the call. */
typedef void (*corr_alert_fn)(void *arg, const corr_alert_state_t *st);
typedef void (*corr_incident_fn)(void *arg, const corr_incident_state_t *st);
void corr_engine_foreach_alert(const corr_engine_t *e, corr_alert_fn fn, void *arg);
void corr_engine_foreach_incident(const corr_engine_t *e, corr_incident_fn fn, void *arg);
/* The next id corr_engine would hand out (for snapshots). */
int64_t corr_engine_next_incident_id(const corr_engine_t *e);

/* ---- statistics (for /metrics and replay summaries) ---- */

typedef struct {
    uint64_t events;              /* applied */
    uint64_t repeats;             /* of those, repeats of a firing alert */
    uint64_t open_alerts;         /* firing now */
    uint64_t open_incidents;      /* open or resolving */
    uint64_t incidents_opened;    /* since the engine started */
    uint64_t suppressed_silence;  /* alert openings muted by a silence or window */
    uint64_t suppressed_topology; /* alert joins as symptom */
    uint64_t flapping_alerts;     /* flapping now */
    const uint64_t *rule_hits;    /* per rule, aligned with rules->rules; valid until the
                                     next call on the engine */
    size_t nrule_hits;
    uint64_t unmatched_hits;
} corr_stats_t;

void corr_engine_stats(const corr_engine_t *e, corr_stats_t *out);

#endif
