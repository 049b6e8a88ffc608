/*
 * ticketer_incidents - incident changes into tickets, and the timers (SLA,
 * auto-close, coalesced alert notes). See ticketer_incidents.h for what each
 * change does; everything runs inside the caller's transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "xalloc.h"

#include "ticketer_incidents.h"
#include "ticketer_ticket.h"

#define TICKETER_TITLE_MAX 200

/* ticketer_utf8_cut - the longest prefix of s of at most max bytes that ends
 * on a character boundary (the database refuses a cut character). */
static size_t ticketer_utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        return n;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) {
        max--;
    }
    return max;
}

/* ticketer_cause - the incident's cause alert as an event (fields, labels),
 * its severity the incident's. Falls back to what the record says when the
 * alert row is gone. Caller owns the result; free with event_destroy(). */
static db_status_t ticketer_cause(PGconn *conn, const correlator_record_t *r, event_t **out)
{
    event_t *ev = event_new(EVENT_FORMAT_NATIVE);
    ev->severity = r->severity;
    ev->status = EVENT_STATUS_FIRING;
    ev->resource = event_strdup(ev, r->resource);
    ev->check = event_strdup(ev, "");
    ev->source = event_strdup(ev, "");
    snprintf(ev->fingerprint, sizeof ev->fingerprint, "%s", r->cause_fingerprint);
    const char *params[] = {r->domain, r->cause_fingerprint};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "tickets.cause",
                             "SELECT source, resource, \"check\", summary, "
                             "(extract(epoch FROM first_seen) * 1000000)::bigint "
                             "FROM alerts WHERE domain = $1 AND fingerprint = $2",
                             2, params, &res);
    if (st != DB_OK) {
        event_destroy(&ev);
        return st;
    }
    if (PQntuples(res) == 1) {
        ev->source = event_strdup(ev, PQgetvalue(res, 0, 0));
        ev->resource = event_strdup(ev, PQgetvalue(res, 0, 1));
        ev->check = event_strdup(ev, PQgetvalue(res, 0, 2));
        ev->summary = PQgetisnull(res, 0, 3) ? NULL : event_strdup(ev, PQgetvalue(res, 0, 3));
        ev->occurred_at_us = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    }
    PQclear(res);
    /* Labels and annotations in one round trip: 'l' rows and 'n' rows. */
    st = db_exec(conn, "tickets.cause_maps",
                 "SELECT 'l', m.key, m.value FROM alerts a, each(a.labels) m "
                 "WHERE a.domain = $1 AND a.fingerprint = $2 UNION ALL "
                 "SELECT 'n', m.key, m.value FROM alerts a, each(a.annotations) m "
                 "WHERE a.domain = $1 AND a.fingerprint = $2",
                 2, params, &res);
    if (st != DB_OK) {
        event_destroy(&ev);
        return st;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetvalue(res, i, 0)[0] == 'l') {
            event_label_set(ev, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
        } else {
            event_annotation_set(ev, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
        }
    }
    PQclear(res);
    *out = ev;
    return DB_OK;
}

/* ticketer_links - the cause's runbook, playbook, dashboard and wiki links
 * (annotations whose value is an http(s) URL) as description lines. */
static void ticketer_links(const event_t *cause, char *buf, size_t cap)
{
    size_t n = strlen(buf);
    for (uint32_t i = 0; i < cause->nannotations && n < cap; i++) {
        const event_label_t *a = &cause->annotations[i];
        bool link_key = strstr(a->key, "runbook") || strstr(a->key, "playbook") ||
                        strstr(a->key, "dashboard") || strstr(a->key, "wiki");
        bool url = strncmp(a->value, "https://", 8) == 0 || strncmp(a->value, "http://", 7) == 0;
        if (link_key && url) {
            int k = snprintf(buf + n, cap - n, "Link (%s): %s\n", a->key, a->value);
            n = k > 0 && (size_t)k < cap - n ? n + (size_t)k : cap;
        }
    }
}

/* ticketer_next_key - PREFIX-N from the per-prefix counter (row-locked to
 * the end of the transaction, so keys have no holes among committed ones). */
static db_status_t ticketer_next_key(PGconn *conn, const char *prefix, char *key, size_t keylen)
{
    const char *params[] = {prefix};
    PGresult *res = NULL;
    db_status_t st =
        db_exec(conn, "tickets.next_key",
                "INSERT INTO ticket_key_counters AS c (prefix, last_num) VALUES ($1, 1) "
                "ON CONFLICT (prefix) DO UPDATE SET last_num = c.last_num + 1 "
                "RETURNING last_num",
                1, params, &res);
    if (st != DB_OK) {
        return st;
    }
    snprintf(key, keylen, "%s-%s", prefix, PQgetvalue(res, 0, 0));
    PQclear(res);
    return DB_OK;
}

/* ticketer_open - incident_opened: a ticket, unless one exists or routing
 * says "record only". */
static db_status_t ticketer_open(PGconn *conn, const correlator_record_t *r,
                                 const ticket_routing_t *routing, ticketer_log_t *log)
{
    ticket_t t;
    bool found = false;
    db_status_t st = ticketer_ticket_lock_incident(conn, r->incident_id, &t, &found);
    if (st != DB_OK || found) {
        return st; /* a replay: the ticket is there */
    }
    event_t *cause = NULL;
    if ((st = ticketer_cause(conn, r, &cause)) != DB_OK) {
        return st;
    }
    ticket_route_result_t route;
    ticket_routing_decide(routing, cause, &route);
    if (!route.open_ticket) {
        log_info("msg=\"incident recorded without a ticket\" incident=%" PRId64 " route=%s",
                 r->incident_id, route.route && route.route->name ? route.route->name : "");
        event_destroy(&cause);
        return DB_OK;
    }
    char key[TICKET_KEY_MAX];
    if ((st = ticketer_next_key(conn, route.queue->key_prefix, key, sizeof key)) != DB_OK) {
        event_destroy(&cause);
        return st;
    }
    char title[TICKETER_TITLE_MAX * 2], desc[4096], at[40];
    snprintf(title, sizeof title, "%s: %s%s%s", cause->resource,
             *cause->check ? cause->check : "alert", cause->summary ? " - " : "",
             cause->summary ? cause->summary : "");
    title[ticketer_utf8_cut(title, TICKETER_TITLE_MAX)] = '\0';
    db_format_time(r->at_us, at, sizeof at);
    int n =
        snprintf(desc, sizeof desc,
                 "Cause: %s %s (%s, severity %s)\n%s%s%sIncident %" PRId64
                 " opened %s by rule \"%s\" (group %s) in domain \"%s\".\nWhy: %s\n",
                 cause->resource, cause->check, *cause->source ? cause->source : "unknown source",
                 event_severity_name(r->severity), cause->summary ? "Summary: " : "",
                 cause->summary ? cause->summary : "", cause->summary ? "\n" : "", r->incident_id,
                 at, *r->rule ? r->rule : "(no rule: one incident per alert)",
                 *r->group_key ? r->group_key : "-", r->domain, r->reason);
    if (n > 0 && (size_t)n < sizeof desc) {
        ticketer_links(cause, desc, sizeof desc);
    }
    desc[ticketer_utf8_cut(desc, sizeof desc - 1)] = '\0';
    const sla_policy_t *sla = route.sla;
    char num[8][24];
    snprintf(num[0], sizeof num[0], "%" PRId64, r->incident_id);
    snprintf(num[1], sizeof num[1], "%d", route.priority);
    snprintf(num[2], sizeof num[2], "%d", (int)r->severity);
    snprintf(num[3], sizeof num[3], "%" PRId64, r->at_us);
    snprintf(num[4], sizeof num[4], "%d", sla ? sla->warn_permille : 800);
    snprintf(num[5], sizeof num[5], "%" PRId64, sla ? sla->first_response_us : 0);
    snprintf(num[6], sizeof num[6], "%" PRId64, sla ? sla->resolution_us : 0);
    snprintf(num[7], sizeof num[7], "%" PRId64, sla ? sla->update_interval_us : 0);
    const char *params[] = {key,
                            num[0],
                            r->domain,
                            route.queue->name,
                            route.route && route.route->name ? route.route->name : "",
                            num[1],
                            num[2],
                            title,
                            desc,
                            cause->source,
                            cause->check,
                            r->cause_fingerprint,
                            cause->resource,
                            r->rule,
                            r->group_key,
                            num[3],
                            sla ? sla->name : "",
                            sla && sla->calendar ? sla->calendar->name : "",
                            num[4],
                            num[5],
                            num[6],
                            num[7]};
    PGresult *res = NULL;
    st = db_exec(conn, "tickets.insert",
                 "INSERT INTO tickets (key, incident_id, domain, queue, route, priority, severity, "
                 "state, title, description, labels, source, \"check\", cause_fingerprint, "
                 "cause_resource, rule, group_key, first_seen, last_seen, opened_at, sla_policy, "
                 "sla_calendar, sla_warn_permille, response_target_us, resolution_target_us, "
                 "annotations, update_target_us, last_update_at) "
                 "VALUES ($1, $2::bigint, $3, $4, $5, $6::smallint, $7::smallint, 'new', $8, $9, "
                 "coalesce((SELECT labels FROM alerts WHERE domain = $3 AND fingerprint = $12), "
                 "''), $10, $11, $12, $13, $14, $15, "
                 "timestamptz 'epoch' + $16::bigint * interval '1 microsecond', "
                 "timestamptz 'epoch' + $16::bigint * interval '1 microsecond', "
                 "timestamptz 'epoch' + $16::bigint * interval '1 microsecond', "
                 "$17, $18, $19::integer, $20::bigint, $21::bigint, "
                 "coalesce((SELECT annotations FROM alerts WHERE domain = $3 AND "
                 "fingerprint = $12), ''), $22::bigint, "
                 "timestamptz 'epoch' + $16::bigint * interval '1 microsecond')",
                 22, params, NULL);
    (void)res;
    event_destroy(&cause);
    if (st != DB_OK) {
        return st;
    }
    if ((st = ticketer_ticket_lock_incident(conn, r->incident_id, &t, &found)) != DB_OK) {
        return st;
    }
    char comment[512];
    snprintf(comment, sizeof comment, "opened for incident %" PRId64 " in queue %s as P%d%s%s",
             r->incident_id, t.queue, t.priority, sla ? ", SLA policy " : "", sla ? sla->name : "");
    ticketer_ticket_log(&t, log, r->at_us, "system", "opened", "", NULL, "new", comment);
    ticketer_ticket_sla_refresh(&t, routing, r->at_us, log);
    return ticketer_ticket_save_quiet(conn, &t);
}

/* ticketer_count - alert joined (+1) or cleared (-1): counters and the
 * coalesced note, in one statement (no version bump: bookkeeping). */
static db_status_t ticketer_count(PGconn *conn, const correlator_record_t *r, bool joined,
                                  const ticket_routing_t *routing)
{
    char id[24], at[24], iv[24];
    snprintf(id, sizeof id, "%" PRId64, r->incident_id);
    snprintf(at, sizeof at, "%" PRId64, r->at_us);
    snprintf(iv, sizeof iv, "%" PRId64, routing->comment_interval_us);
    const char *params[] = {id, at, iv, joined ? "1" : "0"};
    return db_exec(
        conn, "tickets.count",
        "UPDATE tickets SET "
        "alert_count = alert_count + $4::integer, "
        "active_alerts = greatest(active_alerts + CASE WHEN $4::integer = 1 THEN 1 ELSE -1 END, "
        "0), "
        "last_seen = greatest(last_seen, timestamptz 'epoch' + $2::bigint * interval '1 "
        "microsecond'), "
        "note_joined = note_joined + $4::integer, note_cleared = note_cleared + 1 - $4::integer, "
        "note_due_at = coalesce(note_due_at, timestamptz 'epoch' + ($2::bigint + $3::bigint) * "
        "interval '1 microsecond'), updated_at = now() WHERE incident_id = $1::bigint",
        4, params, NULL);
}

/* ticketer_severity - incident_updated: severity, and priority raised. */
static db_status_t ticketer_severity(PGconn *conn, ticket_t *t, const correlator_record_t *r,
                                     const ticket_routing_t *routing, ticketer_log_t *log)
{
    if (t->severity == (int)r->severity) {
        return DB_OK;
    }
    event_t *cause = NULL;
    db_status_t st = ticketer_cause(conn, r, &cause);
    if (st != DB_OK) {
        return st;
    }
    ticket_route_result_t route;
    ticket_routing_decide(routing, cause, &route);
    event_destroy(&cause);
    ticketer_ticket_log(t, log, r->at_us, "system", "updated", "severity",
                        event_severity_name((event_severity_t)t->severity),
                        event_severity_name(r->severity), r->reason);
    t->severity = r->severity;
    if (route.priority < t->priority) {
        char before[8], after[8];
        snprintf(before, sizeof before, "P%d", t->priority);
        snprintf(after, sizeof after, "P%d", route.priority);
        t->priority = route.priority;
        ticketer_ticket_log(t, log, r->at_us, "system", "updated", "priority", before, after,
                            "raised: the incident's severity rose");
    }
    return ticketer_ticket_save(conn, t);
}

/* ticketer_merge - incident_merged: resolve the merged ticket, link it. */
static db_status_t ticketer_merge(PGconn *conn, ticket_t *t, const correlator_record_t *r,
                                  const ticket_routing_t *routing, ticketer_log_t *log)
{
    ticket_t into;
    bool found = false;
    db_status_t st = ticketer_ticket_lock_incident(conn, r->into_incident_id, &into, &found);
    if (st != DB_OK) {
        return st;
    }
    char why[256], comment[512];
    snprintf(comment, sizeof comment, "merged into %s (incident %" PRId64 "): %s",
             found ? into.key : "an incident without a ticket", r->into_incident_id, r->reason);
    snprintf(t->incident_state, sizeof t->incident_state, "merged");
    t->active_alerts = 0;
    t->note_joined = t->note_cleared = 0;
    t->note_due_us = 0;
    if (found) {
        t->merged_into = into.id;
        char mine[TICKET_KEY_MAX + 64];
        snprintf(mine, sizeof mine, "%s merged into this ticket", t->key);
        ticketer_ticket_log(&into, log, r->at_us, "system", "merged", "merged_from", NULL, t->key,
                            mine);
    }
    ticketer_ticket_log(t, log, r->at_us, "system", "merged", "merged_into", NULL,
                        found ? into.key : NULL, comment);
    if (ticket_state_is_open(t->state)) {
        ticketer_ticket_transition(t, TICKET_STATE_RESOLVED, comment, "system", true, routing,
                                   r->at_us, log, why, sizeof why);
    }
    return ticketer_ticket_save(conn, t);
}

db_status_t ticketer_incident_apply(PGconn *conn, const correlator_record_t *r,
                                    const ticket_routing_t *routing, ticketer_log_t *log)
{
    switch (r->kind) {
    case CORR_CHANGE_INCIDENT_OPENED:
        return ticketer_open(conn, r, routing, log);
    case CORR_CHANGE_INCIDENT_ALERT_JOINED:
        return ticketer_count(conn, r, true, routing);
    case CORR_CHANGE_INCIDENT_ALERT_CLEARED:
        return ticketer_count(conn, r, false, routing);
    default:
        break;
    }
    ticket_t t;
    bool found = false;
    db_status_t st = ticketer_ticket_lock_incident(conn, r->incident_id, &t, &found);
    if (st != DB_OK || !found) {
        return st; /* routed to "no ticket" */
    }
    char why[256];
    switch (r->kind) {
    case CORR_CHANGE_INCIDENT_UPDATED:
        return ticketer_severity(conn, &t, r, routing, log);
    case CORR_CHANGE_INCIDENT_MERGED:
        return ticketer_merge(conn, &t, r, routing, log);
    case CORR_CHANGE_INCIDENT_RESOLVED: {
        snprintf(t.incident_state, sizeof t.incident_state, "resolved");
        const ticket_queue_t *q = ticket_routing_queue(routing, t.queue);
        if (ticket_state_is_open(t.state) && q && q->auto_resolve) {
            ticketer_ticket_transition(&t, TICKET_STATE_RESOLVED,
                                       "incident resolved: all its alerts cleared", "system", true,
                                       routing, r->at_us, log, why, sizeof why);
        } else if (ticket_state_is_open(t.state)) {
            ticketer_ticket_comment(&t,
                                    "incident resolved: all its alerts cleared (queue resolves "
                                    "tickets by hand)",
                                    "system", r->at_us, log);
        }
        return ticketer_ticket_save(conn, &t);
    }
    case CORR_CHANGE_INCIDENT_REOPENED: {
        snprintf(t.incident_state, sizeof t.incident_state, "open");
        const char *reason = "incident re-fired within its reopen window";
        if (!ticket_state_is_open(t.state)) {
            ticketer_ticket_transition(&t, ticket_state_reopen_target(t.acknowledged_at_us != 0),
                                       reason, "system", true, routing, r->at_us, log, why,
                                       sizeof why);
        } else {
            ticketer_ticket_comment(&t, reason, "system", r->at_us, log);
        }
        return ticketer_ticket_save(conn, &t);
    }
    default:
        return DB_OK;
    }
}

/* ---- timers ---- */

/* ticketer_due - ids of tickets whose `column` is due at now_us, oldest
 * first, skipping rows an API thread holds (they come back next round). */
static db_status_t ticketer_due(PGconn *conn, const char *what, const char *sql, int64_t now_us,
                                size_t limit, int64_t **ids, size_t *n)
{
    char now[24], lim[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(lim, sizeof lim, "%zu", limit);
    const char *params[] = {now, lim};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, what, sql, 2, params, &res);
    if (st != DB_OK) {
        return st;
    }
    *n = (size_t)PQntuples(res);
    *ids = xcalloc(*n ? *n : 1, sizeof **ids);
    for (size_t i = 0; i < *n; i++) {
        (*ids)[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    }
    PQclear(res);
    return DB_OK;
}

#define TICKETER_DUE_SQL(column)                                                                   \
    "SELECT id FROM tickets WHERE " column " <= timestamptz 'epoch' + $1::bigint * "               \
    "interval '1 microsecond' ORDER BY " column " LIMIT $2::integer FOR UPDATE SKIP LOCKED"

typedef enum { TICKETER_TIMER_SLA, TICKETER_TIMER_CLOSE, TICKETER_TIMER_NOTE } ticketer_timer_t;

/* ticketer_timer_one - one due ticket of one kind. */
static db_status_t ticketer_timer_one(PGconn *conn, ticketer_timer_t kind, int64_t id,
                                      const ticket_routing_t *routing, int64_t now_us,
                                      ticketer_log_t *log)
{
    ticket_t t;
    bool found = false;
    db_status_t st = ticketer_ticket_lock(conn, id, &t, &found);
    if (st != DB_OK || !found) {
        return st;
    }
    char why[256];
    switch (kind) {
    case TICKETER_TIMER_SLA:
        ticketer_ticket_sla_refresh(&t, routing, now_us, log);
        return ticketer_ticket_save_quiet(conn, &t);
    case TICKETER_TIMER_CLOSE:
        if (t.state == TICKET_STATE_RESOLVED) {
            ticketer_ticket_transition(&t, TICKET_STATE_CLOSED,
                                       "closed automatically after its queue's quiet period",
                                       "system", true, routing, now_us, log, why, sizeof why);
        }
        t.auto_close_us = 0;
        return ticketer_ticket_save(conn, &t);
    case TICKETER_TIMER_NOTE: {
        char note[256];
        snprintf(note, sizeof note, "%d alert%s joined, %d cleared; %d firing now", t.note_joined,
                 t.note_joined == 1 ? "" : "s", t.note_cleared, t.active_alerts);
        if (t.note_joined || t.note_cleared) {
            ticketer_ticket_log(&t, log, now_us, "system", "alerts", "alerts", NULL, NULL, note);
        }
        t.note_joined = t.note_cleared = 0;
        t.note_due_us = 0;
        return ticketer_ticket_save_quiet(conn, &t);
    }
    }
    return DB_OK;
}

db_status_t ticketer_timers_run(PGconn *conn, const ticket_routing_t *routing, int64_t now_us,
                                size_t limit, ticketer_log_t *log, size_t *done)
{
    static const struct {
        ticketer_timer_t kind;
        const char *what, *sql;
    } timers[] = {
        {TICKETER_TIMER_SLA, "tickets.due_sla", TICKETER_DUE_SQL("sla_check_at")},
        {TICKETER_TIMER_CLOSE, "tickets.due_close", TICKETER_DUE_SQL("auto_close_at")},
        {TICKETER_TIMER_NOTE, "tickets.due_note", TICKETER_DUE_SQL("note_due_at")},
    };
    *done = 0;
    for (size_t k = 0; k < sizeof timers / sizeof timers[0]; k++) {
        int64_t *ids = NULL;
        size_t n = 0;
        db_status_t st = ticketer_due(conn, timers[k].what, timers[k].sql, now_us, limit, &ids, &n);
        for (size_t i = 0; st == DB_OK && i < n; i++) {
            st = ticketer_timer_one(conn, timers[k].kind, ids[i], routing, now_us, log);
        }
        free(ids);
        if (st != DB_OK) {
            return st;
        }
        *done = n > *done ? n : *done;
    }
    return DB_OK;
}
